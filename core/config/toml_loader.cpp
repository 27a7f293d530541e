#include "config/toml_loader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "config/bounded_read.h"
#include "config/byte_size.h"
#include "config/core_schema.h"
#include "config/duration.h"
#include "config/key_suggestion.h"
#include "config/listen_address.h"
#include "config/nesting_limit.h"
#include "config/toml_node_location.h"

namespace vigil::config {
namespace {

namespace fs = std::filesystem;

// Kinds of plugin instance tables, by their top-level key.
const std::vector<std::string> kInstanceSections = {"collectors", "notifiers", "caches", "scenarios"};
const std::vector<std::string> kTopLevel = {"agent",      "log",       "http",  "rules",  "alerting",
                                            "collectors", "notifiers", "cache", "caches", "scenarios"};
const std::vector<std::string> kInstanceHostKeys = section_keys("instance");
const std::vector<std::string> kScenarioHostKeys = section_keys("scenario");

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

// Reads typed values out of one TOML table and records every problem with its location.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string section, Problems& problems)
      : t_(t), section_(std::move(section)), problems_(problems) {}

  void check_unknown(const std::vector<std::string>& known) const {
    for (const auto& [k, v] : t_) {
      const std::string key(k.str());
      if (std::find(known.begin(), known.end(), key) == known.end())
        problems_.push_back(location_of(k.source()) + ": unknown key \"" + key + "\" in [" + section_ + "]" +
                            did_you_mean(key, known));
    }
  }

