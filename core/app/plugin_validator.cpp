#include "app/plugin_validator.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "config/bounded_read.h"
#include "config/toml_loader.h"
#include "plugin_host/cache_instance.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/config_schema.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/notifier_instance.h"
#include "plugin_host/plugin_loader.h"
#include "plugin_host/scenario_instance.h"

namespace vigil::app {
namespace {

using Clock = std::chrono::steady_clock;
using plugin_host::LoadedPlugin;

// What a check group (in its child process) tells the parent, one line each:
// "PASS\t<rule>\t<detail>", "FAIL\t<rule>\t<detail>", "INFO\t\t<detail>", "STEP\t\t<what>".
class Findings {
 public:
  explicit Findings(int fd) : fd_(fd) {}
  void pass(const std::string& rule, const std::string& detail) { write("PASS", rule, detail); }
  void fail(const std::string& rule, const std::string& detail) { write("FAIL", rule, detail); }
  void info(const std::string& detail) { write("INFO", "", detail); }
  // What runs next: named in the report if the plugin crashes or hangs there.
  void step(const std::string& what) { write("STEP", "", what); }
  void check(bool ok, const std::string& rule, const std::string& pass_detail, const std::string& fail_detail) {
    ok ? pass(rule, pass_detail) : fail(rule, fail_detail);
  }

