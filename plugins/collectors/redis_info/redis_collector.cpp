// The redis_info collector: on every run it connects to one Redis server (connect and command
// timeouts; AUTH and SELECT from a redis:// URL parsed with Boost.URL), times a PING, reads INFO
// and reports it under the metric names of the Prometheus redis_exporter (oliver006), so its
// dashboards and alerts apply. A server that is down, slow or refuses us is reported as
// redis_up 0 and logged once per outage; the collection itself still succeeds, as http_probe
// does for a failed target.
//
// Declared as "redis_info", not "redis": plugin names are one namespace across kinds and the
// redis cache backend already owns "redis" (and the file plugins/redis.so).
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/url/src.hpp>  // Boost.URL is compiled into this one file (Debian ships no library)
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <vigil/plugin.hpp>

#include "../../common/redis_reply_limits.hpp"
#include "../../common/redis_url.hpp"

// The INFO parser and the INFO -> metrics mapping are outside the anonymous namespace so the unit
// test can call them directly (it declares the same signatures; a mismatch fails to link).
namespace vigil::redis_info {

// section (lower-case, "" before the first "# Section" header) -> field -> raw value.
using InfoSections = std::map<std::string, std::map<std::string, std::string>>;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The whole of `s` as a number, or nothing (INFO also carries text such as versions and paths).
std::optional<double> to_number(std::string_view s) {
  s = trim(s);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const std::string* field(const InfoSections& info, const char* section, const char* key) {
  const auto s = info.find(section);
  if (s == info.end()) return nullptr;
  const auto f = s->second.find(key);
  return f == s->second.end() ? nullptr : &f->second;
}

// One INFO field reported as one metric, unchanged.
struct FieldMetric {
  const char* section;
  const char* field;
  const char* metric;
  bool counter;
  const char* help;
};

const FieldMetric kFieldMetrics[] = {
    {"server", "uptime_in_seconds", "redis_uptime_in_seconds", false, "Seconds since the Redis server started."},
    {"clients", "connected_clients", "redis_connected_clients", false,
     "Client connections open, replicas excluded (this collector holds one while it runs)."},
    {"clients", "blocked_clients", "redis_blocked_clients", false,
     "Clients waiting in a blocking command (BLPOP, XREAD, WAIT, ...)."},
    {"memory", "used_memory", "redis_memory_used_bytes", false, "Bytes allocated by Redis."},
    {"memory", "used_memory_rss", "redis_memory_used_rss_bytes", false,
     "Bytes of Redis memory resident in RAM, as the OS sees it."},
    {"memory", "used_memory_peak", "redis_memory_used_peak_bytes", false, "Most bytes Redis has had allocated."},
    {"memory", "maxmemory", "redis_memory_max_bytes", false, "The maxmemory setting in bytes (0: no limit)."},
    {"memory", "mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", false,
     "Resident memory divided by allocated memory."},
    {"stats", "total_connections_received", "redis_connections_received_total", true,
     "Connections accepted by the server (this collector opens one per run)."},
    {"stats", "total_commands_processed", "redis_commands_processed_total", true, "Commands processed by the server."},
    {"stats", "instantaneous_ops_per_sec", "redis_instantaneous_ops_per_sec", false,
     "Commands per second, as sampled by Redis."},
    {"stats", "total_net_input_bytes", "redis_net_input_bytes_total", true, "Bytes read from the network."},
    {"stats", "total_net_output_bytes", "redis_net_output_bytes_total", true, "Bytes written to the network."},
    {"stats", "rejected_connections", "redis_rejected_connections_total", true,
     "Connections rejected because maxclients was reached."},
    {"stats", "expired_keys", "redis_expired_keys_total", true, "Keys deleted because their TTL ran out."},
    {"stats", "evicted_keys", "redis_evicted_keys_total", true, "Keys evicted to stay under maxmemory."},
    {"stats", "keyspace_hits", "redis_keyspace_hits_total", true, "Key lookups that found the key."},
    {"stats", "keyspace_misses", "redis_keyspace_misses_total", true, "Key lookups that did not find the key."},
    {"replication", "connected_slaves", "redis_connected_slaves", false, "Replicas connected to this server."},
};

}  // namespace

// Parses the text of an INFO reply: "\r\n" or "\n" line ends, "# Section" headers, "key:value"
// lines (split at the first ':', so values may contain ':'). Blank lines and lines without a key
// are skipped; every field is kept, known or not, and the mapping picks what it reports.
InfoSections parse_info(std::string_view text) {
  InfoSections out;
  std::string section;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      section = std::string(trim(line.substr(1)));
      std::transform(section.begin(), section.end(), section.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out[section];  // a section with no fields (an empty Keyspace) is still present
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, colon));
    if (key.empty()) continue;
    out[section][std::string(key)] = std::string(trim(line.substr(colon + 1)));
  }
  return out;
}

// Parses a Keyspace value such as "keys=1,expires=0,avg_ttl=0" into {keys: 1, expires: 0,
// avg_ttl: 0}. Items without '=' or with a value that is not a number are skipped.
std::map<std::string, double> parse_keyspace_entry(std::string_view value) {
  std::map<std::string, double> out;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(item.substr(0, eq));
    if (auto n = to_number(item.substr(eq + 1)); n && !key.empty()) out[std::string(key)] = *n;
  }
  return out;
}

