#include "app/bench_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>
#include <ostream>
#include <sstream>

#include "config/bounded_read.h"
#include "app/agent_cache.h"
#include "app/cache_setup.h"
#include "app/commands.h"
#include "app/config_source.h"
#include "app/plugin_dirs.h"
#include "app/scenario_runner.h"
#include "config/duration.h"
#include "load/report.h"
#include "metrics/sample_store.h"
#include "load/thresholds.h"
#include "plugin_host/plugin_catalog.h"
#include "plugin_host/scenario_instance.h"
#include "runtime/scheduler.h"

namespace vigil::app {
namespace {

std::atomic<bool> g_abort{false};

// A value given on the command line as TOML: numbers, booleans, arrays, inline tables and quoted
// strings pass as they are; anything else is a string (a JSON object too: it has no '=').
std::string toml_value(const std::string& v) {
  const bool inline_table = !v.empty() && v[0] == '{' && v.find('=') != std::string::npos;
  if (v == "true" || v == "false" || inline_table || (!v.empty() && (v[0] == '"' || v[0] == '['))) return v;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  if (!v.empty() && end && *end == '\0') return v;
  std::string q = "\"";
  for (char c : v) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

}  // namespace

int bench_run(const BenchRunArgs& a, std::ostream& out, std::ostream& err) {
  // The scenario: a [[scenarios.NAME]] of the config, or the plugin with --set settings.
  // The config (or the embedded default) also gives the plugin directories and the cache that
  // scenarios reach through the host, as under `vigil run`.
  config::Settings settings;
  config::InstanceSettings inst;
  bool found = false;
  {
    auto loaded = load_config(a.config);
    if (!loaded.ok()) {
      for (const auto& p : loaded.problems) err << "error: " << p << "\n";
      return 2;
    }
    settings = loaded.settings;
    for (const auto& s : settings.scenarios)
      if (s.alias == a.scenario) {
        inst = s;
        found = true;
      }
  }
  if (!found) {
    std::string text = "[[scenarios." + a.scenario + "]]\n";
    for (const auto& kv : a.sets) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        err << "error: --set " << kv << ": write KEY=VALUE, e.g. --set path=/api/messages\n";
        return 2;
      }
      text += kv.substr(0, eq) + " = " + toml_value(kv.substr(eq + 1)) + "\n";
    }
    auto loaded = config::load_config_text(text, "--set");
    if (!loaded.ok()) {
      for (const auto& p : loaded.problems) err << "error: " << p << "\n";
      return 2;
    }
    inst = loaded.settings.scenarios.at(0);
  } else if (!a.sets.empty()) {
    err << "error: --set applies to scenarios named by plugin; \"" << a.scenario << "\" is a [[scenarios]] table of "
        << a.config << ": change its keys there\n";
    return 2;
  }
  auto& b = inst.bench;
  if (!a.target.empty()) b.target = a.target;
  if (a.vus > 0) b.vus = a.vus;
  if (a.rate >= 0) {
    b.rate = a.rate;
    b.rate_set = true;
  }
  if (!a.stages.empty()) {
    b.stages.clear();
    for (const auto& text : a.stages) {
      auto stage = load::parse_stage(text);
      if (!stage.ok()) {
        err << "error: --stage " << stage.message() << "\n";
        return 2;
      }
      b.stages.push_back({stage.value().duration, stage.value().target});
    }
    if (a.vus <= 0 && !b.rate_set) b.vus = 0;  // the closed model's stages start from 0 unless --vus says otherwise
  }
  if (a.threads > 0) b.threads = a.threads;
  for (const auto& [flag, text, into] :
       {std::tuple{"--duration", a.duration, &b.duration}, std::tuple{"--warmup", a.warmup, &b.warmup},
        std::tuple{"--timeout", a.request_timeout, &b.request_timeout}}) {
    if (text.empty()) continue;
    auto d = config::parse_duration(text);
    if (!d.ok()) {
      err << "error: " << flag << " " << text << ": " << d.message() << "\n";
      return 2;
    }
    *into = d.value();
  }
  for (const auto& t : a.thresholds) b.thresholds.push_back(t);
  if (a.abort_on_fail) b.abort_on_fail = true;
  if (!a.tls_ca_file.empty()) b.tls_ca_file = a.tls_ca_file;
  if (a.tls_skip_verify) b.tls_skip_verify = true;
  auto thresholds = parse_thresholds(inst);
  if (!thresholds.ok()) {
    err << "error: " << thresholds.message() << "\n";
    return 2;
  }