  void string(const char* key, std::string& out) const {
    if (const auto* n = t_.get(key)) {
      if (auto v = n->value<std::string>())
        out = *v;
      else
        wrong_type(*n, key, "a string");
    }
  }
  void boolean(const char* key, bool& out) const {
    if (const auto* n = t_.get(key)) {
      if (n->is_boolean())
        out = n->as_boolean()->get();
      else
        wrong_type(*n, key, "a boolean (true or false)");
    }
  }
  template <class Int>
  void integer(const char* key, Int& out, int64_t min, int64_t max) const {
    if (const auto* n = t_.get(key)) {
      if (!n->is_integer()) return wrong_type(*n, key, "an integer");
      const int64_t v = n->as_integer()->get();
      if (v < min || v > max)
        return problem(*n, "\"" + std::string(key) + "\" must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + ", not " + std::to_string(v));
      out = static_cast<Int>(v);
    }
  }
  void duration(const char* key, nanoseconds& out, bool allow_zero = false) const {
    if (const auto* n = t_.get(key)) {
      if (!n->is_string()) return wrong_type(*n, key, "a duration string such as \"10s\"");
      auto d = parse_duration(n->as_string()->get());
      if (!d.ok()) return problem(*n, "\"" + std::string(key) + "\": " + d.message());
      if (*d < nanoseconds(0) || (!allow_zero && *d == nanoseconds(0)))
        return problem(*n, "\"" + std::string(key) + "\" must be greater than zero");
      out = *d;
    }
  }
  void size(const char* key, uint64_t& out) const {
    if (const auto* n = t_.get(key)) {
      if (n->is_integer() && n->as_integer()->get() >= 0) {
        out = static_cast<uint64_t>(n->as_integer()->get());
      } else if (n->is_string()) {
        auto s = parse_byte_size(n->as_string()->get());
        if (!s.ok()) return problem(*n, "\"" + std::string(key) + "\": " + s.message());
        out = *s;
      } else {
        wrong_type(*n, key, "a size such as \"64MiB\" or a number of bytes");
      }
    }
  }
  void string_array(const char* key, std::vector<std::string>& out) const {
    if (const auto* n = t_.get(key)) {
      const auto* a = n->as_array();
      if (!a) return wrong_type(*n, key, "an array of strings");
      out.clear();
      for (const auto& e : *a) {
        if (auto s = e.value<std::string>())
          out.push_back(*s);
        else
          problem(e, "\"" + std::string(key) + "\" must hold strings only");
      }
    }
  }
  void one_of(const char* key, const std::string& value, const std::vector<std::string>& allowed) const {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    const toml::node* n = t_.get(key);
    problems_.push_back((n ? location_of(*n) : location_of(t_)) + ": \"" + key + "\" is \"" + value +
                        "\"; use one of " + list + did_you_mean(value, allowed));
  }
  void problem(const toml::node& n, const std::string& msg) const { problems_.push_back(location_of(n) + ": " + msg); }

 private:
  void wrong_type(const toml::node& n, const char* key, const char* expected) const {
    problems_.push_back(location_of(n) + ": \"" + std::string(key) + "\" in [" + section_ + "] must be " + expected +
                        ", not " + toml_type_name(n));
  }

  const toml::table& t_;
  std::string section_;
  Problems& problems_;
};

// Replaces ${VAR} in every string value of the tree, in place.
void substitute_all(toml::node& n, const EnvLookup& env, Problems& problems) {
  if (auto* t = n.as_table()) {
    for (auto&& [k, v] : *t) substitute_all(v, env, problems);
  } else if (auto* a = n.as_array()) {
    for (auto& v : *a) substitute_all(v, env, problems);
  } else if (auto* s = n.as_string()) {
    if (s->get().find('$') == std::string::npos) return;
    auto r = substitute_env(s->get(), env);
    if (r.ok())
      *s = std::move(r.value());
    else
      problems.push_back(location_of(n) + ": " + r.message());
  }
}

std::string render(const toml::table& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

struct ParsedFile {
  toml::table table;
  bool ok = false;
};

ParsedFile parse_text(const std::string& text, const std::string& name, Problems& problems) {
  ParsedFile out;
  if (auto deep = toml_too_deep(text, name)) {
    problems.push_back(*deep);
    return out;
  }
  try {
    out.table = toml::parse(text, name);
    out.ok = true;
  } catch (const toml::parse_error& e) {
    problems.push_back(location_of(e.source()) + ": invalid TOML: " + std::string(e.description()));
  }
  return out;
}

ParsedFile parse_file(const std::string& path, Problems& problems) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    problems.push_back(path + ": config file not found (pass an existing file with --config)");
    return {};
  }
  auto text = read_bounded_file(path, kMaxConfigFileBytes, "config file");
  if (!text.ok()) {
    problems.push_back(text.message());
    return {};
  }
  return parse_text(text.value(), path, problems);
}

// Appends the instance tables of an included file into root; other content is an error.
void merge_include(toml::table& root, toml::table&& inc, const std::string& file, Problems& problems) {
  for (auto&& [k, v] : inc) {
    const std::string key(k.str());
    if (std::find(kInstanceSections.begin(), kInstanceSections.end(), key) == kInstanceSections.end()) {
      problems.push_back(location_of(v) + ": [" + key + "] is not allowed in an included file (" + file +
                         "); included files hold plugin instances such as [[collectors.NAME]] only");
      continue;
    }
    auto* section = v.as_table();
    if (!section) continue;
    auto* dst = root.get(key) ? root.get(key)->as_table() : nullptr;
    if (!dst) {
      root.insert_or_assign(key, toml::table{});
      dst = root.get(key)->as_table();
    }
    for (auto&& [name, inst] : *section) {
      toml::array* arr = nullptr;
      if (auto* existing = dst->get(name.str())) {
        arr = existing->as_array();
        if (!arr && existing->is_table()) {
          toml::array wrapped;
          wrapped.push_back(*existing->as_table());
          dst->insert_or_assign(name.str(), std::move(wrapped));
          arr = dst->get(name.str())->as_array();
        }
      } else {
        dst->insert_or_assign(name.str(), toml::array{});
        arr = dst->get(name.str())->as_array();
      }
      if (!arr) continue;
      if (auto* a = inst.as_array()) {
        for (auto& e : *a) arr->push_back(std::move(e));
      } else {
        arr->push_back(std::move(inst));
      }
    }
  }
}

void read_agent(const toml::table& root, Settings& s, Problems& p) {
  const auto* n = root.get("agent");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) return p.push_back(location_of(*n) + ": [agent] must be a table");
  TableReader r(*t, "agent", p);
  r.check_unknown(section_keys("agent"));
  r.duration("interval", s.agent.interval);
  r.duration("jitter", s.agent.jitter, true);
  r.duration("timeout", s.agent.timeout);
  r.duration("max_backoff", s.agent.max_backoff);
  r.duration("shutdown_timeout", s.agent.shutdown_timeout);
  r.string_array("plugin_dirs", s.agent.plugin_dirs);
  r.string("config_dir", s.agent.config_dir);
  r.string("hostname", s.agent.hostname);
  r.string("state_dir", s.agent.state_dir);
  r.integer("sample_limit", s.agent.sample_limit, 1, 100'000'000);
  r.string("default_isolation", s.agent.default_isolation);
  r.one_of("default_isolation", s.agent.default_isolation, {"none", "process"});
}

