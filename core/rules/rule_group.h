// RuleGroup: one group of recording and alerting rules, evaluated in order at one timestamp.
// Recording rules write their result into the SeriesStore (for later rules) and the
// SampleStore (for /metrics); alerting rules advance their alerts, which are published as
// ALERTS / ALERTS_FOR_STATE series. Per-rule health, last error and duration are kept for
// /api/v1/rules and as vigil_rule_* series.
//
// Thread-safety: evaluate() from the group's one scheduler thread; snapshot() from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/sample_store.h"
#include "metrics/series_store.h"
#include "rules/alerting_rule.h"
#include "rules/rule_file.h"

namespace vigil::rules {

struct RuleStatus {
  RuleSpec spec;
  std::string health = "unknown";  // ok | err | unknown
  std::string last_error;
  double last_duration_seconds = 0;
  int64_t last_evaluation_ms = 0;
  std::vector<Alert> alerts;  // alerting rules
};

struct GroupStatus {
  std::string name;
  std::string file;
  double interval_seconds = 0;
  int64_t limit = 0;
  int64_t last_evaluation_ms = 0;
  double last_duration_seconds = 0;
  std::vector<RuleStatus> rules;
};

class RuleGroup {
 public:
  RuleGroup(RuleGroupSpec spec, std::chrono::milliseconds default_interval,
            std::map<std::string, std::string> external_labels, int64_t lookback_ms);

  std::chrono::milliseconds interval() const { return interval_; }
  const std::string& name() const { return spec_.name; }
  const std::string& file() const { return spec_.file; }

  void evaluate(int64_t t_ms, metrics::SeriesStore& series, metrics::SampleStore& samples);
  // Seeds each alerting rule's pending/firing alerts' active time from `previous(rule)` (the
  // same rule before a reload); nullptr means none. Call before the first evaluate().
  void restore_alerts(const std::function<const std::vector<Alert>*(const RuleSpec&)>& previous);
  GroupStatus snapshot() const;
  // The pending and firing alerts of every rule as of the last evaluation.
  std::vector<Alert> active_alerts() const;
  // Every alert still kept (resolved ones for 15 minutes), as of the last evaluation.
  std::vector<Alert> alerts() const;

 private:
  RuleGroupSpec spec_;
  std::chrono::milliseconds interval_;
  int64_t lookback_ms_;
  std::vector<std::unique_ptr<AlertingRule>> alerting_;  // index-aligned with spec_.rules (null for record)
  mutable std::mutex mu_;
  GroupStatus status_;  // guarded by mu_
};

// The longest range plus offset any expression of the groups reaches back, in ms.
int64_t longest_lookback_ms(const std::vector<RuleGroupSpec>& groups);

}  // namespace vigil::rules