  plugin_host::PluginCatalog catalog(plugin_search_path(settings));
  auto plugin = catalog.find(inst.plugin);
  if (!plugin) {
    err << "error: " << (found ? inst.where + ": " : "") << catalog.not_found_message(inst.plugin, "scenario") << "\n";
    return 2;
  }
  auto created = plugin_host::ScenarioInstance::create(plugin, inst);
  if (!created.ok()) {
    err << "error: " << created.message() << "\n";
    return 2;
  }
  auto& scenario = *created.value();
  const bool needs_target = scenario.transport() != VIGIL_SCENARIO_CALL;
  if (needs_target && b.target.empty()) {
    err << "error: no target: give --target http://HOST:PORT or set target in [[scenarios." << inst.plugin << "]]\n";
    return 2;
  }
  runtime::Scheduler scheduler;
  metrics::SampleStore store;
  // The host cache serves call scenarios (and plugins that use it); the embedded default's is
  // only started for those, so an HTTP run needs no cache plugin installed.
  if (a.config.empty() && scenario.transport() != VIGIL_SCENARIO_CALL) {
    settings.caches.clear();
    settings.cache.backend.clear();
  }
  auto cache_prep = prepare_cache(settings, catalog);
  if (!cache_prep.problems.empty()) {
    for (const auto& p : cache_prep.problems) err << "error: " << p << "\n";
    return 2;
  }
  auto cache = AgentCache::start(std::move(cache_prep), "", scheduler, store);
  if (!cache.ok()) {
    err << "error: " << cache.message() << "\n";
    return 1;
  }
  struct CacheStop {
    std::unique_ptr<AgentCache>& c;
    runtime::Scheduler& s;
    ~CacheStop() {
      if (c) c->stop(s);
      s.stop(std::chrono::seconds(1));
    }
  } cache_stop{cache.value(), scheduler};
  if (auto st = scenario.start(); !st.ok()) {
    err << "error: " << st.message() << "\n";
    return 1;
  }

  // Ctrl-C ends the run early and still reports what was measured.
  g_abort = false;
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_abort = true; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](const load::Progress& p) {
    if (!a.progress) return;
    char line[200];
    std::snprintf(line, sizeof line, "%s%6.1fs  %8.0f req/s  p95 %7.2f ms  %llu done  %llu errors%s%s",
                  p.warming_up ? "warm-up " : "", p.elapsed_s, p.rate, static_cast<double>(p.p95_us) / 1000,
                  static_cast<unsigned long long>(p.completed), static_cast<unsigned long long>(p.errors),
                  p.dropped ? ("  " + std::to_string(p.dropped) + " dropped").c_str() : "", tty ? "\033[K" : "");
    if (tty)
      err << "\r" << line << std::flush;
    else if (static_cast<int>(p.elapsed_s) % 5 == 0)
      err << line << "\n";
  };
  const auto o = load_options(b);
  const std::string stages = load::stages_text(o.stages);
  err << "running " << inst.plugin << " against " << (needs_target ? o.url : std::string("the host (call)")) << ": "
      << (o.open() ? (stages.empty() ? std::to_string(static_cast<int>(o.rate)) + " req/s offered"
                                     : "req/s through stages " + stages) +
                         ", up to " + std::to_string(o.connections) + " connections, "
                   : (stages.empty() ? std::to_string(o.connections) + " connections, "
                                     : "connections through stages " + stages + ", "))
      << std::chrono::duration<double>(o.measured_duration()).count() << " s"
      << (o.warmup.count() ? " after " + std::to_string(std::chrono::duration<double>(o.warmup).count()) + " s warm-up"
                           : std::string())
      << "\n";
  ScenarioRunOptions run;
  run.target_pid = a.target_pid;
  run.connect_rate = a.connect_rate;
  run.abort = &g_abort;
  run.progress = progress;
  auto ran = run_scenario(scenario, inst, thresholds.value(), run);
  if (tty && a.progress) err << "\n";
  scenario.stop();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (!ran.ok()) {
    err << "error: " << ran.message() << "\n";
    return 2;
  }
  const auto& r = ran.value();
  const bool passed = thresholds_passed(r);
  out << load::summary_text(r);
  if (!a.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.out_dir, ec);
    const std::string json = a.out_dir + "/report.json", md = a.out_dir + "/report.md";
    std::ofstream(json) << load::report_json(r);
    std::ofstream(md) << load::report_markdown(r);
    std::ofstream(a.out_dir + "/report.html") << load::report_html(r);
    if (!std::ifstream(json)) {
      err << "error: cannot write the report to " << a.out_dir << "\n";
      return 1;
    }
    out << "reports: " << json << ", " << md << ", " << a.out_dir << "/report.html\n";
  }
  if (unreachable(r)) return 1;
  return passed ? 0 : kBenchThresholdFailed;
}

int bench_compare(const std::string& baseline, const std::string& current, const std::vector<std::string>& goals,
                  std::ostream& out, std::ostream& err) {
  auto read = [&](const std::string& path) -> Result<load::RunResult> {
    auto text = config::read_bounded_file(path, 64ull << 20, "report", config::FileSource::regular_or_stream);
    if (!text.ok()) return text.status();
    auto r = load::parse_report_json(text.value());
    if (!r.ok()) return Status::error(path + ": " + r.message());
    return r;
  };
  auto b = read(baseline), c = read(current);
  for (const auto* r : {&b, &c})
    if (!r->ok()) {
      err << "error: " << r->message() << "\n";
      return 2;
    }
  auto g = c.value().goals;  // the current run's scenario goals, then the command line's
  for (const auto& kv : goals) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      err << "error: --goal " << kv << ": write METRIC=GOAL, e.g. --goal rps=+50% or --goal p95=-30%\n";
      return 2;
    }
    g[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto rows = load::compare_runs(b.value(), c.value(), g);
  if (!rows.ok()) {
    err << "error: " << rows.message() << "\n";
    return 2;
  }
  out << "baseline: " << baseline << " (" << b.value().started_at << ")\ncurrent:  " << current << " ("
      << c.value().started_at << ")\n\n"
      << load::compare_table(rows.value());
  bool passed = true;
  for (const auto& row : rows.value()) passed = passed && row.passed;
  return passed ? 0 : kBenchThresholdFailed;
}

}  // namespace vigil::app