void read_log(const toml::table& root, Settings& s, Problems& p) {
  const auto* n = root.get("log");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) return p.push_back(location_of(*n) + ": [log] must be a table");
  TableReader r(*t, "log", p);
  r.check_unknown(section_keys("log"));
  r.string("level", s.log.level);
  r.one_of("level", s.log.level, {"trace", "debug", "info", "warn", "error"});
  r.string("format", s.log.format);
  r.one_of("format", s.log.format, {"json", "text"});
  r.string("file", s.log.file);
  r.size("max_size", s.log.max_size);
  r.integer("max_files", s.log.max_files, 1, 1000);
}

// [[http.tokens]]: names are identities in the audit trail, so each is checked here; whether two
// tokens are the same secret is known only once their files are read (app/api_auth.cpp).
void read_api_tokens(const toml::node& n, HttpSettings& http, Problems& p) {
  const auto* a = n.as_array();
  if (!a || !a->is_array_of_tables())
    return p.push_back(location_of(n) + ": \"tokens\" in [http] must be tables: [[http.tokens]] name = \"ci\" …");
  const bool legacy = !http.api_token.empty() || !http.api_token_file.empty();
  for (const auto& e : *a) {
    const auto& t = *e.as_table();
    TableReader r(t, "http.tokens", p);
    r.check_unknown(section_keys("http.tokens[]"));
    ApiTokenSettings tok;
    tok.where = location_of(t);
    r.string("name", tok.name);
    r.string("token", tok.token);
    r.string("token_file", tok.token_file);
    r.string_array("scopes", tok.scopes);
    const bool name_ok =
        !tok.name.empty() && tok.name.size() <= 64 && std::all_of(tok.name.begin(), tok.name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        });
    if (!name_ok)
      p.push_back((t.get("name") ? location_of(*t.get("name")) : tok.where) +
                  ": [[http.tokens]] needs a \"name\" of at most 64 letters a-z, digits, '_', '.' or '-', such as "
                  "\"ci\"");
    else if (tok.name == "api" && legacy)
      p.push_back(location_of(*t.get("name")) +
                  ": the name \"api\" is [http] api_token's; give this token another name");
    else if (std::any_of(http.tokens.begin(), http.tokens.end(), [&](const auto& o) { return o.name == tok.name; }))
      p.push_back(location_of(*t.get("name")) + ": a token named \"" + tok.name + "\" is already defined");
    if (tok.token.empty() == tok.token_file.empty())
      p.push_back(tok.where + ": [[http.tokens]] \"" + tok.name +
                  "\" needs either \"token\" (e.g. \"${CI_TOKEN}\") or \"token_file\", not " +
                  (tok.token.empty() ? "neither" : "both"));
    if (tok.scopes.empty())
      p.push_back((t.get("scopes") ? location_of(*t.get("scopes")) : tok.where) + ": [[http.tokens]] \"" + tok.name +
                  "\" needs \"scopes\", some of \"read\", \"write\", \"ingest\"");
    for (const auto& sc : tok.scopes)
      if (sc != "read" && sc != "write" && sc != "ingest")
        p.push_back(location_of(*t.get("scopes")) + ": unknown scope \"" + sc +
                    "\"; use \"read\", \"write\" or \"ingest\"" + did_you_mean(sc, {"read", "write", "ingest"}));
    http.tokens.push_back(std::move(tok));
  }
}

