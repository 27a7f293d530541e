// `vigil run`: the wiring of the agent. Construct, connect, run until a signal.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/config_source.h"
#include "app/plugin_dirs.h"
#include "app/readiness.h"
#include "http/http_server.h"
#include "log/log.h"
#include "metrics/agent_metrics.h"
#include "metrics/sample_store.h"
#include "plugin_host/plugin_catalog.h"
#include "app/alerting_api.h"
#include "app/agent_status.h"
#include "app/bench_api.h"
#include "app/console_routes.h"
#include "app/alerting_setup.h"
#include "app/agent_cache.h"
#include "cache/local_backend.h"
#include "plugin_host/instance_context.h"
#include "app/rules_api.h"
#include "app/scheduled_scenarios.h"
#include "app/service_notify.h"
#include "runtime/collector_set.h"
#include "runtime/rule_scheduler.h"
#include "runtime/scheduler.h"

namespace vigil::app {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A root agent holding many connections needs more than the default 1024 descriptors.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void log_problems(const Problems& problems, const char* msg) {
  for (const auto& p : problems) log::error("config", msg, {{"problem", p}});
}

// State the HTTP handlers read; written on the control thread.
struct AgentState {
  std::atomic<bool> config_loaded{false};
  std::atomic<bool> plugins_started{false};
  std::string config_source;
  const AgentCache* cache = nullptr;  // null: no cache configured
  std::chrono::nanoseconds metrics_snapshot{0};
  StatusBoard* status = nullptr;
  std::string report_dir;  // scheduled scenario reports; "" = none kept
};

// Names this process in the notification log shared by replicas: host and pid.
std::string replica_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown-host");
  return std::string(host) + "/" + std::to_string(getpid());
}

std::string base_dir_of(const std::string& config_path) {
  const auto slash = config_path.rfind('/');
  return slash == std::string::npos ? std::string(".") : config_path.substr(0, slash);
}

