#include "app/scenario_runner.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>

#include "app/commands.h"
#include "load/call_load.h"
#include "load/http_load.h"
#include "load/process_stats.h"
#include "load/ws_load.h"
#include "plugin_host/scenario_instance.h"

namespace vigil::app {
namespace {

// The scenario's own settings as text, for the report.
std::map<std::string, std::string> options_of(const config::PluginTable& t) {
  using T = config::PluginTable::Type;
  std::map<std::string, std::string> out;
  for (const auto& k : t.keys()) {
    if (k.path.find("[]") != std::string::npos) continue;
    const auto l = t.find(k.path);
    if (l.type == T::string)
      out[k.path] = std::string(l.text);
    else if (l.type == T::integer)
      out[k.path] = std::to_string(l.integer);
    else if (l.type == T::floating)
      out[k.path] = std::to_string(l.floating);
    else if (l.type == T::boolean)
      out[k.path] = l.boolean ? "true" : "false";
    else if (l.type == T::array) {
      std::string joined;
      for (size_t i = 0; i < l.count; ++i) {
        const auto e = t.find(k.path + "[" + std::to_string(i) + "]");
        joined += (i ? ", " : "") + std::string(e.type == T::string ? e.text : "...");
      }
      out[k.path] = joined;
    }
  }
  return out;
}

std::string rfc3339_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string hostname() {
  char h[256] = {};
  gethostname(h, sizeof h - 1);
  return h;
}

}  // namespace

load::LoadOptions load_options(const config::BenchSettings& b) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  load::LoadOptions o;
  o.url = b.target;
  o.connections = static_cast<int>(b.vus);
  o.rate = b.rate;
  o.threads = static_cast<int>(b.threads);
  o.duration = duration_cast<milliseconds>(b.duration);
  o.warmup = duration_cast<milliseconds>(b.warmup);
  o.request_timeout = duration_cast<milliseconds>(b.request_timeout);
  for (const auto& s : b.stages) o.stages.push_back({duration_cast<milliseconds>(s.duration), s.target});
  o.rate_stages = b.rate_set;
  o.tls_ca_file = b.tls_ca_file;
  o.tls_skip_verify = b.tls_skip_verify;
  return o;
}

Result<std::vector<load::Threshold>> parse_thresholds(const config::InstanceSettings& inst) {
  std::vector<load::Threshold> out;
  for (const auto& t : inst.bench.thresholds) {
    auto parsed = load::parse_threshold(t);
    if (!parsed.ok()) return Status::error((inst.where.empty() ? "" : inst.where + ": ") + parsed.message());
    out.push_back(parsed.value());
  }
  return out;
}

std::string judge_so_far(const load::RunResult& so_far, const std::vector<load::Threshold>& thresholds) {
  if (so_far.duration_s < 5) return "";
  for (const auto& t : thresholds) {
    const bool count = t.metric == "requests" || t.metric == "errors" || t.metric == "dropped";
    if (count && t.op != "<" && t.op != "<=") continue;
    const auto o = load::evaluate(so_far, t);
    if (o.passed) continue;
    char actual[64];
    std::snprintf(actual, sizeof actual, "%.4g%s", o.actual, o.unit.empty() ? "" : (" " + o.unit).c_str());
    return "threshold \"" + t.expression + "\" failed after " + std::to_string(static_cast<int>(so_far.duration_s)) +
           " s of measured load (actual " + actual + ")";
  }
  return "";
}

Result<load::RunResult> run_scenario(plugin_host::ScenarioInstance& scenario, const config::InstanceSettings& inst,
                                     const std::vector<load::Threshold>& thresholds, const ScenarioRunOptions& run) {
  auto o = load_options(inst.bench);
  if (inst.bench.abort_on_fail && !thresholds.empty())
    o.judge = [&thresholds](const load::RunResult& so_far) { return judge_so_far(so_far, thresholds); };
  const std::string started_at = rfc3339_now();
  const double target_cpu0 = run.target_pid > 0 ? load::process_cpu_seconds(run.target_pid) : NAN;
  Result<load::RunResult> ran = Status::error("no engine");
  if (scenario.transport() == VIGIL_SCENARIO_WEBSOCKET) {
    load::WsOptions wo;
    wo.load = o;
    if (run.connect_rate > 0) wo.connect_rate = run.connect_rate;
    ran = load::run_ws_load(wo, scenario, run.abort, run.progress);
  } else if (scenario.transport() == VIGIL_SCENARIO_HTTP) {
    ran = load::run_http_load(o, scenario, run.abort, run.progress);
  } else {
    ran = load::run_call_load(o, scenario, run.abort, run.progress);
  }
  if (!ran.ok()) return ran.status();
  auto r = std::move(ran.value());
  if (run.target_pid > 0) {
    const double cpu1 = load::process_cpu_seconds(run.target_pid), rss = load::process_rss_bytes(run.target_pid);
    if (!std::isnan(cpu1) && !std::isnan(target_cpu0)) r.target_cpu_seconds = cpu1 - target_cpu0;
    if (!std::isnan(rss)) r.target_rss_bytes = rss;
    if (std::isnan(cpu1))
      r.warnings.push_back("process " + std::to_string(run.target_pid) + " (--target-pid) could not be read");
  }
  r.scenario = inst.alias;
  r.started_at = started_at;
  r.host = hostname();
  r.vigil_version = version();
  r.options = options_of(inst.table);
  for (const auto& [k, v] : inst.bench.goals) r.goals[k] = v;
  for (const auto& t : thresholds) r.thresholds.push_back(load::evaluate(r, t));
  return r;
}

bool thresholds_passed(const load::RunResult& r) {
  for (const auto& t : r.thresholds)
    if (!t.passed) return false;
  return true;
}

bool unreachable(const load::RunResult& r) {
  return r.ok == 0 && r.requests > 0 && r.errors.count(load::kErrConnect) == r.errors.size();
}

}  // namespace vigil::app