void read_http(const toml::table& root, Settings& s, Problems& p) {
  const auto* n = root.get("http");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) return p.push_back(location_of(*n) + ": [http] must be a table");
  TableReader r(*t, "http", p);
  r.check_unknown(section_keys("http"));
  r.string("listen", s.http.listen);
  if (auto a = parse_listen_address(s.http.listen); !a.ok())
    r.problem(t->get("listen") ? *t->get("listen") : *t, a.message());
  r.integer("max_connections", s.http.max_connections, 1, 100000);
  r.integer("max_connections_per_client", s.http.max_connections_per_client, 1, 100000);
  r.integer("api_workers", s.http.api_workers, 1, 64);
  r.integer("api_queue", s.http.api_queue, 0, 100000);
  r.duration("read_timeout", s.http.read_timeout);
  r.size("max_header_size", s.http.max_header_bytes);
  r.size("max_body_size", s.http.max_body_bytes);
  r.string("api_token", s.http.api_token);
  r.string("api_token_file", s.http.api_token_file);
  r.boolean("read_requires_token", s.http.read_requires_token);
  r.string("web_config_file", s.http.web_config_file);
  r.duration("metrics_snapshot", s.http.metrics_snapshot, true);
  if (!s.http.api_token.empty() && !s.http.api_token_file.empty())
    r.problem(*t->get("api_token_file"), "set either \"api_token\" or \"api_token_file\", not both");
  if (const auto* tokens = t->get("tokens")) read_api_tokens(*tokens, s.http, p);
}

void read_cache_namespace(const toml::table& t, const std::string& section, CacheNamespaceSettings& ns, Problems& p) {
  TableReader r(t, section, p);
  r.check_unknown(section_keys("cache.namespace"));
  r.duration("ttl", ns.ttl, true);
  r.duration("negative_ttl", ns.negative_ttl, true);
  if (const auto* j = t.get("ttl_jitter")) {
    const auto v = j->value<double>();
    if (!v || *v < 0 || *v >= 1)
      p.push_back(location_of(*j) + ": \"ttl_jitter\" must be a fraction from 0 to below 1, e.g. 0.1");
    else
      ns.ttl_jitter = *v;
  }
  r.boolean("early_refresh", ns.early_refresh);
  r.duration("load_wait", ns.load_wait);
  r.size("max_key_size", ns.max_key_bytes);
  r.size("max_value_size", ns.max_value_bytes);
  r.boolean("snapshot", ns.snapshot);
}

void read_cache(const toml::table& root, Settings& s, Problems& p) {
  const auto* n = root.get("cache");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) return p.push_back(location_of(*n) + ": [cache] must be a table");
  TableReader r(*t, "cache", p);
  r.check_unknown(section_keys("cache"));
  r.string("backend", s.cache.backend);
  if (const auto* tn = t->get("tiered")) {
    if (const auto* tt = tn->as_table()) {
      TableReader tr(*tt, "cache.tiered", p);
      tr.check_unknown(section_keys("cache.tiered"));
      tr.string("l1", s.cache.tiered_l1);
      tr.string("l2", s.cache.tiered_l2);
      tr.duration("l1_ttl", s.cache.tiered_l1_ttl);
    } else {
      p.push_back(location_of(*tn) + ": [cache.tiered] must be a table with l1, l2 and l1_ttl");
    }
  }
  if (const auto* d = t->get("defaults")) {
    if (const auto* dt = d->as_table())
      read_cache_namespace(*dt, "cache.defaults", s.cache.defaults, p);
    else
      p.push_back(location_of(*d) + ": [cache.defaults] must be a table");
  }
  if (const auto* ns = t->get("namespaces")) {
    const auto* nt = ns->as_table();
    if (!nt)
      return p.push_back(location_of(*ns) + ": [cache.namespaces] must hold tables such as [cache.namespaces.users]");
    for (const auto& [k, v] : *nt) {
      CacheNamespaceSettings one = s.cache.defaults;
      one.name = std::string(k.str());
      if (const auto* vt = v.as_table())
        read_cache_namespace(*vt, "cache.namespaces." + one.name, one, p);
      else
        p.push_back(location_of(v) + ": [cache.namespaces." + one.name + "] must be a table");
      s.cache.namespaces.push_back(std::move(one));
    }
  }
}