// Emits the metrics of one parsed INFO reply, each labelled target=`target`. Fields that are
// absent or not numbers are skipped. Every database in Keyspace is reported, and so is
// `watched_db` (the URL's database) with 0 keys when Redis leaves it out for being empty, so
// its series never vanishes.
void emit_info(const vigil::sdk::Context& ctx, const InfoSections& info, const std::string& target, int watched_db) {
  const vigil::sdk::Labels l{{"target", target}};
  for (const auto& m : kFieldMetrics) {
    const std::string* raw = field(info, m.section, m.field);
    const auto v = raw ? to_number(*raw) : std::nullopt;
    if (!v) continue;
    if (m.counter)
      ctx.counter(m.metric, *v, l, m.help);
    else
      ctx.gauge(m.metric, *v, l, m.help);
  }
  auto text = [&](const char* section, const char* key) {
    const std::string* v = field(info, section, key);
    return v ? *v : std::string();
  };
  const std::string role = text("replication", "role");
  ctx.gauge("redis_instance_info", 1,
            {{"target", target},
             {"role", role},
             {"redis_version", text("server", "redis_version")},
             {"redis_mode", text("server", "redis_mode")}},
            "Always 1; the labels say the server's replication role (master or slave), version and mode.");
  if (role == "slave")
    ctx.gauge("redis_master_link_up", text("replication", "master_link_status") == "up" ? 1 : 0, l,
              "On a replica: whether the link to its master is up.");

  std::map<std::string, std::map<std::string, double>> dbs;
  if (const auto ks = info.find("keyspace"); ks != info.end())
    for (const auto& [db, value] : ks->second) dbs[db] = parse_keyspace_entry(value);
  dbs.try_emplace("db" + std::to_string(watched_db), std::map<std::string, double>{{"keys", 0}, {"expires", 0}});
  for (const auto& [db, values] : dbs) {
    const vigil::sdk::Labels dl{{"target", target}, {"db", db}};
    if (auto it = values.find("keys"); it != values.end())
      ctx.gauge("redis_db_keys", it->second, dl, "Keys in the database.");
    if (auto it = values.find("expires"); it != values.end())
      ctx.gauge("redis_db_keys_expiring", it->second, dl, "Keys in the database that have a TTL.");
    if (auto it = values.find("avg_ttl"); it != values.end())
      ctx.gauge("redis_db_avg_ttl_seconds", it->second / 1000.0, dl,
                "Average TTL of the keys with one, in seconds (0: none, or not yet sampled).");
  }
}

}  // namespace vigil::redis_info

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

using vigil::redis_url::parse_url;
using vigil::redis_url::Target;

// A duration key that must be longer than 0; `def_ns` when unset.
int64_t positive_duration(const Context& ctx, const std::string& key, int64_t def_ns, const char* example) {
  std::optional<int64_t> v;
  try {
    v = ctx.get_duration_ns(key);
  } catch (const Error&) {
    throw Error(VIGIL_E_CONFIG,
                "\"" + key + "\" must be a duration such as " + example + ", e.g. " + key + " = " + example);
  }
  if (!v) return def_ns;
  if (*v <= 0)
    throw Error(VIGIL_E_CONFIG, "\"" + key + "\" must be longer than 0, e.g. " + key + " = " + example +
                                    " (leave it out for the default)");
  return *v;
}

