// Settings: the typed, validated form of a vigil TOML configuration. Plain data; every field
// states its default. Produced by load_config() (toml_loader.h); immutable once loaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/plugin_table.h"

namespace vigil::config {

using std::chrono::nanoseconds;

// [agent]
struct AgentSettings {
  nanoseconds interval = std::chrono::seconds(10);          // default collection interval
  nanoseconds jitter = nanoseconds(0);                      // random delay of each run, in [0, jitter)
  nanoseconds timeout = std::chrono::seconds(5);            // per-collection deadline (capped at interval)
  nanoseconds max_backoff = std::chrono::minutes(5);        // cap of a failing instance's interval
  nanoseconds shutdown_timeout = std::chrono::seconds(10);  // drain deadline on SIGTERM
  std::vector<std::string> plugin_dirs;                     // searched first, then the built-in directories
  std::string config_dir;                                   // extra *.toml files with plugin instances ("" = none)
  std::string hostname;                                     // "" = the machine's hostname
  std::string state_dir = "data";                           // durable state; relative = to the working directory
  uint64_t sample_limit = 100000;                           // samples one collection may emit; more fail it whole
  std::string default_isolation = "none";                   // "isolation" of instances without their own

  bool operator==(const AgentSettings&) const = default;
};

// [log]
struct LogSettings {
  std::string level = "info";     // trace|debug|info|warn|error
  std::string format = "json";    // json|text
  std::string file;               // "" = stderr
  uint64_t max_size = 10u << 20;  // rotate the file at this size
  uint32_t max_files = 5;         // rotated files kept

  bool operator==(const LogSettings&) const = default;
};

// [[http.tokens]]: a named API token and what it may do. The audit trail names its holder
// ("token:NAME"), whatever a request body claims.
struct ApiTokenSettings {
  std::string name;                 // [a-z0-9_.-]+, unique
  std::string token;                // the secret, or
  std::string token_file;           // read from the first line of this file
  std::vector<std::string> scopes;  // "read", "write" (silences, acks, reload …), "ingest" (posting alerts)
  std::string where;                // file:line:col of the table, for errors found later

  bool operator==(const ApiTokenSettings&) const = default;
};

// [http]
struct HttpSettings {
  std::string listen = "127.0.0.1:9479";                // host:port; port 0 picks a free port
  uint32_t max_connections = 512;                       // further connections are closed at once
  uint32_t max_connections_per_client = 64;             // the same, counted per client IP address
  uint32_t api_workers = 4;                             // threads running API requests
  uint32_t api_queue = 256;                             // API requests waiting for one; more get 503
  nanoseconds read_timeout = std::chrono::seconds(10);  // to receive one whole request, and
                                                        // the longest keep-alive wait for the next
  uint64_t max_header_bytes = 8u << 10;
  uint64_t max_body_bytes = 1u << 20;
  std::string api_token;             // bearer token required by mutating API calls ("" and no file: they are refused)
  std::string api_token_file;        // or read it from this file (first line)
  bool read_requires_token = false;  // reads need a token with the read scope too
  std::vector<ApiTokenSettings> tokens;  // named tokens; api_token is one more, named "api", with every scope
  std::string web_config_file;           // exporter-toolkit web config: TLS, basic auth ("" = plain HTTP)
  // /metrics answers from a rendering at most this old, so a burst of scrapes renders once; 0 = off
  nanoseconds metrics_snapshot = std::chrono::seconds(1);

  bool operator==(const HttpSettings&) const = default;
};

// How a [[scenarios.NAME]] runs (host keys of that table; `vigil bench run` flags override them).
// One step of a staged ramp: the level moves to `target` over `duration`.
struct BenchStage {
  nanoseconds duration{0};
  double target = 0;

  bool operator==(const BenchStage&) const = default;
};

struct BenchSettings {
  std::string target;     // http://host:port
  int64_t vus = 10;       // connections (closed model; the start of its stages), or the most the open model may use
  double rate = 0;        // > 0: the open model, requests a second (the start of its stages)
  bool rate_set = false;  // `rate` was given: stage targets are rates (the open model)
  std::vector<BenchStage> stages;  // staged ramps (k6's ramping-vus / ramping-arrival-rate); replace duration
  nanoseconds schedule{0};         // > 0: `vigil run` runs the scenario this often (a synthetic probe)
  bool abort_on_fail = false;      // a threshold failing during the run ends it (k6's abortOnFail)
  std::string tls_ca_file;         // https/wss: PEM certificates trusted besides the system's
  bool tls_skip_verify = false;    // https/wss: do not check the server's certificate
  nanoseconds duration = std::chrono::seconds(10), warmup{0};
  int64_t threads = 1;
  nanoseconds request_timeout = std::chrono::seconds(10);
  std::vector<std::string> thresholds;                     // "p95 < 200ms"
  std::vector<std::pair<std::string, std::string>> goals;  // for compare: metric -> "+50%"