 private:
  void write(const char* kind, const std::string& rule, std::string detail) {
    std::replace(detail.begin(), detail.end(), '\n', ' ');
    std::replace(detail.begin(), detail.end(), '\t', ' ');
    const std::string line = std::string(kind) + "\t" + rule + "\t" + detail + "\n";
    for (size_t off = 0; off < line.size();) {
      const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  int fd_;
};

std::string fixed(double v, int digits = 2) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// Call durations by kind, for the timing lines.
class Timings {
 public:
  template <class F>
  auto time(const std::string& kind, F&& f) {
    const auto t0 = Clock::now();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      record(kind, Clock::now() - t0);
    } else {
      auto r = f();
      record(kind, Clock::now() - t0);
      return r;
    }
  }
  void report(Findings& out) const {
    for (auto [kind, v] : samples_) {
      std::sort(v.begin(), v.end());
      auto at = [&](double q) {
        return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
      };
      out.info("timing " + kind + ": p50 " + fixed(at(0.5) * 1e3, 3) + " ms, p99 " + fixed(at(0.99) * 1e3, 3) +
               " ms (" + std::to_string(v.size()) + " calls)");
    }
  }

 private:
  void record(const std::string& kind, Clock::duration d) {
    samples_[kind].push_back(std::chrono::duration<double>(d).count());
  }
  std::map<std::string, std::vector<double>> samples_;
};

int64_t mono_in(std::chrono::milliseconds d) {
  return plugin_host::monotonic_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool gave_no_reason(const std::string& message) {
  return message.find("gave no reason") != std::string::npos;
}

// The host's words for a C++ exception that crossed the ABI (caught by the host's barrier).
bool exception_escaped(const std::string& message) {
  return message.find("escaped the plugin") != std::string::npos;
}

// The config section of an interface id's kind.
std::string section_of(const std::string& iface) {
  if (iface == VIGIL_IFACE_COLLECTOR) return "collectors";
  if (iface == VIGIL_IFACE_CACHE) return "caches";
  if (iface == VIGIL_IFACE_NOTIFIER) return "notifiers";
  if (iface == VIGIL_IFACE_SCENARIO) return "scenarios";
  return "";
}

struct Subject {
  std::string file;
  std::string body;  // the instance table's TOML, from --config
};

Result<config::InstanceSettings> settings_for(const std::string& section, const std::string& plugin,
                                              const std::string& body, const std::string& where) {
  auto r = config::load_config_text("[[" + section + "." + plugin + "]]\n" + body, where);
  if (!r.ok()) {
    std::string all;
    for (const auto& p : r.problems) all += (all.empty() ? "" : "; ") + p;
    return Status::error(all);
  }
  const auto& s = r.settings;
  const auto& list = section == "collectors"  ? s.collectors
                     : section == "caches"    ? s.caches
                     : section == "notifiers" ? s.notifiers
                                              : s.scenarios;
  if (list.empty()) return Status::error("no instance in the settings");
  return list.front();
}

// Values that test a plugin's validation of one key of the given type: each must be accepted
// or refused with a reason, never crash.
std::vector<std::string> hostile_values(int32_t type) {
  const std::string big = "\"" + std::string(64 * 1024, 'x') + "\"";
  switch (type) {
    case VIGIL_CFG_STRING:
    case VIGIL_CFG_SECRET: return {"\"\"", big, "\"\\u0001\\n\\t\\\"'%s%n{{}}\"", "\"../../../../etc/passwd\""};
    case VIGIL_CFG_INT: return {"-1", "0", "9223372036854775807", "-9223372036854775808"};
    case VIGIL_CFG_DOUBLE: return {"-1e308", "0.0", "1e308", "nan", "inf"};
    case VIGIL_CFG_BOOL: return {"true", "false"};
    case VIGIL_CFG_DURATION: return {"\"0s\"", "\"1ns\"", "\"87600h\""};
    case VIGIL_CFG_SIZE: return {"0", "\"0B\"", "\"1TiB\""};
    case VIGIL_CFG_STRING_ARRAY: return {"[]", "[\"\"]", "[" + big + "]"};
    case VIGIL_CFG_STRING_MAP:
    case VIGIL_CFG_SECRET_MAP: return {"{}", "{ a = \"\" }"};
    default: return {};
  }
}

// One key's hostile variant of the author's table: the key's line replaced (or added).
std::string with_key(const std::string& body, const std::string& key, const std::string& value) {
  std::istringstream in(body);
  std::string out, line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    std::string k = eq == std::string::npos ? "" : line.substr(0, eq);
    k.erase(std::remove_if(k.begin(), k.end(), ::isspace), k.end());
    if (k == key) continue;
    out += line + "\n";
  }
  return key + " = " + value + "\n" + out;
}

// ---- the check groups (each runs in its own child process) ----

void check_entry(const Subject& s, Findings& out) {
  out.step("loading the library and calling init()");
  auto loaded = plugin_host::load_plugin(s.file);
  if (!loaded.ok()) {
    out.fail("entry", loaded.message());
    return;
  }
  const auto& p = *loaded.value();
  std::string provides;
  for (const auto& i : p.provides) provides += (provides.empty() ? "" : ", ") + i;
  out.pass("entry", "plugin " + p.name + " " + p.version + ", ABI " + std::to_string(p.descriptor.abi_major) + "." +
                        std::to_string(p.descriptor.abi_minor) + ", provides " + provides);
  std::vector<std::string> unknown;
  for (const auto& i : p.provides)
    if (section_of(i).empty()) unknown.push_back(i);
  out.check(
      unknown.empty(), "interfaces", "every interface it lists is one vigil knows",
      "lists interfaces vigil does not know: " + [&] {
        std::string u;
        for (const auto& i : unknown) u += (u.empty() ? "" : ", ") + i;
        return u;
      }());
  for (const auto& i : p.provides) {
    const void* t = p.descriptor.get_interface(i.c_str());
    if (!t) out.fail("interfaces", "get_interface(\"" + i + "\") returns NULL although `provides` lists it");
  }
  if (p.descriptor.get_interface("vigil.no-such-interface/9"))
    out.fail("interfaces", "get_interface returns a table for an unknown id (it must return NULL)");

  std::vector<std::string> problems;
  std::set<std::string> seen;
  size_t n = 0;
  for (const vigil_config_key* k = p.descriptor.config_schema; k && k->key; ++k, ++n) {
    const std::string key = k->key;
    if (key.empty()) problems.push_back("a key with an empty name");
    if (!seen.insert(key).second) problems.push_back("\"" + key + "\" is declared twice");
    if (k->type < VIGIL_CFG_STRING || k->type > VIGIL_CFG_SECRET_MAP)
      problems.push_back("\"" + key + "\" has unknown type " + std::to_string(k->type));
    if (!k->doc || !*k->doc)
      problems.push_back("\"" + key + "\" has no doc line (vigil plugins and the reference show it)");
    if (k->required && k->default_value)
      problems.push_back("\"" + key + "\" is required yet documents a default (" + k->default_value + ")");
  }
  std::string joined;
  for (const auto& pr : problems) joined += (joined.empty() ? "" : "; ") + pr;
  out.check(problems.empty(), "schema", std::to_string(n) + " key(s), each named once, typed and documented", joined);
}

template <class Instance>
void check_create(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, const std::string& section,
                  Findings& out) {
  out.step("create() with the given settings");
  auto base = settings_for(section, p->name, s.body, "validate.toml");
  if (!base.ok()) {
    out.fail("create", "the settings do not load: " + base.message());
    return;
  }
  auto inst = Instance::create(p, base.value());
  if (!inst.ok()) {
    out.fail("create", inst.message() + " (pass the instance's table with --config FILE)");
    return;
  }
  out.pass("create", section + "." + p->name + " accepts the given settings");
  inst.value().reset();

  out.step("create() and destroy(), 50 times");
  const auto t0 = Clock::now();
  bool all = true;
  for (int i = 0; i < 50 && all; ++i) all = Instance::create(p, base.value()).ok();
  out.check(all, "create-destroy", "50 create/destroy pairs in " + fixed(seconds_since(t0), 3) + " s",
            "create() failed on a repeat with the same settings");

  // Hostile values for each declared key: accepted, or refused with a reason.
  size_t tried = 0;
  std::vector<std::string> silent;
  for (const vigil_config_key* k = p->descriptor.config_schema; k && k->key; ++k) {
    for (const auto& v : hostile_values(k->type)) {
      auto hs = settings_for(section, p->name, with_key(s.body, k->key, v), "validate.toml");
      if (!hs.ok()) continue;  // the host refused it before the plugin saw it
      ++tried;
      out.step(std::string("create() with ") + k->key + " = " + v.substr(0, 60));
      auto r = Instance::create(p, hs.value());
      if (!r.ok() && gave_no_reason(r.message())) silent.push_back(std::string(k->key) + " = " + v.substr(0, 40));
    }
  }
  std::string joined;
  for (const auto& x : silent) joined += (joined.empty() ? "" : "; ") + x;
  out.check(silent.empty(), "hostile-settings",
            std::to_string(tried) + " hostile value(s) accepted or refused with a reason, none crashed",
            "refused without a reason (use host->fail to say what is wrong and how to fix it): " + joined);
}

template <class Instance>
std::unique_ptr<Instance> started(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p,
                                  const std::string& section, Findings& out) {
  auto settings = settings_for(section, p->name, s.body, "validate.toml");
  if (!settings.ok()) return nullptr;
  auto inst = Instance::create(p, settings.value());
  if (!inst.ok()) return nullptr;
  out.step("start()");
  if (auto st = inst.value()->start(); !st.ok()) {
    out.fail("start", st.message() + (gave_no_reason(st.message()) ? " (say why with host->fail)" : ""));
    return nullptr;
  }
  return std::move(inst.value());
}

template <class Instance>
void check_lifecycle(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, const std::string& section,
                     Findings& out) {
  auto inst = started<Instance>(s, p, section, out);
  if (!inst) return;
  out.step("stop() twice");
  inst->stop();
  inst->stop();
  inst.reset();
  out.step("create() then destroy() without start()");
  auto settings = settings_for(section, p->name, s.body, "validate.toml");
  { auto unstarted = Instance::create(p, settings.value()); }
  out.pass("lifecycle", "start, stop, stop again, destroy; and create/destroy without start");
}

void check_collector(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, Findings& out) {
  auto c = started<plugin_host::CollectorInstance>(s, p, "collectors", out);
  if (!c) return;
  Timings timings;
  bool samples_ok = true, reasons_ok = true;
  std::string problem, escaped;
  size_t emitted = 0;
  for (int i = 0; i < 5; ++i) {
    out.step("collect() #" + std::to_string(i + 1));
    auto r = timings.time("collect", [&] { return c->collect(mono_in(std::chrono::seconds(10))); });
    emitted += r.samples.size();
    if (r.invalid_samples > 0) {
      samples_ok = false;
      problem = r.error;
    }
    if (r.result != plugin_host::CollectOutcome::Result::ok && gave_no_reason(r.error)) reasons_ok = false;
    if (exception_escaped(r.error)) escaped = r.error;
    if (r.result != plugin_host::CollectOutcome::Result::ok)
      out.info("collect #" + std::to_string(i + 1) + ": " + r.error);
  }
  out.check(samples_ok, "samples", std::to_string(emitted) + " sample(s) over 5 collections, all valid",
            "emitted invalid samples: " + problem);
  out.check(reasons_ok, "errors-have-reasons", "every failed collection said why",
            "a collection failed without a reason (use host->fail)");
  out.check(
      escaped.empty(), "no-exceptions", "no C++ exception crossed the ABI",
      escaped + " (catch inside the plugin, or use vigil/plugin.hpp, whose barrier turns them into status codes)");

  out.step("collect() with its deadline already passed");
  auto t0 = Clock::now();
  (void)c->collect(mono_in(std::chrono::milliseconds(-1)));
  const double late = seconds_since(t0);
  out.step("collect() after the host asked it to stop");
  c->request_stop();
  t0 = Clock::now();
  (void)c->collect(mono_in(std::chrono::seconds(30)));
  const double stopping = seconds_since(t0);
  out.check(late < 1 && stopping < 1, "deadline",
            "returned in " + fixed(late, 3) + " s with a passed deadline and " + fixed(stopping, 3) +
                " s with should_stop() set",
            "took " + fixed(std::max(late, stopping), 2) +
                " s with a passed deadline or should_stop() set (poll host->should_stop() and return VIGIL_E_TIMEOUT)");
  c->stop();
  timings.report(out);
}

void check_cache(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, Findings& out) {
  auto c = started<plugin_host::CacheInstance>(s, p, "caches", out);
  if (!c) return;
  Timings timings;
  const auto ttl = std::chrono::milliseconds(60000);
  std::vector<std::string> problems;
  size_t stored = 0;
  auto roundtrip = [&](const std::string& what, const std::string& key, const std::string& value) {
    out.step("set and get of " + what);
    auto st = timings.time("set", [&] { return c->set(key, value, ttl); });
    if (st.ok()) ++stored;
    if (!st.ok()) {
      if (gave_no_reason(st.message())) problems.push_back(what + ": set failed without a reason");
      out.info(what + ": set refused: " + st.message());
      return;
    }
    auto got = timings.time("get", [&] { return c->get(key); });
    if (!got.ok())
      problems.push_back(what + ": get failed: " + got.message());
    else if (!*got)
      problems.push_back(what + ": get missed right after set");
    else if (**got != value)
      problems.push_back(what + ": get returned " + std::to_string((*got)->size()) + " byte(s), not the " +
                         std::to_string(value.size()) + " set");
    out.step("del of " + what);
    if (auto d = c->del(key); !d.ok()) problems.push_back(what + ": del failed: " + d.message());
    auto after = c->get(key);
    if (after.ok() && *after) problems.push_back(what + ": get still finds the key after del");
  };
  roundtrip("a plain key", "validate:plain", "value");
  roundtrip("an empty value", "validate:empty-value", "");
  roundtrip("a binary key and value", std::string("validate:bin\0\x01\xff", 16), std::string("\0\xfe\xff\n\r", 5));
  roundtrip("a 1 MiB value", "validate:big", std::string(1 << 20, '\xa5'));
  roundtrip("an empty key", "", "v");
  if (stored == 0)
    problems.push_back(
        "every set was refused, so nothing could be checked (is the store reachable? "
        "pass its settings with --config)");
  std::string joined;
  for (const auto& x : problems) joined += (joined.empty() ? "" : "; ") + x;
  out.check(problems.empty(), "cache-roundtrip",
            "get returns what set stored (plain, empty, binary, 1 MiB); del removes it", joined);

  out.step("add() on a new and an existing key");
  if (auto a = c->add("validate:add", "1", ttl); a.ok()) {
    auto again = c->add("validate:add", "2", ttl);
    auto v = c->get("validate:add");
    out.check(*a && again.ok() && !*again && v.ok() && *v && **v == "1", "cache-add",
              "add stores a new key once and never overwrites",
              "add overwrote an existing key or did not store a new one");
    (void)c->del("validate:add");
  } else {
    out.info("add: " + a.message());
  }

  out.step("scan() by prefix");
  for (int i = 0; i < 3; ++i) (void)c->set("validate:scan:" + std::to_string(i), "x", ttl);
  size_t found = 0;
  if (auto st = c->scan("validate:scan:",
                        [&](std::string_view, std::string_view, std::chrono::milliseconds) {
                          ++found;
                          return true;
                        });
      st.ok()) {
    out.check(found == 3, "cache-scan", "scan finds the 3 keys written under its prefix",
              "scan found " + std::to_string(found) + " of the 3 keys written under its prefix");
  } else {
    out.info("scan: " + st.message());
  }
  (void)c->del_prefix("validate:scan:");

  out.step("4 threads x 250 set/get of their own keys");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        const std::string k = "validate:ts:" + std::to_string(t) + ":" + std::to_string(i % 20);
        const std::string v = std::to_string(t * 1000 + i);
        if (!c->set(k, v, ttl).ok()) continue;
        auto g = c->get(k);
        if (!g.ok() || !*g || **g != v) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  out.check(wrong == 0, "cache-concurrency", "1,000 concurrent set/get pairs, each read back its own value",
            std::to_string(wrong.load()) + " concurrent get(s) did not return the value just set");
  (void)c->del_prefix("validate:");
  c->stop();
  timings.report(out);
}

plugin_host::RenderedNotification sample_notification(int i, int alerts) {
  plugin_host::RenderedNotification r;
  auto& n = r.notification;
  n.receiver = "validate";
  n.group_key = "{}:{alertname=\"Validate\"}";
  n.group_labels = {{"alertname", "Validate"}};
  n.reason = "first notification";
  n.sequence = static_cast<uint64_t>(i + 1);
  n.idempotency_key = "validate-" + std::to_string(i);
  n.created_at = alerting::Clock::now();
  for (int a = 0; a < alerts; ++a) {
    alerting::NotifiedAlert na;
    na.alert.labels = {{"alertname", "Validate"}, {"instance", "host-" + std::to_string(a)}, {"severity", "warning"}};
    na.alert.annotations = {{"summary", "validation notification \xe2\x9c\x93 <b>&amp;</b>"}};
    na.alert.starts_at = alerting::Clock::now();
    n.alerts.push_back(std::move(na));
  }
  n.common_labels = {{"alertname", "Validate"}, {"severity", "warning"}};
  r.title = "[FIRING:" + std::to_string(alerts) + "] Validate";
  r.body = "validation body";
  r.json_body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[]}";
  return r;
}

void check_notifier(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, Findings& out) {
  auto n = started<plugin_host::NotifierInstance>(s, p, "notifiers", out);
  if (!n) return;
  Timings timings;
  bool reasons_ok = true;
  for (int size : {1, 20}) {
    std::vector<plugin_host::RenderedNotification> items;
    for (int i = 0; i < size; ++i) items.push_back(sample_notification(i, i % 5 + 1));
    std::vector<const plugin_host::RenderedNotification*> batch;
    for (const auto& it : items) batch.push_back(&it);
    out.step("deliver() of a batch of " + std::to_string(size));
    auto results = timings.time("deliver", [&] { return n->deliver(batch, mono_in(std::chrono::seconds(10))); });
    size_t delivered = 0;
    for (const auto& r : results) {
      if (r.kind == plugin_host::DeliveryResult::Kind::delivered) ++delivered;
      if (r.kind != plugin_host::DeliveryResult::Kind::delivered && gave_no_reason(r.error)) reasons_ok = false;
    }
    out.info("batch of " + std::to_string(size) + ": " + std::to_string(delivered) + " delivered" +
             (results.empty() || delivered == results.size() ? "" : "; first failure: " + results.back().error));
  }
  out.check(reasons_ok, "errors-have-reasons", "every undelivered notification carries a reason",
            "a notification was not delivered and the plugin gave no reason (set results[i] and use host->fail)");
  out.step("deliver() with its deadline already passed");
  auto item = sample_notification(0, 1);
  const auto t0 = Clock::now();
  (void)n->deliver({&item}, mono_in(std::chrono::milliseconds(-1)));
  const double late = seconds_since(t0);
  out.check(late < 2, "deadline", "returned in " + fixed(late, 3) + " s with a passed deadline",
            "took " + fixed(late, 2) + " s with a passed deadline (respect deadline_mono_ns)");
  n->stop();
  timings.report(out);
}

void check_scenario(const Subject& s, const std::shared_ptr<const LoadedPlugin>& p, Findings& out) {
  auto sc = started<plugin_host::ScenarioInstance>(s, p, "scenarios", out);
  if (!sc) return;
  Timings timings;
  if (sc->transport() == VIGIL_SCENARIO_HTTP) {
    out.step("setup steps");
    uint32_t steps = 0;
    bool setup_ok = true;
    for (; steps < 100; ++steps) {
      load::HttpRequestSpec req;
      auto more = sc->setup_request(steps, req);
      if (!more.ok() || !*more) {
        setup_ok = more.ok() || !gave_no_reason(more.message());
        break;
      }
      load::HttpReplyView reply{200, {}, "{}"};
      (void)sc->check_setup(steps, reply);
    }
    out.check(steps < 100 && setup_ok, "setup-steps", std::to_string(steps) + " setup step(s), then the end",
              steps >= 100 ? "setup steps never end (return VIGIL_E_NOT_FOUND after the last)"
                           : "a setup step failed without a reason");
    out.step("build_http() for requests 0..199");
    size_t built = 0;
    std::string err;
    for (uint64_t seq = 0; seq < 200; ++seq) {
      load::HttpRequestSpec req;
      auto st = timings.time("build_http", [&] { return sc->build(seq, req); });
      if (st.ok())
        ++built;
      else
        err = st.message();
    }
    out.check(built == 200 || !gave_no_reason(err), "build", std::to_string(built) + " of 200 requests built",
              "build_http failed without a reason");
    const std::string big(1 << 20, '\xff');
    const std::string long_header(8192, 'h');
    const std::vector<std::pair<const char*, load::HttpReplyView>> replies = {
        {"a 500 reply", {500, {}, "internal error"}},
        {"an empty 200 reply", {200, {}, ""}},
        {"a 1 MiB binary body", {200, {}, big}},
        {"JSON null", {200, {{"content-type", "application/json"}}, "null"}},
        {"truncated JSON", {200, {{"content-type", "application/json"}}, "{\"result\": [1, 2"}},
        {"an 8 KiB header", {200, {{"x-long", long_header}}, "{}"}},
    };
    for (const auto& [what, reply] : replies) {
      out.step(std::string("check_http() with ") + what);
      (void)timings.time("check_http", [&] { return sc->check(1, reply); });
    }
    out.pass("hostile-replies",
             "check_http answered 500s, empty, binary, 1 MiB, truncated and oversized-header replies");
  } else if (sc->transport() == VIGIL_SCENARIO_CALL) {
    out.step("call() with its deadline already passed");
    const auto t0 = Clock::now();
    std::string err;
    (void)sc->call(0, mono_in(std::chrono::milliseconds(-1)), err);
    const double late = seconds_since(t0);
    out.check(late < 2, "deadline", "returned in " + fixed(late, 3) + " s with a passed deadline",
              "took " + fixed(late, 2) + " s with a passed deadline (respect deadline_mono_ns)");
  } else if (sc->transport() == VIGIL_SCENARIO_WEBSOCKET) {
    out.step("build_ws_message() and check_ws_message() with garbage");
    for (uint64_t seq = 0; seq < 10; ++seq) {
      std::string msg;
      bool binary = false;
      (void)timings.time("build_ws_message", [&] { return sc->build_message(0, seq, msg, binary); });
      (void)timings.time("check_ws_message", [&] { return sc->check_message(0, seq, "\xff\xfe garbage", true); });
    }
    out.pass("hostile-replies", "check_ws_message answered binary garbage");
  } else {
    out.fail("transport", "unknown transport " + std::to_string(sc->transport()));
  }
  sc->stop();
  timings.report(out);
}

// Runs one group in a child process and relays its findings; a crash or hang is a failure of
// the rule named, at the step the child last announced.
struct Tally {
  int passed = 0, failed = 0;
};

void run_group(const std::string& group, const std::function<void(Findings&)>& body, int timeout_s, std::ostream& out,
               Tally& tally) {
  int fds[2];
  if (::pipe(fds) != 0) {
    out << "  FAIL " << group << ": cannot create a pipe\n";
    ++tally.failed;
    return;
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    Findings f(fds[1]);
    body(f);
    ::close(fds[1]);
    std::exit(0);  // not _exit: the sanitizers' leak check runs at exit
  }
  ::close(fds[1]);
  std::string buffer, last_step;
  bool timed_out = false;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  // One report line: verdict, the rule in a 20-column field, the detail.
  auto verdict = [&](bool pass, const std::string& rule, const std::string& detail) {
    (pass ? tally.passed : tally.failed) += 1;
    out << "  " << (pass ? "PASS " : "FAIL ") << rule << std::string(rule.size() < 20 ? 20 - rule.size() : 1, ' ')
        << detail << "\n";
  };
  auto handle = [&](const std::string& line) {
    std::vector<std::string> parts;
    std::string cur;
    for (char ch : line) {
      if (ch == '\t' && parts.size() < 2) {
        parts.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    parts.push_back(cur);
    if (parts.size() < 3) return;
    if (parts[0] == "STEP") {
      last_step = parts[2];
    } else if (parts[0] == "INFO") {
      out << "       " << parts[2] << "\n";
    } else {
      verdict(parts[0] == "PASS", parts[1], parts[2]);
    }
  };
  char chunk[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000))) <= 0) continue;
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      handle(buffer.substr(0, nl));
      buffer.erase(0, nl + 1);
    }
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string where = last_step.empty() ? "" : " during " + last_step;
  if (timed_out)
    verdict(false, group + "-hang",
            "no answer after " + std::to_string(timeout_s) + " s" + where +
                " (poll host->should_stop() and honour deadlines)");
  else if (WIFSIGNALED(status))
    verdict(false, group + "-crash", std::string("the plugin crashed (") + ::strsignal(WTERMSIG(status)) + ")" + where);
  else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    verdict(false, group + "-exit",
            "the check process exited with status " + std::to_string(WEXITSTATUS(status)) + where +
                " (under the sanitizer build: a memory error or a leak, reported above)");
}

}  // namespace