std::shared_ptr<http::Router> make_router(metrics::AgentMetrics& m, metrics::SampleStore& store,
                                          runtime::CollectorSet& collectors, runtime::RuleScheduler& rules,
                                          runtime::AlertingService& alerting, const ApiAuth& auth, AgentState& state) {
  auto r = std::make_shared<http::Router>();
  // A burst of scrapes (several Prometheus servers, dashboards) renders once per snapshot TTL:
  // concurrent requests wait for the one rendering in progress (the cache's singleflight).
  const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(state.metrics_snapshot);
  cache::NamespaceOptions o;
  o.ttl = ttl;
  o.ttl_jitter = 0;
  o.negative_ttl = std::chrono::milliseconds(0);
  o.max_value_bytes = size_t{1} << 30;
  auto snapshot = std::make_shared<cache::Namespace>("vigil.metrics", o, std::make_shared<cache::LocalBackend>(), [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  r->add(
      "GET", "/metrics",
      [&m, &store, snapshot, ttl](const http::Request&) {
        std::string text;
        if (ttl.count() > 0) {
          auto got = snapshot->get_or_load("text", [&]() -> Result<std::optional<std::string>> {
            return std::optional<std::string>(m.render(store));
          });
          if (got.ok() && *got) text = std::move(**got);
        }
        if (text.empty()) text = m.render(store);
        return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", std::move(text)};
      },
      http::Lane::scrape);
  r->add(
      "GET", "/healthz",
      [](const http::Request&) {
        return http::Response{200, "text/plain; charset=utf-8", "ok\n"};
      },
      http::Lane::probe);
  r->add("GET", "/api/v1/rules", guarded(auth, "", [&rules](const http::Request&, const std::string&) {
           return http::Response{200, "application/json", rules_json(rules.snapshot())};
         }));
  r->add(
      "GET", "/readyz",
      [&collectors, &state, &alerting](const http::Request&) {
        auto rd =
            evaluate_readiness(state.config_loaded, state.plugins_started, state.config_source, collectors.statuses(),
                               alerting.db_error(), state.cache ? state.cache->problem() : "",
                               state.cache ? state.cache->description() : "", collectors.quarantined());
        return http::Response{rd.ready ? 200u : 503u, "application/json", std::move(rd.json)};
      },
      http::Lane::probe);
  r->add("GET", "/api/v1/status",
         guarded(auth, "", [&collectors, &state, &alerting](const http::Request&, const std::string&) {
           LiveStatus live{collectors.statuses(), alerting.db_error(), state.cache ? state.cache->description() : "",
                           state.cache ? state.cache->problem() : ""};
           return http::Response{200, "application/json",
                                 "{\"status\":\"success\",\"data\":" + state.status->json(live) + "}\n"};
         }));
  add_alerting_routes(*r, alerting, rules, auth, [] { kill(getpid(), SIGHUP); });
  add_bench_routes(*r, state.report_dir, auth);
  add_console_routes(*r);
  return r;
}

// Validates the new config fully (plugins' create included) and swaps in what changed.
void reload(const std::string& path, const config::Settings& current, plugin_host::PluginCatalog& catalog,
            runtime::CollectorSet& collectors, runtime::RuleScheduler& rules, runtime::AlertingService& alerting,
            metrics::AgentMetrics& m, StatusBoard& board, config::Settings& applied) {
  log::info("agent", "reloading configuration", {{"config", path.empty() ? kEmbeddedConfigName : path}});
  auto reject = [&m, &board](const Problems& problems) {
    log_problems(problems, "reload rejected; the running configuration stays");
    m.config_reload(false, unix_now());
    board.record_reload(false, problems);
  };
  auto loaded = load_config(path);
  if (!loaded.ok()) {
    reject(loaded.problems);
    return;
  }
  auto new_rules = runtime::RuleScheduler::load(loaded.settings.rules, base_dir_of(path));
  if (!new_rules.problems.empty()) {
    reject(new_rules.problems);
    return;
  }
  auto prepared = collectors.prepare(loaded.settings, catalog);
  for (const auto& w : prepared.warnings) log::warn("config", "optional collector skipped", {{"problem", w}});
  Problems skipped = prepared.warnings;
  if (!prepared.problems.empty()) {
    reject(prepared.problems);
    return;
  }
  auto new_alerting = prepare_alerting(loaded.settings, catalog, &m);
  skipped.insert(skipped.end(), new_alerting.warnings.begin(), new_alerting.warnings.end());
  if (!new_alerting.problems.empty()) {
    reject(new_alerting.problems);
    return;
  }
  if (auto st = collectors.apply(std::move(prepared)); !st.ok()) {
    reject({st.message()});
    return;
  }
  collectors.set_series_store(new_rules.groups.empty() ? nullptr : &rules.series());
  rules.apply(std::move(new_rules));
  if (auto st = alerting.reconfigure(std::move(new_alerting.options.config)); !st.ok())
    log::error("alerting", "alerting settings not applied", {{"problem", st.message()}});
  std::vector<std::string> before, after;
  for (const auto& n : current.notifiers) before.push_back(n.identity());
  for (const auto& n : loaded.settings.notifiers) after.push_back(n.identity());
  if (before != after)
    log::warn("alerting", "[[notifiers]] changes take effect after a restart; routes and receivers were applied");
  if (auto st = log::configure(loaded.settings.log); !st.ok())
    log::error("log", "log settings not applied", {{"problem", st.message()}});
  std::vector<std::string> scenarios_before, scenarios_after;
  for (const auto& n : current.scenarios) scenarios_before.push_back(n.identity());
  for (const auto& n : loaded.settings.scenarios) scenarios_after.push_back(n.identity());
  if (scenarios_before != scenarios_after) log::warn("scenario", "[[scenarios]] changes take effect after a restart");
  auto without_web_config = [](config::HttpSettings h) {
    h.web_config_file.clear();  // applied by a reload
    return h;
  };
  if (!(without_web_config(loaded.settings.http) == without_web_config(current.http)))
    log::warn("http", "[http] changes take effect after a restart", {{"listen", current.http.listen}});
  std::vector<std::string> caches_before, caches_after;
  for (const auto& n : current.caches) caches_before.push_back(n.identity());
  for (const auto& n : loaded.settings.caches) caches_after.push_back(n.identity());
  if (!(loaded.settings.cache == current.cache) || caches_before != caches_after)
    log::warn("cache", "[cache] and [[caches]] changes take effect after a restart");
  applied = std::move(loaded.settings);
  m.config_reload(true, unix_now(), config_text_hash(path));
  board.record_plugins(catalog);
  board.record_skipped(skipped);
  board.record_reload(true, {});
  log::info("agent", "configuration reloaded");
}

}  // namespace

int run_agent(const std::string& config_path, const std::string& web_config_file) {
  const auto t0 = std::chrono::steady_clock::now();
  // Signals are taken synchronously by this thread; block them before any thread starts.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit (ulimit -f) makes a write fail like a full disk, instead of killing vigil.
  signal(SIGXFSZ, SIG_IGN);

  auto loaded = load_config(config_path);
  const std::string source = config_path.empty() ? kEmbeddedConfigName : config_path;
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << "error: " << p << "\n";
    std::cerr << source << ": " << loaded.problems.size() << " problem(s) found; not starting\n";
    return 2;
  }
  config::Settings settings = std::move(loaded.settings);
  // The --web.config.file flag wins over [http] web_config_file, now and at every reload.
  auto web_config = [&web_config_file](const config::Settings& s) {
    return web_config_file.empty() ? s.http.web_config_file : web_config_file;
  };
  if (auto st = log::configure(settings.log); !st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return 2;
  }
  raise_fd_limit();
  log::info("agent", "starting", {{"version", version()}, {"config", source}, {"pid", static_cast<int64_t>(getpid())}});

  plugin_host::PluginCatalog catalog(plugin_search_path(settings));

  metrics::AgentMetrics agent_metrics(version());
  metrics::SampleStore store;
  runtime::Scheduler scheduler;
  runtime::CollectorSet collectors(scheduler, agent_metrics, store);
  AgentState state;
  state.config_source = source;
  StatusBoard status(version(), source);
  state.status = &status;
  state.report_dir = settings.agent.state_dir.empty() ? "" : settings.agent.state_dir + "/bench";

  auto prepared = collectors.prepare(settings, catalog);
  for (const auto& w : prepared.warnings) log::warn("config", "optional collector skipped", {{"problem", w}});
  Problems skipped = prepared.warnings;  // optional instances, for the status page
  if (!prepared.problems.empty()) {
    log_problems(prepared.problems, "configuration rejected; not starting");
    for (const auto& p : prepared.problems) std::cerr << "error: " << p << "\n";
    return 2;
  }
  auto rule_files = runtime::RuleScheduler::load(settings.rules, base_dir_of(config_path));
  if (!rule_files.problems.empty()) {
    log_problems(rule_files.problems, "rule files rejected; not starting");
    for (const auto& p : rule_files.problems) std::cerr << "error: " << p << "\n";
    return 2;
  }
  runtime::RuleScheduler rules(scheduler, store, settings.rules,
                               settings.agent.state_dir.empty() ? "" : settings.agent.state_dir + "/rules-state.json");
  if (!rule_files.groups.empty()) collectors.set_series_store(&rules.series());

  // The cache plugins reach through host->cache_*: ready before any plugin starts.
  auto cache_prep = prepare_cache(settings, catalog);
  if (!cache_prep.problems.empty()) {
    log_problems(cache_prep.problems, "cache configuration rejected; not starting");
    for (const auto& p : cache_prep.problems) std::cerr << "error: " << p << "\n";
    return 2;
  }
  auto started_cache =
      AgentCache::start(std::move(cache_prep),
                        settings.agent.state_dir.empty() ? "" : settings.agent.state_dir + "/cache", scheduler, store);
  if (!started_cache.ok()) {
    log::error("cache", "the cache did not start; stopping", {{"problem", started_cache.message()}});
    std::cerr << "error: " << started_cache.message() << "\n";
    return 1;
  }
  std::unique_ptr<AgentCache> agent_cache = std::move(started_cache.value());
  state.cache = agent_cache.get();
  state.metrics_snapshot = settings.http.metrics_snapshot;

  auto alerting_prep = prepare_alerting(settings, catalog, &agent_metrics);
  for (const auto& w : alerting_prep.warnings) log::warn("config", "optional notifier skipped", {{"problem", w}});
  skipped.insert(skipped.end(), alerting_prep.warnings.begin(), alerting_prep.warnings.end());
  auto tokens = api_tokens(settings.http);
  if (!tokens.ok()) alerting_prep.problems.push_back(tokens.message());
  if (alerting_prep.options.config.replica_dedup) {
    const PreparedCache none;
    if (auto p = replica_dedup_problem(agent_cache ? agent_cache->prepared() : none, true); !p.empty()) {
      alerting_prep.problems.push_back(p);
    } else {
      // The lease outlives one delivery attempt; it lapses on its own if this process dies.
      alerting_prep.options.replicas = std::make_shared<runtime::ReplicaLog>(
          agent_cache->backend(), replica_id(),
          std::chrono::duration_cast<std::chrono::milliseconds>(alerting_prep.options.delivery_timeout) +
              std::chrono::seconds(10));
      log::info("alerting", "notifications are deduplicated with the other replicas",
                {{"replica", alerting_prep.options.replicas->replica_id()}});
    }
  }
  if (!alerting_prep.problems.empty()) {
    log_problems(alerting_prep.problems, "alerting configuration rejected; not starting");
    for (const auto& p : alerting_prep.problems) std::cerr << "error: " << p << "\n";
    return 2;
  }
  auto opened = runtime::AlertingService::create(alerting_prep.options, std::move(alerting_prep.notifiers), store);
  if (!opened.ok()) {
    log::error("alerting", "cannot open the alerting state", {{"problem", opened.message()}});
    std::cerr << "error: " << opened.message() << "\n";
    return 1;
  }
  std::unique_ptr<runtime::AlertingService> alerting = std::move(opened.value());
  Problems scenario_problems;
  auto scheduled = ScheduledScenarios::prepare(settings, catalog, scenario_problems);
  if (!scenario_problems.empty()) {
    log_problems(scenario_problems, "scenario configuration rejected; not starting");
    for (const auto& p : scenario_problems) std::cerr << "error: " << p << "\n";
    return 2;
  }
  rules.set_alert_sink([&alerting](const std::string& group, std::chrono::milliseconds interval,
                                   const std::vector<rules::Alert>& alerts,
                                   int64_t now_ms) { alerting->on_rule_alerts(group, interval, alerts, now_ms); });
  const ApiAuth auth{tokens.value(), settings.http.read_requires_token, &agent_metrics};
  state.config_loaded = true;
  agent_metrics.config_reload(true, unix_now(), config_text_hash(config_path));

  http::HttpServer server(
      settings.http, make_router(agent_metrics, store, collectors, rules, *alerting, auth, state),
      [&agent_metrics](const std::string& route, unsigned code, double secs) {
        agent_metrics.observe_http(route, code, secs);
      },
      [&agent_metrics](size_t open, const char* rejected) {
        agent_metrics.set_http_connections(static_cast<double>(open));
        if (rejected) agent_metrics.inc_http_rejected(rejected);
      });
  if (auto st = server.set_web_config(web_config(settings)); !st.ok()) {
    log::error("http", "the web config is not usable", {{"problem", st.message()}});
    std::cerr << "error: " << st.message() << "\n";
    return 1;
  }
  auto port = server.start();
  if (!port.ok()) {
    log::error("http", "cannot start the HTTP server", {{"problem", port.message()}});
    std::cerr << "error: " << port.message() << "\n";
    return 1;
  }
  const std::string host = settings.http.listen.substr(0, settings.http.listen.rfind(':'));
  log::info("http", "listening",
            {{"address", host + ":" + std::to_string(port.value())}, {"port", port.value()}, {"tls", server.tls()}});

  if (auto st = collectors.apply(std::move(prepared)); !st.ok()) {
    log::error("collector", "a collector failed to start; stopping", {{"problem", st.message()}});
    std::cerr << "error: " << st.message() << "\n";
    server.stop();
    return 1;
  }
  rules.apply(std::move(rule_files));
  if (auto st = alerting->start(scheduler); !st.ok()) {
    log::error("alerting", "a notifier failed to start; stopping", {{"problem", st.message()}});
    std::cerr << "error: " << st.message() << "\n";
    server.stop();
    return 1;
  }
  scheduled->start(store, state.report_dir);
  status.record_skipped(skipped);
  status.record_plugins(catalog);
  state.plugins_started = true;
  log::info("agent", "started",
            {{"collectors", collectors.size()},
             {"startup_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});

  // Under systemd (Type=notify): ready now; alive while the scheduler runs jobs.
  const auto notifier = ServiceNotifier::from_environment();
  auto notify = [&notifier](const std::string& message) {
    if (!notifier) return;
    if (auto st = notifier->send(message); !st.ok())
      log::warn("agent", "systemd notification failed", {{"problem", st.message()}});
  };
  notify("READY=1\nSTATUS=running, " + std::to_string(collectors.size()) + " collectors");
  if (notifier && notifier->watchdog_interval().count() > 0) {
    runtime::Job job;
    job.id = "systemd/watchdog";
    job.spec.interval = notifier->watchdog_interval();
    job.spec.timeout = notifier->watchdog_interval();
    job.run = [&notifier](runtime::Clock::time_point) { return notifier->send("WATCHDOG=1").ok(); };
    scheduler.add(std::move(job));
    log::info("agent", "systemd watchdog",
              {{"interval_seconds", std::chrono::duration<double>(notifier->watchdog_interval()).count()}});
  }

  while (true) {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGHUP) {
      notify(reloading_message());
      reload(config_path, settings, catalog, collectors, rules, *alerting, agent_metrics, status, settings);
      // Read again even when unchanged in the config: renewed certificates are picked up.
      if (auto st = server.set_web_config(web_config(settings)); !st.ok())
        log::error("http", "the web config is not applied; the previous one stays", {{"problem", st.message()}});
      notify("READY=1");
      continue;
    }
    log::info("agent", "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    notify("STOPPING=1");
    break;
  }
  // Shutdown: nothing is stopped or destroyed while a call into it may still be running. Every
  // scheduled run (collections, rule groups, the alerting tick, removed jobs' late runs) and every
  // delivery gets until the drain deadline; if one is still running then, the process exits
  // without running destructors under it.
  const auto drain_deadline = std::chrono::steady_clock::now() + settings.agent.shutdown_timeout;
  auto exit_abandoning = [](const char* what, size_t count) {
    log::warn("agent", "still running after the shutdown deadline; exiting without waiting for it",
              {{"what", what}, {"count", count}});
    log::flush();
    std::_Exit(0);
  };
  state.plugins_started = false;
  scheduled->stop();
  const size_t stuck = scheduler.stop(settings.agent.shutdown_timeout);
  if (stuck > 0) exit_abandoning("scheduled runs (collections, rule groups or the alerting tick)", stuck);
  rules.stop();
  if (!alerting->stop(scheduler, drain_deadline)) exit_abandoning("notifier deliveries", 1);
  collectors.clear();
  if (agent_cache) agent_cache->stop(scheduler);
  server.stop();
  log::info("agent", "stopped");
  log::flush();
  return 0;
}

}  // namespace vigil::app
