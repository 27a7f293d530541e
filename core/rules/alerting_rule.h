// AlertingRule: one `alert:` rule and its alerts, with Prometheus' state machine
// (rules/alerting.go): inactive -> pending -> firing after `for`; `keep_firing_for`; resolved
// alerts kept 15 minutes; identity from the final label set (sample labels without __name__,
// rule labels override, plus alertname); duplicate label sets and the group `limit` are errors.
// Not thread-safe: its group's evaluation thread owns it; snapshots are copies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "metrics/series_store.h"
#include "rules/evaluator.h"
#include "rules/rule_file.h"

namespace vigil::rules {

enum class AlertState { inactive, pending, firing };
const char* alert_state_name(AlertState s);

struct Alert {
  metrics::LabelSet labels;  // sorted, includes alertname
  std::vector<std::pair<std::string, std::string>> annotations;
  AlertState state = AlertState::pending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t keep_firing_since_ms = 0;
};

class Evaluator;

class AlertingRule {
 public:
  static constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;
  // How long after the first evaluation a restored alert may still reappear and resume.
  static constexpr int64_t kRestoreWindowMs = 2 * 60 * 1000;

  explicit AlertingRule(RuleSpec spec, std::map<std::string, std::string> external_labels = {})
      : spec_(std::move(spec)), external_labels_(std::move(external_labels)) {}

  // Queries the data as of t_ms - query_offset_ms and advances every alert's state at t_ms.
  // `limit` > 0 caps active alerts.
  Status eval(const Evaluator& evaluator, int64_t t_ms, int64_t limit, int64_t query_offset_ms = 0);

  const RuleSpec& spec() const { return spec_; }
  // Alerts not yet forgotten (including resolved ones within retention), ordered by labels.
  std::vector<Alert> alerts() const;
  // Seeds `for` progress after a restart or reload: an alert with these labels that becomes
  // pending again within kRestoreWindowMs of the next evaluation keeps this active_at.
  void restore_active_at(const metrics::LabelSet& labels, int64_t active_at_ms);

 private:
  std::optional<double> recovery_value(const Evaluator& evaluator, int64_t t_ms, const metrics::LabelSet& alert_labels);

  RuleSpec spec_;
  std::map<std::string, std::string> external_labels_;
  std::map<metrics::LabelSet, Alert> active_;
  std::map<metrics::LabelSet, int64_t> restored_;
  int64_t restore_deadline_ms_ = 0;
  int64_t recovery_at_ms_ = -1;          // the evaluation recovery_ belongs to
  std::vector<InstantSample> recovery_;  // the comparison's left side at that evaluation
};

}  // namespace vigil::rules