int validate_plugin(const ValidateOptions& o, std::ostream& out) {
  Subject s;
  s.file = o.plugin_file;
  if (!o.config_file.empty()) {
    auto text = config::read_bounded_file(o.config_file, config::kMaxConfigFileBytes, "settings file",
                                          config::FileSource::regular_or_stream);
    if (!text.ok()) {
      out << "error: " << text.message() << "\n";
      return 2;
    }
    s.body = std::move(text.value());
  }
  // Loaded here only to learn what the plugin provides; each group loads it again in its child.
  std::vector<std::string> provides;
  std::string name;
  {
    int fds[2];
    if (::pipe(fds) != 0) return 2;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      auto p = plugin_host::load_plugin(s.file);
      std::string text = p.ok() ? p.value()->name + "\n" : "";
      if (p.ok())
        for (const auto& i : p.value()->provides) text += i + "\n";
      (void)!::write(fds[1], text.data(), text.size());
      ::_exit(p.ok() ? 0 : 1);
    }
    ::close(fds[1]);
    std::string text;
    char buf[1024];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::istringstream lines(text);
    std::getline(lines, name);
    for (std::string l; std::getline(lines, l);) provides.push_back(l);
  }

  out << "vigil plugins validate " << s.file << (o.config_file.empty() ? "" : " --config " + o.config_file) << "\n";
  Tally tally;
  run_group(
      "entry", [&](Findings& f) { check_entry(s, f); }, o.group_timeout_seconds, out, tally);
  if (name.empty()) {
    out << "result: the plugin does not load; nothing else can be checked\n";
    return 1;
  }
  auto in_child = [&](const std::function<void(const std::shared_ptr<const LoadedPlugin>&, Findings&)>& fn) {
    return [&s, fn](Findings& f) {
      auto p = plugin_host::load_plugin(s.file);
      if (!p.ok()) {
        f.fail("entry", p.message());
        return;
      }
      fn(p.value(), f);
    };
  };
  for (const auto& iface : provides) {
    const std::string section = section_of(iface);
    if (section.empty()) continue;
    out << iface << " (as [[" << section << "." << name << "]])\n";
    auto groups = std::vector<
        std::pair<std::string, std::function<void(const std::shared_ptr<const LoadedPlugin>&, Findings&)>>>{};
    if (iface == VIGIL_IFACE_COLLECTOR) {
      groups.push_back(
          {"create", [&](auto& p, Findings& f) { check_create<plugin_host::CollectorInstance>(s, p, section, f); }});
      groups.push_back({"lifecycle", [&](auto& p, Findings& f) {
                          check_lifecycle<plugin_host::CollectorInstance>(s, p, section, f);
                        }});
      groups.push_back({"collect", [&](auto& p, Findings& f) { check_collector(s, p, f); }});
    } else if (iface == VIGIL_IFACE_CACHE) {
      groups.push_back(
          {"create", [&](auto& p, Findings& f) { check_create<plugin_host::CacheInstance>(s, p, section, f); }});
      groups.push_back(
          {"lifecycle", [&](auto& p, Findings& f) { check_lifecycle<plugin_host::CacheInstance>(s, p, section, f); }});
      groups.push_back({"cache", [&](auto& p, Findings& f) { check_cache(s, p, f); }});
    } else if (iface == VIGIL_IFACE_NOTIFIER) {
      groups.push_back(
          {"create", [&](auto& p, Findings& f) { check_create<plugin_host::NotifierInstance>(s, p, section, f); }});
      groups.push_back({"lifecycle", [&](auto& p, Findings& f) {
                          check_lifecycle<plugin_host::NotifierInstance>(s, p, section, f);
                        }});
      groups.push_back({"deliver", [&](auto& p, Findings& f) { check_notifier(s, p, f); }});
    } else if (iface == VIGIL_IFACE_SCENARIO) {
      groups.push_back(
          {"create", [&](auto& p, Findings& f) { check_create<plugin_host::ScenarioInstance>(s, p, section, f); }});
      groups.push_back({"lifecycle", [&](auto& p, Findings& f) {
                          check_lifecycle<plugin_host::ScenarioInstance>(s, p, section, f);
                        }});
      groups.push_back({"scenario", [&](auto& p, Findings& f) { check_scenario(s, p, f); }});
    }
    for (const auto& [group, fn] : groups) run_group(group, in_child(fn), o.group_timeout_seconds, out, tally);
  }
  const int total = tally.passed + tally.failed;
  if (tally.failed == 0)
    out << "result: all " << total << " rules kept\n";
  else
    out << "result: " << tally.failed << " of " << total << " rules broken\n";
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace vigil::app
