// RuleScheduler: runs the configured rule groups on the Scheduler, each at its own interval on
// its own thread, over the recent-sample store that collectors feed. Reload replaces the groups
// only when every rule file is valid. Alerts' `for` progress survives a reload (in memory) and a
// restart (through the alert state file, with Prometheus' grace period and outage tolerance).
//
// Threading: load/apply on the control thread; snapshot() from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "metrics/series_store.h"
#include "rules/alert_state_file.h"
#include "rules/rule_group.h"
#include "runtime/scheduler.h"

namespace vigil::metrics {
class SampleStore;
}

namespace vigil::runtime {

class RuleScheduler {
 public:
  struct Loaded {
    std::vector<rules::RuleGroupSpec> groups;
    config::RulesSettings settings;
    Problems problems;
  };

  // `state_file` keeps alerts' `for` progress across restarts ("" = not kept).
  RuleScheduler(Scheduler& scheduler, metrics::SampleStore& samples, const config::RulesSettings& settings,
                const std::string& state_file = "");
  ~RuleScheduler();

  // Reads and checks every rule file the settings name; base_dir resolves relative globs.
  static Loaded load(const config::RulesSettings& settings, const std::string& base_dir);
  // Receives every alert of a group (resolved ones within retention) after each evaluation,
  // as Prometheus sends alerts to Alertmanager. Set before apply().
  using AlertSink = std::function<void(const std::string& group, std::chrono::milliseconds interval,
                                       const std::vector<rules::Alert>& alerts, int64_t now_ms)>;
  void set_alert_sink(AlertSink sink) { sink_ = std::move(sink); }
  // Replaces the running groups with `loaded` (REQUIRES: loaded.problems is empty).
  void apply(Loaded loaded);
  void stop();

  metrics::SeriesStore& series() { return series_; }
  std::vector<rules::GroupStatus> snapshot() const;
  size_t group_count() const;

 private:
  Scheduler& scheduler_;
  metrics::SampleStore& samples_;
  metrics::SeriesStore series_;
  std::shared_ptr<rules::AlertStateFile> state_;  // null = not kept
  bool restored_ = false;
  AlertSink sink_;  // the saved state is applied once, at the first apply()
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<rules::RuleGroup>> groups_;  // guarded by mu_
};

}  // namespace vigil::runtime