  bool operator==(const BenchSettings&) const = default;
};

// One [[collectors.NAME]] table.
struct InstanceSettings {
  std::string kind;         // "collector", "notifier", "cache" or "scenario"
  std::string plugin;       // NAME: the plugin's declared name
  std::string alias;        // unique per plugin; defaults to NAME, or NAME-<n> for the n-th (n > 1)
  nanoseconds interval{0};  // 0 = agent interval
  nanoseconds timeout{0};   // 0 = agent timeout
  bool optional = false;    // a failure to load or start is logged, not fatal
  std::vector<std::pair<std::string, std::string>> labels;  // added to every sample
  std::string rate_limit;     // notifiers: at most this many deliveries, e.g. "20/m" ("" = no limit)
  uint64_t sample_limit = 0;  // collectors: samples one collection may emit (the loader sets [agent]'s when 0)
  // Collectors: "none" runs the plugin inside the agent, "process" in a vigil-plugin-host of its
  // own (the loader sets [agent]'s default_isolation when the table has none).
  std::string isolation;
  uint64_t memory_limit = 0;  // isolation = "process": the host's address space in bytes (0 = no limit)
  BenchSettings bench;        // scenarios only
  PluginTable table;          // the plugin's own keys (host keys above removed)
  std::string where;          // file:line:col of the table
  // Identity for reload: instances with equal keys are kept running across a reload.
  std::string identity() const;
};

// [rules]
struct RulesSettings {
  std::vector<std::string> files;  // globs of Prometheus rule files, relative to the config file
  nanoseconds evaluation_interval = std::chrono::seconds(30);  // groups without their own interval
  nanoseconds lookback = std::chrono::minutes(5);              // instant selectors look back this far
  uint64_t max_series = 100000;                                // recent-sample store limits
  uint64_t max_bytes = 64u << 20;
  std::vector<std::pair<std::string, std::string>> external_labels;  // $externalLabels in templates
  nanoseconds for_grace_period = std::chrono::minutes(10);           // Prometheus' --rules.alert.for-grace-period
  nanoseconds for_outage_tolerance = std::chrono::hours(1);          // Prometheus' --rules.alert.for-outage-tolerance

  bool operator==(const RulesSettings&) const = default;
};

// [cache.namespaces.NAME]: per-namespace behaviour of the cache facade.
struct CacheNamespaceSettings {
  std::string name;
  nanoseconds ttl = std::chrono::minutes(5);
  nanoseconds negative_ttl = std::chrono::seconds(30);  // 0 = "not found" is not cached
  double ttl_jitter = 0.1;
  bool early_refresh = false;
  nanoseconds load_wait = std::chrono::seconds(5);
  uint64_t max_key_bytes = 1024;
  uint64_t max_value_bytes = 1u << 20;
  bool snapshot = false;  // saved to <state_dir>/cache/<name>.snapshot at stop, loaded at start

  bool operator==(const CacheNamespaceSettings&) const = default;
};

// [cache]
struct CacheSettings {
  std::string backend;  // alias of a [[caches.NAME]] instance, or "tiered"; "" = the first one (none: no cache)
  std::string tiered_l1 = "memory", tiered_l2 = "redis";  // [cache.tiered] l1, l2: instance aliases
  nanoseconds tiered_l1_ttl = std::chrono::minutes(1);    // [cache.tiered] l1_ttl: longest life of a copy
  CacheNamespaceSettings defaults;                        // namespaces not listed, e.g. each plugin's own
  std::vector<CacheNamespaceSettings> namespaces;

  bool operator==(const CacheSettings&) const = default;
};

struct Settings {
  std::string source_file;
  AgentSettings agent;
  LogSettings log;
  HttpSettings http;
  RulesSettings rules;
  PluginTable alerting;  // [alerting]: routes, receivers, inhibition, time intervals (see alerting/config.h)
  std::vector<InstanceSettings> collectors;
  std::vector<InstanceSettings> notifiers;  // [[notifiers.NAME]]
  CacheSettings cache;
  std::vector<InstanceSettings> caches;     // [[caches.NAME]]
  std::vector<InstanceSettings> scenarios;  // [[scenarios.NAME]]
};

}  // namespace vigil::config
