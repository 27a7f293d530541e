#include "runtime/rule_scheduler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "log/log.h"
#include "metrics/sample_store.h"

namespace vigil::runtime {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

metrics::SeriesStoreLimits limits_of(const config::RulesSettings& s) {
  metrics::SeriesStoreLimits l;
  l.max_series = s.max_series;
  l.max_bytes = s.max_bytes;
  l.retention_ms = 0;  // set by apply() from the loaded rules
  return l;
}

// The recent-sample store's size, for alerts on it nearing its limits.
void publish_store_stats(const metrics::SeriesStoreStats& st, const metrics::SeriesStoreLimits& limits,
                         metrics::SampleStore& samples) {
  auto gauge = [](const char* name, double v, const char* help, metrics::SampleType type = metrics::SampleType::gauge) {
    metrics::Sample s;
    s.type = type;
    s.name = name;
    s.value = v;
    s.help = help;
    return s;
  };
  samples.replace(
      "rules/_store",
      {gauge("vigil_series_store_series", static_cast<double>(st.series), "Series in the recent-sample store."),
       gauge("vigil_series_store_samples", static_cast<double>(st.samples), "Samples in the recent-sample store."),
       gauge("vigil_series_store_bytes", static_cast<double>(st.bytes), "Bytes held by the recent-sample store."),
       gauge("vigil_series_store_max_series", static_cast<double>(limits.max_series),
             "The recent-sample store's series limit ([rules] max_series)."),
       gauge("vigil_series_store_max_bytes", static_cast<double>(limits.max_bytes),
             "The recent-sample store's byte limit ([rules] max_bytes)."),
       gauge("vigil_series_store_dropped_samples_total", static_cast<double>(st.dropped_samples),
             "Samples refused at the store's series or byte limit.", metrics::SampleType::counter)});
}

}  // namespace

RuleScheduler::RuleScheduler(Scheduler& scheduler, metrics::SampleStore& samples, const config::RulesSettings& settings,
                             const std::string& state_file)
    : scheduler_(scheduler), samples_(samples), series_(limits_of(settings)) {
  if (state_file.empty()) return;
  state_ = std::make_shared<rules::AlertStateFile>(state_file);
  if (!state_->load_problem().empty()) log::warn("rules", state_->load_problem());
}

RuleScheduler::~RuleScheduler() {
  stop();
}

RuleScheduler::Loaded RuleScheduler::load(const config::RulesSettings& settings, const std::string& base_dir) {
  Loaded out;
  out.settings = settings;
  if (settings.files.empty()) return out;
  auto r = rules::load_rule_files(settings.files, base_dir);
  out.groups = std::move(r.groups);
  out.problems = std::move(r.problems);
  return out;
}