void read_rules(const toml::table& root, Settings& s, Problems& p) {
  const auto* n = root.get("rules");
  if (!n) return;
  const auto* t = n->as_table();
  if (!t) return p.push_back(location_of(*n) + ": [rules] must be a table");
  TableReader r(*t, "rules", p);
  r.check_unknown(section_keys("rules"));
  r.string_array("files", s.rules.files);
  r.duration("evaluation_interval", s.rules.evaluation_interval);
  r.duration("lookback", s.rules.lookback);
  r.integer("max_series", s.rules.max_series, 1, 100000000);
  r.size("max_bytes", s.rules.max_bytes);
  r.duration("for_grace_period", s.rules.for_grace_period, true);
  r.duration("for_outage_tolerance", s.rules.for_outage_tolerance, true);
  if (const auto* el = t->get("external_labels")) {
    if (const auto* et = el->as_table()) {
      for (const auto& [k, v] : *et) {
        if (auto sv = v.value<std::string>())
          s.rules.external_labels.emplace_back(std::string(k.str()), *sv);
        else
          r.problem(v, "external label \"" + std::string(k.str()) + "\" must be a string");
      }
    } else {
      r.problem(*el, "\"external_labels\" must be a table of strings");
    }
  }
}

void read_bench(const TableReader& r, const toml::table& t, BenchSettings& b, Problems& p) {
  r.string("target", b.target);
  r.integer("vus", b.vus, 0, 1000000);
  r.integer("threads", b.threads, 1, 1024);
  if (const auto* n = t.get("rate")) {
    const auto v = n->value<double>();
    if (!v || *v < 0)
      r.problem(*n, "\"rate\" must be a number of requests a second (0 = the closed model), e.g. 500");
    else
      b.rate = *v;
    b.rate_set = true;
  }
  if (const auto* n = t.get("stages")) {
    const std::string hint =
        "; write stages = [{ duration = \"30s\", target = 100 }, ...] (targets are connections, or requests a "
        "second when rate is set)";
    const auto* a = n->as_array();
    if (!a) r.problem(*n, "\"stages\" must be an array of tables" + hint);
    for (size_t i = 0; a && i < a->size(); ++i) {
      const auto* st = (*a)[i].as_table();
      const auto d = st ? st->get("duration") : nullptr;
      const auto target = st ? st->get("target") : nullptr;
      if (!st || !d || !target || st->size() != 2) {
        r.problem((*a)[i],
                  "stage " + std::to_string(i + 1) + " must have a duration and a target, nothing else" + hint);
        continue;
      }
      auto parsed = d->is_string() ? parse_duration(d->as_string()->get()) : Status::error("not a string");
      const auto v = target->value<double>();
      if (!parsed.ok() || *parsed < nanoseconds(0))
        r.problem(*d, "stage " + std::to_string(i + 1) + ": the duration must be a duration such as \"30s\"");
      else if (!v || *v < 0)
        r.problem(*target, "stage " + std::to_string(i + 1) + ": the target must be a number >= 0");
      else
        b.stages.push_back({*parsed, *v});
    }
    // Closed-model stages start from 0 unless vus says otherwise.
    if (!t.get("vus") && !b.rate_set && !b.stages.empty()) b.vus = 0;
  }
  if (const auto* vus = t.get("vus"); vus && b.vus == 0 && (b.stages.empty() || b.rate_set))
    r.problem(*vus, "\"vus\" must be at least 1 (0 only starts the stages of the closed model)");
  r.duration("duration", b.duration);
  r.duration("warmup", b.warmup, true);
  r.duration("request_timeout", b.request_timeout);
  r.duration("schedule", b.schedule);
  r.boolean("abort_on_fail", b.abort_on_fail);
  r.string("tls_ca_file", b.tls_ca_file);
  r.boolean("tls_skip_verify", b.tls_skip_verify);
  r.string_array("thresholds", b.thresholds);
  if (const auto* g = t.get("goals")) {
    if (const auto* gt = g->as_table()) {
      for (const auto& [k, v] : *gt) {
        if (auto sv = v.value<std::string>())
          b.goals.emplace_back(std::string(k.str()), *sv);
        else
          r.problem(v, "goal \"" + std::string(k.str()) + "\" must be a string such as \"+50%\"");
      }
    } else {
      r.problem(*g, "\"goals\" must be a table, e.g. goals = { rps = \"+50%\", p95 = \"-30%\" }");
    }
  }
  (void)p;
}

