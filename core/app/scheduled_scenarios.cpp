#include "app/scheduled_scenarios.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "app/scenario_runner.h"
#include "load/report.h"
#include "log/log.h"
#include "metrics/sample_store.h"
#include "plugin_host/plugin_catalog.h"
#include "plugin_host/scenario_instance.h"

namespace vigil::app {
namespace {

using Clock = std::chrono::steady_clock;
using metrics::SampleType;
constexpr const char* kMetricsSource = "scenarios";
constexpr size_t kReportsKept = 20;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct ScheduledScenarios::Entry {
  config::InstanceSettings inst;
  std::unique_ptr<plugin_host::ScenarioInstance> scenario;
  std::vector<load::Threshold> thresholds;
  Clock::time_point next_due;
  // What /metrics shows; written and read on the runner thread only.
  std::map<std::string, uint64_t> runs;  // by outcome: passed, failed, error
  uint64_t requests = 0;
  std::map<std::string, uint64_t> errors;  // by kind, over all runs
  std::optional<load::RunResult> last;
  double last_unix = 0;
  bool last_passed = false;
};

std::unique_ptr<ScheduledScenarios> ScheduledScenarios::prepare(const config::Settings& settings,
                                                                plugin_host::PluginCatalog& catalog,
                                                                Problems& problems) {
  std::unique_ptr<ScheduledScenarios> s(new ScheduledScenarios());
  for (const auto& inst : settings.scenarios) {
    if (inst.bench.schedule.count() == 0) continue;
    auto plugin = catalog.find(inst.plugin);
    if (!plugin) {
      problems.push_back(inst.where + ": " + catalog.not_found_message(inst.plugin, "scenario"));
      continue;
    }
    auto created = plugin_host::ScenarioInstance::create(plugin, inst);
    if (!created.ok()) {
      problems.push_back(created.message());
      continue;
    }
    auto thresholds = parse_thresholds(inst);
    if (!thresholds.ok()) {
      problems.push_back(thresholds.message());
      continue;
    }
    if (created.value()->transport() != VIGIL_SCENARIO_CALL && inst.bench.target.empty()) {
      problems.push_back(inst.where + ": scenario \"" + inst.alias +
                         "\" has a schedule but no target; set target = \"http://HOST:PORT\"");
      continue;
    }
    auto e = std::make_unique<Entry>();
    e->inst = inst;
    e->scenario = std::move(created.value());
    e->thresholds = std::move(thresholds.value());
    s->entries_.push_back(std::move(e));
  }
  return s;
}

ScheduledScenarios::~ScheduledScenarios() {
  stop();
}

void ScheduledScenarios::start(metrics::SampleStore& store, std::string report_dir,
                               std::chrono::milliseconds first_delay) {
  if (entries_.empty() || thread_.joinable()) return;
  store_ = &store;
  report_dir_ = std::move(report_dir);
  const auto first = Clock::now() + first_delay;
  for (auto& e : entries_) e->next_due = first;
  publish();
  thread_ = std::thread([this] { loop(); });
  log::info("scenario", "scheduled scenarios", {{"count", entries_.size()}});
}

void ScheduledScenarios::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  abort_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (store_) store_->remove(kMetricsSource);
}

void ScheduledScenarios::loop() {
  std::unique_lock l(mu_);
  while (!stopping_) {
    // The scenario due first; a run that overran its schedule makes the next one start at once.
    auto it = std::min_element(entries_.begin(), entries_.end(),
                               [](const auto& a, const auto& b) { return a->next_due < b->next_due; });
    Entry& e = **it;
    if (cv_.wait_until(l, e.next_due, [this] { return stopping_; })) break;
    const auto started = Clock::now();
    l.unlock();
    run_one(e);
    publish();
    l.lock();
    e.next_due = started + e.inst.bench.schedule;
  }
}

void ScheduledScenarios::run_one(Entry& e) {
  const std::string& alias = e.inst.alias;
  e.last_unix = unix_now();
  auto fail = [&](const std::string& why) {
    ++e.runs["error"];
    e.last_passed = false;
    e.last.reset();
    log::error("scenario", "scheduled run could not be done", {{"scenario", alias}, {"problem", why}});
  };
  if (auto st = e.scenario->start(); !st.ok()) return fail(st.message());
  ScenarioRunOptions run;
  run.abort = &abort_;
  auto ran = run_scenario(*e.scenario, e.inst, e.thresholds, run);
  e.scenario->stop();
  if (!ran.ok()) return fail(ran.message());
  if (abort_) return;  // stopped mid-run: not a result
  auto& r = ran.value();
  e.requests += r.requests;
  for (const auto& [kind, n] : r.errors) e.errors[kind] += n;
  const bool reached = !unreachable(r);
  e.last_passed = reached && thresholds_passed(r);
  ++e.runs[!reached ? "error" : e.last_passed ? "passed" : "failed"];
  std::string failed;
  for (const auto& t : r.thresholds)
    if (!t.passed) failed += (failed.empty() ? "" : "; ") + t.expression;
  const log::Fields fields = {{"scenario", alias},
                              {"requests", r.requests},
                              {"rps", r.throughput()},
                              {"p95_ms", static_cast<double>(r.latency.percentile(95)) / 1000},
                              {"error_rate", r.error_rate()},
                              {"passed", e.last_passed}};
  if (!reached)
    log::warn("scenario", "scheduled run reached nothing: " + r.error_examples[load::kErrConnect], fields);
  else if (!failed.empty())
    log::warn("scenario", "scheduled run failed thresholds: " + failed, fields);
  else
    log::info("scenario", "scheduled run passed", fields);
  if (!report_dir_.empty()) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(report_dir_) / alias;
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::string stamp = r.started_at;
    stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
    // Written aside and renamed into place, so the API never reads a half-written report.
    const fs::path report = dir / (stamp + ".json"), partial = dir / (stamp + ".json.partial");
    std::ofstream out(partial);
    out << load::report_json(r);
    out.close();  // a full disk shows here, as the last buffer is written
    bool written = !out.fail();
    if (written) fs::rename(partial, report, ec);
    written = written && !ec;
    if (!written) fs::remove(partial, ec);
    std::vector<fs::path> reports;
    for (const auto& f : fs::directory_iterator(dir, ec))
      if (f.path().extension() == ".json") reports.push_back(f.path());
    std::sort(reports.begin(), reports.end());
    for (size_t i = 0; i + kReportsKept < reports.size(); ++i) fs::remove(reports[i], ec);
    if (!written) log::warn("scenario", "cannot write the run's report", {{"scenario", alias}, {"dir", dir.string()}});
  }
  e.last = std::move(r);
}