void RuleScheduler::apply(Loaded loaded) {
  // Alerts of rules that survive the reload (same group, alert name and expression) keep their
  // `for` progress, as Prometheus does across reloads.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<rules::Alert>> carried;
  for (const auto& g : snapshot())
    for (const auto& r : g.rules)
      if (!r.spec.alert.empty()) carried[{g.name, r.spec.alert, r.spec.expr_text}] = r.alerts;
  stop();
  const auto lookback = std::chrono::duration_cast<std::chrono::milliseconds>(loaded.settings.lookback);
  const auto default_interval =
      std::chrono::duration_cast<std::chrono::milliseconds>(loaded.settings.evaluation_interval);
  std::map<std::string, std::string> external(loaded.settings.external_labels.begin(),
                                              loaded.settings.external_labels.end());
  // After a restart, alerts saved by the previous run resume their `for` progress.
  const bool from_file = state_ && !restored_;
  restored_ = true;
  const int64_t now = unix_ms();
  const int64_t grace = std::chrono::duration_cast<std::chrono::milliseconds>(loaded.settings.for_grace_period).count();
  const int64_t tolerance =
      std::chrono::duration_cast<std::chrono::milliseconds>(loaded.settings.for_outage_tolerance).count();
  size_t restored_count = 0;
  int64_t longest_interval = 0;
  std::vector<std::shared_ptr<rules::RuleGroup>> groups;
  std::vector<std::string> group_names;
  for (auto& spec : loaded.groups) {
    auto g = std::make_shared<rules::RuleGroup>(std::move(spec), default_interval, external, lookback.count());
    const auto saved = from_file ? state_->saved(g->name()) : std::vector<rules::SavedAlert>{};
    std::vector<rules::Alert> resumed;
    g->restore_alerts([&](const rules::RuleSpec& r) -> const std::vector<rules::Alert>* {
      if (auto it = carried.find({g->name(), r.alert, r.expr_text}); it != carried.end()) return &it->second;
      resumed.clear();
      for (const auto& a : saved) {
        const std::pair<std::string, std::string> name{"alertname", r.alert};
        if (std::find(a.labels.begin(), a.labels.end(), name) == a.labels.end()) continue;
        if (auto at = rules::restore_active_at(r.for_duration.count(), a, now, grace, tolerance)) {
          rules::Alert alert;
          alert.labels = a.labels;
          alert.active_at_ms = *at;
          resumed.push_back(std::move(alert));
        }
      }
      restored_count += resumed.size();
      return resumed.empty() ? nullptr : &resumed;
    });
    group_names.push_back(g->name());
    longest_interval = std::max<int64_t>(longest_interval, g->interval().count());
    groups.push_back(std::move(g));
  }
  // Keep what the longest selector reaches back, plus the lookback and one interval of slack.
  series_.set_retention_ms(
      groups.empty() ? 0 : rules::longest_lookback_ms(loaded.groups) + lookback.count() + longest_interval);
  for (const auto& g : groups) {
    Job job;
    job.id = "rules/" + g->name();
    job.spec.interval = g->interval();
    job.spec.timeout = g->interval();
    job.spec.max_backoff = g->interval();
    metrics::SeriesStore* series = &series_;
    metrics::SampleStore* samples = &samples_;
    job.run = [g, series, samples, state = state_, limits = limits_of(loaded.settings), sink = sink_,
               last_error = std::make_shared<std::string>()](Clock::time_point) {
      const int64_t now = unix_ms();
      series->evict(now);
      g->evaluate(now, *series, *samples);
      publish_store_stats(series->stats(), limits, *samples);
      if (state) {
        // Logged when the error starts or changes, not at every evaluation.
        auto st = state->update(g->name(), g->active_alerts(), now);
        const std::string err = st.ok() ? "" : st.message();
        if (!err.empty() && err != *last_error)
          log::error("rules", "alert state not saved", {{"group", g->name()}, {"error", err}});
        *last_error = err;
      }
      if (sink) sink(g->name(), g->interval(), g->alerts(), now);
      return true;
    };
    job.on_overrun = [name = g->name()] {
      log::warn("rules", "rule group evaluation took longer than its interval", {{"group", name}});
    };
    scheduler_.add(std::move(job));
  }
  if (state_) {
    if (auto st = state_->retain(group_names); !st.ok())
      log::error("rules", "alert state not saved", {{"error", st.message()}});
  }
  if (from_file && restored_count > 0)
    log::info("rules", "alert for-progress restored", {{"alerts", restored_count}, {"file", state_->path()}});
  std::lock_guard lock(mu_);
  groups_ = std::move(groups);
  log::info("rules", "rule groups loaded", {{"groups", groups_.size()}});
}

void RuleScheduler::stop() {
  std::vector<std::shared_ptr<rules::RuleGroup>> old;
  {
    std::lock_guard lock(mu_);
    old.swap(groups_);
  }
  for (const auto& g : old) {
    scheduler_.remove("rules/" + g->name());
    samples_.remove("rules/" + g->name());
  }
}

std::vector<rules::GroupStatus> RuleScheduler::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<rules::GroupStatus> out;
  for (const auto& g : groups_) out.push_back(g->snapshot());
  return out;
}

size_t RuleScheduler::group_count() const {
  std::lock_guard lock(mu_);
  return groups_.size();
}

}  // namespace vigil::runtime