InstanceSettings read_instance(const std::shared_ptr<const toml::table>& root, const std::string& kind,
                               const std::string& plugin, size_t ordinal, const toml::table& t, Problems& p) {
  InstanceSettings inst;
  inst.kind = kind;
  inst.plugin = plugin;
  inst.where = location_of(t);
  const std::string section = kind + "s." + plugin;
  TableReader r(t, section, p);
  inst.alias = ordinal == 0 ? plugin : plugin + "-" + std::to_string(ordinal + 1);
  r.string("alias", inst.alias);
  if (inst.alias.empty())
    r.problem(t.get("alias") ? *t.get("alias") : static_cast<const toml::node&>(t), "\"alias\" must not be empty");
  r.duration("interval", inst.interval);
  r.duration("timeout", inst.timeout);
  r.boolean("optional", inst.optional);
  r.string("rate_limit", inst.rate_limit);
  if (!inst.rate_limit.empty() && kind != "notifier")
    r.problem(*t.get("rate_limit"), "\"rate_limit\" applies to notifiers only");
  r.integer("sample_limit", inst.sample_limit, 1, 100'000'000);
  if (inst.sample_limit && kind != "collector")
    r.problem(*t.get("sample_limit"), "\"sample_limit\" applies to collectors only");
  if (t.get("isolation")) {
    r.string("isolation", inst.isolation);
    r.one_of("isolation", inst.isolation, {"none", "process"});
    if (inst.isolation == "process" && kind != "collector" && kind != "notifier")
      r.problem(*t.get("isolation"), "isolation = \"process\" applies to collectors and notifiers; " + kind +
                                         "s run inside the agent (remove the key; docs/isolation.md says why)");
  }
  r.size("memory_limit", inst.memory_limit);
  if (t.get("memory_limit") && kind != "collector" && kind != "notifier")
    r.problem(*t.get("memory_limit"), "\"memory_limit\" applies to isolated collectors and notifiers only");
  if (const auto* ln = t.get("labels")) {
    if (const auto* lt = ln->as_table()) {
      for (const auto& [k, v] : *lt) {
        if (auto sv = v.value<std::string>())
          inst.labels.emplace_back(std::string(k.str()), *sv);
        else
          r.problem(v, "label \"" + std::string(k.str()) + "\" must be a string");
      }
    } else {
      r.problem(*ln, "\"labels\" must be a table of strings, e.g. labels = { env = \"prod\" }");
    }
  }
  if (kind == "scenario") read_bench(r, t, inst.bench, p);
  auto impl = std::make_shared<PluginTable::Impl>();
  impl->root = root;
  impl->table = &t;
  impl->hidden_keys = kInstanceHostKeys;
  if (kind == "scenario")
    impl->hidden_keys.insert(impl->hidden_keys.end(), kScenarioHostKeys.begin(), kScenarioHostKeys.end());
  impl->where = inst.where;
  impl->fingerprint = render(t);
  inst.table = PluginTable(std::move(impl));
  return inst;
}