void ScheduledScenarios::publish() {
  std::vector<metrics::Sample> out;
  auto add = [&](SampleType type, const char* name, double v, std::vector<std::pair<std::string, std::string>> labels,
                 const char* help) { out.push_back(metrics::make_sample(type, name, v, std::move(labels), help)); };
  for (const auto& ep : entries_) {
    const Entry& e = *ep;
    const std::string& s = e.inst.alias;
    for (const char* outcome : {"passed", "failed", "error"}) {
      const auto it = e.runs.find(outcome);
      add(SampleType::counter, "vigil_scenario_runs_total", it == e.runs.end() ? 0 : static_cast<double>(it->second),
          {{"scenario", s}, {"outcome", outcome}},
          "Scheduled scenario runs by outcome: passed, failed (a threshold), error (not run, or nothing reached).");
    }
    add(SampleType::counter, "vigil_scenario_requests_total", static_cast<double>(e.requests), {{"scenario", s}},
        "Requests (operations, round trips) measured by a scheduled scenario, over all runs.");
    for (const auto& [kind, n] : e.errors)
      add(SampleType::counter, "vigil_scenario_errors_total", static_cast<double>(n), {{"scenario", s}, {"kind", kind}},
          "Failed requests of a scheduled scenario by kind, over all runs.");
    if (e.last_unix == 0) continue;
    add(SampleType::gauge, "vigil_scenario_last_run_timestamp_seconds", e.last_unix, {{"scenario", s}},
        "When the last scheduled run of a scenario started.");
    add(SampleType::gauge, "vigil_scenario_last_run_success", e.last_passed ? 1 : 0, {{"scenario", s}},
        "Whether the last scheduled run reached the target and held every threshold.");
    if (!e.last) continue;
    const auto& r = *e.last;
    add(SampleType::gauge, "vigil_scenario_throughput_rps", r.throughput(), {{"scenario", s}},
        "Successful requests a second in the last scheduled run.");
    add(SampleType::gauge, "vigil_scenario_error_ratio", r.error_rate(), {{"scenario", s}},
        "Failed requests over all requests in the last scheduled run.");
    for (const auto& [q, p] : {std::pair{"0.5", 50.0}, std::pair{"0.95", 95.0}, std::pair{"0.99", 99.0}})
      add(SampleType::gauge, "vigil_scenario_latency_seconds", static_cast<double>(r.latency.percentile(p)) / 1e6,
          {{"scenario", s}, {"quantile", q}},
          "Latency percentiles of the last scheduled run (open model: from the due time).");
    add(SampleType::gauge, "vigil_scenario_connections", static_cast<double>(r.max_connections_open), {{"scenario", s}},
        "Connections open at most in the last scheduled run.");
    for (const auto& t : r.thresholds)
      add(SampleType::gauge, "vigil_scenario_threshold_passed", t.passed ? 1 : 0,
          {{"scenario", s}, {"threshold", t.expression}}, "Whether a threshold held in the last scheduled run.");
  }
  for (auto& smp : out) (void)metrics::normalize(smp);
  store_->replace(kMetricsSource, std::move(out));
}

}  // namespace vigil::app