// hiredis takes timeouts as timeval; a zero timeval would mean "wait forever", so the least is 1 ms.
timeval to_timeval(int64_t ns) {
  ns = std::max<int64_t>(ns, 1'000'000);
  return timeval{static_cast<time_t>(ns / 1'000'000'000), static_cast<suseconds_t>((ns / 1000) % 1'000'000)};
}

std::string millis(int64_t ns) {
  return std::to_string(ns / 1'000'000) + "ms";
}

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Connection = std::unique_ptr<redisContext, ContextDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisCollector {
 public:
  explicit RedisCollector(Context& ctx) {
    const std::string url = ctx.get_string("url").value_or("redis://127.0.0.1:6379/0");
    target_ = parse_url(url);
    connect_timeout_ns_ = positive_duration(ctx, "connect_timeout", 1'000'000'000, "\"1s\"");
    command_timeout_ns_ = positive_duration(ctx, "command_timeout", 1'000'000'000, "\"1s\"");
    const std::string host = target_.host.find(':') == std::string::npos ? target_.host : "[" + target_.host + "]";
    address_ = host + ":" + std::to_string(target_.port);
    label_ = ctx.get_string("target_label").value_or(address_);
    if (label_.empty())
      throw Error(VIGIL_E_CONFIG, "\"target_label\" must not be empty; leave it out to use \"" + address_ + "\"");
    where_ = "redis://" + address_ + "/" + std::to_string(target_.db);
  }

  void collect(Context& ctx, int64_t deadline) {
    const vigil::sdk::Labels l{{"target", label_}};
    Scrape s;
    const std::string error = scrape(ctx, deadline, s);
    ctx.gauge("redis_up", error.empty() ? 1 : 0, l, "Whether the last connect, AUTH, SELECT, PING and INFO succeeded.");
    if (!error.empty()) {
      // Once per outage: a server that stays down must not write a line every interval.
      if (!down_) ctx.warn("Redis at " + where_ + " is down: " + error + "; redis_up is 0 until it answers");
      down_ = true;
      return;
    }
    if (down_) ctx.info("Redis at " + where_ + " answers again");
    down_ = false;
    ctx.gauge("redis_ping_seconds", s.ping_seconds, l, "Seconds a PING took to be answered.");
    vigil::redis_info::emit_info(ctx, vigil::redis_info::parse_info(s.info), label_, target_.db);
  }

 private:
  struct Scrape {
    double ping_seconds = 0;
    std::string info;
  };

  // One run: connect, AUTH, SELECT, a timed PING, INFO. Returns "" on success, else what failed
  // (never the password). Each step gets its own timeout, cut short by the collection deadline.
  std::string scrape(const Context& ctx, int64_t deadline, Scrape& out) const {
    const int64_t left = deadline - ctx.monotonic_ns();
    if (left <= 0) return "the collection deadline passed before connecting";
    const int64_t budget = std::min(connect_timeout_ns_, left);
    Connection c(redisConnectWithTimeout(target_.host.c_str(), target_.port, to_timeval(budget)));
    if (!c) return "cannot allocate a hiredis context";
    if (c->err)
      return "cannot connect to " + address_ + ": " + c->errstr +
             (budget < connect_timeout_ns_ ? " (cut to " + millis(budget) + " by the collection deadline)"
                                           : " (connect_timeout " + millis(connect_timeout_ns_) + ")");
    if (!vigil::redis_limits::bound(c->reader)) return "cannot allocate a hiredis reader";
    std::string why;
    if (target_.auth) {
      const bool ok = target_.user.empty()
                          ? run(ctx, c.get(), deadline, {"AUTH", target_.password}, why) != nullptr
                          : run(ctx, c.get(), deadline, {"AUTH", target_.user, target_.password}, why) != nullptr;
      if (!ok) return why + " (check the user and password in \"url\")";
    }
    if (target_.db != 0) {
      const std::string db = std::to_string(target_.db);
      if (!run(ctx, c.get(), deadline, {"SELECT", db}, why)) return why + " (check the database in \"url\")";
    }
    const int64_t t0 = ctx.monotonic_ns();
    const Reply pong = run(ctx, c.get(), deadline, {"PING"}, why);
    if (!pong) return why;
    out.ping_seconds = static_cast<double>(ctx.monotonic_ns() - t0) / 1e9;
    const Reply info = run(ctx, c.get(), deadline, {"INFO"}, why);
    if (!info) return why;
    if (info->type != REDIS_REPLY_STRING) return "INFO answered with a reply that is not text";
    out.info.assign(info->str, static_cast<size_t>(info->len));
    return "";
  }

  // Runs one command with command_timeout, or what is left before the deadline if less. On
  // failure returns nullptr and sets `why`: the command's name and the reason, no arguments.
  Reply run(const Context& ctx, redisContext* c, int64_t deadline, std::initializer_list<std::string_view> argv,
            std::string& why) const {
    const std::string name(*argv.begin());
    const int64_t left = deadline - ctx.monotonic_ns();
    if (left <= 0) {
      why = name + ": the collection deadline passed";
      return nullptr;
    }
    const int64_t budget = std::min(command_timeout_ns_, left);
    redisSetTimeout(c, to_timeval(budget));
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (auto a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data())));
    if (!r) {
      const bool timed_out = std::strcmp(c->errstr, std::strerror(EAGAIN)) == 0;
      why = name + " to " + address_ + " failed: " +
            (timed_out
                 ? "no reply within " + millis(budget) +
                       (budget < command_timeout_ns_ ? " (what the collection deadline left)" : " (command_timeout)")
                 : vigil::redis_limits::reply_error(c));
      return nullptr;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      why = name + " was refused: " + std::string(r->str, static_cast<size_t>(r->len));
      return nullptr;
    }
    return r;
  }

  Target target_;
  std::string address_, label_, where_;
  int64_t connect_timeout_ns_ = 0, command_timeout_ns_ = 0;
  bool down_ = false;  // the last run failed and said so in the log
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_SECRET, "redis://127.0.0.1:6379/0", 0, "redis://[[user]:password@]host[:port][/db]"},
    {"connect_timeout", VIGIL_CFG_DURATION, "1s", 0, "to open the connection (cut short by the collection deadline)"},
    {"command_timeout", VIGIL_CFG_DURATION, "1s", 0, "for each command's reply (cut short by the collection deadline)"},
    {"target_label", VIGIL_CFG_STRING, "HOST:PORT from the url", 0, "value of the `target` label"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_COLLECTOR(RedisCollector, "redis_info", "1.0.0",
                    "Redis server health from INFO and PING, with redis_exporter metric names", kSchema);