void read_instances(const std::shared_ptr<const toml::table>& shared_root, const std::string& section,
                    const std::string& kind, std::vector<InstanceSettings>& out, Problems& p) {
  const auto* n = shared_root->get(section);
  if (!n) return;
  const auto* t = n->as_table();
  if (!t)
    return p.push_back(location_of(*n) + ": \"" + section + "\" must hold tables such as [[" + section + ".NAME]]");
  for (const auto& [name, v] : *t) {
    const std::string plugin(name.str());
    // The name becomes a file name (NAME.so in a plugin directory): nothing but [a-z0-9_].
    if (plugin.empty() || plugin.size() > 64 ||
        plugin.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      p.push_back(location_of(name.source()) + ": [[" + section + ".\"" + plugin.substr(0, 64) +
                  "\"]]: a plugin name is 1 to 64 of a-z, 0-9 and _ (it names the file NAME.so in a plugin "
                  "directory); see `vigil plugins` for the installed ones");
      continue;
    }
    if (const auto* single = v.as_table()) {
      out.push_back(read_instance(shared_root, kind, plugin, 0, *single, p));
    } else if (const auto* arr = v.as_array()) {
      size_t ordinal = 0;
      for (const auto& e : *arr) {
        if (const auto* et = e.as_table())
          out.push_back(read_instance(shared_root, kind, plugin, ordinal++, *et, p));
        else
          p.push_back(location_of(e) + ": [[" + section + "." + plugin + "]] entries must be tables");
      }
    } else {
      p.push_back(location_of(v) + ": \"" + section + "." + plugin + "\" must be a table; write [[" + section + "." +
                  plugin + "]]");
    }
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& i : out) {
    if (!seen.insert({i.plugin, i.alias}).second)
      p.push_back(i.where + ": duplicate alias \"" + i.alias + "\" for " + kind + " \"" + i.plugin +
                  "\" (give each instance a distinct alias = \"...\")");
  }
  // Two collectors of one plugin with the same settings and labels emit the same series; the
  // exposition can keep only one of each, so the other instance's work would be lost.
  if (kind == "collector") {
    std::map<std::string, const InstanceSettings*> first;
    for (const auto& i : out) {
      std::string key = i.plugin + "\n" + i.table.fingerprint();
      for (const auto& [k, v] : i.labels) key += "\n" + k + "=" + v;
      auto [it, fresh] = first.try_emplace(key, &i);
      if (!fresh)
        p.push_back(i.where + ": [[collectors." + i.plugin + "]] (alias " + i.alias +
                    ") has the same settings and labels as alias " + it->second->alias + " (" + it->second->where +
                    "): both emit the same series and only one can be shown; remove one, or tell them apart with "
                    "labels = { instance = \"...\" } (the alias names an instance in logs and vigil_collector_* "
                    "series, not in its samples)");
    }
  }
}

LoadResult load_root(toml::table root, const std::string& base_dir, const EnvLookup& env, Problems problems) {
  LoadResult out;
  for (const auto& [k, v] : root) {
    const std::string key(k.str());
    if (std::find(kTopLevel.begin(), kTopLevel.end(), key) == kTopLevel.end())
      problems.push_back(location_of(k.source()) + ": unknown section \"" + key + "\"" + did_you_mean(key, kTopLevel));
  }
  // Includes are named by [agent] config_dir, read before substitution so they get it too.
  if (const auto* agent = root.get("agent"); agent && agent->is_table()) {
    if (auto dir = (*agent->as_table())["config_dir"].value<std::string>()) {
      auto sub = substitute_env(*dir, env);
      fs::path d = sub.ok() ? fs::path(sub.value()) : fs::path(*dir);
      if (d.is_relative() && !base_dir.empty()) d = fs::path(base_dir) / d;
      std::error_code ec;
      if (!fs::is_directory(d, ec)) {
        problems.push_back(location_of(*(*agent->as_table()).get("config_dir")) + ": config_dir \"" + d.string() +
                           "\" is not a directory (create it or remove the key)");
      } else {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(d, ec))
          if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
          auto parsed = parse_file(f.string(), problems);
          if (parsed.ok) merge_include(root, std::move(parsed.table), f.string(), problems);
        }
      }
    }
  }
  substitute_all(root, env, problems);
  read_agent(root, out.settings, problems);
  read_log(root, out.settings, problems);
  read_http(root, out.settings, problems);
  read_rules(root, out.settings, problems);
  read_cache(root, out.settings, problems);
  // Instances share the immutable tree, which keeps its source locations.
  auto shared_root = std::make_shared<const toml::table>(std::move(root));
  read_instances(shared_root, "collectors", "collector", out.settings.collectors, problems);
  read_instances(shared_root, "notifiers", "notifier", out.settings.notifiers, problems);
  for (auto& c : out.settings.collectors)
    if (c.sample_limit == 0) c.sample_limit = out.settings.agent.sample_limit;
  for (auto* list : {&out.settings.collectors, &out.settings.notifiers}) {
    for (auto& c : *list) {
      if (c.isolation.empty()) c.isolation = out.settings.agent.default_isolation;
      if (c.memory_limit > 0 && c.isolation != "process")
        problems.push_back(c.where +
                           ": \"memory_limit\" needs isolation = \"process\" (a limit on the agent's own "
                           "memory would be a limit on every plugin in it); set isolation = \"process\" or remove it");
    }
  }
  read_instances(shared_root, "caches", "cache", out.settings.caches, problems);
  read_instances(shared_root, "scenarios", "scenario", out.settings.scenarios, problems);
  // [alerting] is read by the alerting module, which knows its structure.
  if (const auto* n = shared_root->get("alerting")) {
    if (const auto* t = n->as_table()) {
      auto impl = std::make_shared<PluginTable::Impl>();
      impl->root = shared_root;
      impl->table = t;
      impl->where = location_of(*t);
      impl->fingerprint = render(*t);
      out.settings.alerting = PluginTable(std::move(impl));
    } else {
      problems.push_back(location_of(*n) + ": [alerting] must be a table");
    }
  }
  out.problems = std::move(problems);
  return out;
}

}  // namespace

std::string InstanceSettings::identity() const {
  std::string labels_text;
  for (const auto& [k, v] : labels) labels_text += k + "=" + v + ",";
  std::string bench_text;  // scenarios: the host keys that change a run
  if (kind == "scenario") {
    bench_text = bench.target + "\n" + std::to_string(bench.vus) + "\n" + std::to_string(bench.rate) + "\n" +
                 std::to_string(bench.duration.count()) + "\n" + std::to_string(bench.schedule.count()) + "\n";
    for (const auto& t : bench.thresholds) bench_text += t + ";";
    for (const auto& st : bench.stages)
      bench_text += std::to_string(st.duration.count()) + ":" + std::to_string(st.target) + " ";
  }
  return kind + "\n" + plugin + "\n" + alias + "\n" + std::to_string(interval.count()) + "\n" +
         std::to_string(timeout.count()) + "\n" + std::to_string(sample_limit) + "\n" + labels_text + "\n" + isolation +
         "\n" + std::to_string(memory_limit) + "\n" + table.fingerprint() + bench_text;
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  Problems problems;
  auto parsed = parse_file(path, problems);
  if (!parsed.ok) return LoadResult{{}, std::move(problems)};
  const std::string base = fs::path(path).parent_path().string();
  auto r = load_root(std::move(parsed.table), base, env, std::move(problems));
  r.settings.source_file = path;
  return r;
}

LoadResult load_config_text(const std::string& text, const std::string& name, const EnvLookup& env) {
  Problems problems;
  auto parsed = parse_text(text, name, problems);
  if (!parsed.ok) return LoadResult{{}, std::move(problems)};
  auto r = load_root(std::move(parsed.table), "", env, std::move(problems));
  r.settings.source_file = name;
  return r;
}

}  // namespace vigil::config
