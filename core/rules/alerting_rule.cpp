#include "rules/alerting_rule.h"

#include <algorithm>
#include <set>

#include "log/log.h"
#include "rules/evaluator.h"
#include "rules/template.h"

namespace vigil::rules {

const char* alert_state_name(AlertState s) {
  switch (s) {
    case AlertState::inactive: return "inactive";
    case AlertState::pending: return "pending";
    case AlertState::firing: return "firing";
  }
  return "?";
}

void AlertingRule::restore_active_at(const metrics::LabelSet& labels, int64_t active_at_ms) {
  restored_[labels] = active_at_ms;
  restore_deadline_ms_ = 0;  // set by the next evaluation
}

Status AlertingRule::eval(const Evaluator& evaluator, int64_t t_ms, int64_t limit, int64_t query_offset_ms) {
  // Restored progress waits a while for its alert: after a restart the data may arrive only
  // with the collectors' first runs, a few evaluations later.
  if (!restored_.empty()) {
    if (restore_deadline_ms_ == 0) restore_deadline_ms_ = t_ms + kRestoreWindowMs;
    if (t_ms > restore_deadline_ms_) restored_.clear();
  }
  auto result = evaluator.eval(*spec_.expr, t_ms - query_offset_ms);
  if (!result.ok()) return result.status();
  std::vector<InstantSample> samples;
  if (result->type == ValueType::scalar)
    samples.push_back({{}, result->scalar, t_ms});
  else
    samples = std::move(result->vector);

  std::map<metrics::LabelSet, Alert> fresh;
  for (const auto& s : samples) {
    TemplateData data;
    for (const auto& [k, v] : s.labels) data.labels[k] = v;
    data.external_labels = external_labels_;
    data.value = s.value;
    metrics::LabelSet labels;
    for (const auto& [k, v] : s.labels)
      if (k != "__name__") labels.emplace_back(k, v);
    auto set = [&](const std::string& k, const std::string& v) {
      auto it = std::find_if(labels.begin(), labels.end(), [&](const auto& p) { return p.first == k; });
      if (v.empty()) {
        if (it != labels.end()) labels.erase(it);
      } else if (it != labels.end()) {
        it->second = v;
      } else {
        labels.emplace_back(k, v);
      }
    };
    for (const auto& [k, tmpl] : spec_.labels) {
      std::string err;
      set(k, expand_template(tmpl, data, &err));
      if (!err.empty())
        log::warn("rules", "label template failed", {{"alert", spec_.alert}, {"label", k}, {"error", err}});
    }
    set("alertname", spec_.alert);
    std::sort(labels.begin(), labels.end());
    Alert a;
    for (const auto& [k, tmpl] : spec_.annotations) {
      std::string err;
      a.annotations.emplace_back(k, expand_template(tmpl, data, &err));
      if (!err.empty())
        log::warn("rules", "annotation template failed", {{"alert", spec_.alert}, {"annotation", k}, {"error", err}});
    }
    a.labels = labels;
    a.value = s.value;
    a.active_at_ms = t_ms;
    if (auto r = restored_.find(labels); r != restored_.end()) {
      a.active_at_ms = r->second;
      restored_.erase(r);
    }
    if (fresh.count(labels))
      return Status::error("vector contains metrics with the same labelset after applying alert labels");
    fresh.emplace(std::move(labels), std::move(a));
  }
  for (auto& [key, a] : fresh) {
    auto it = active_.find(key);
    if (it != active_.end() && it->second.state != AlertState::inactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_[key] = std::move(a);
  }
  int64_t active_pending = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!fresh.count(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::firing && spec_.keep_firing_for.count() > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = t_ms;
        if (t_ms - a.keep_firing_since_ms < spec_.keep_firing_for.count()) keep_firing = true;
      }
      if (a.state == AlertState::pending || (a.resolved_at_ms != 0 && t_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::inactive && !keep_firing) {
        a.state = AlertState::inactive;
        a.resolved_at_ms = t_ms;
        if (auto v = recovery_value(evaluator, t_ms - query_offset_ms, a.labels)) a.value = *v;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    ++active_pending;
    if (a.state == AlertState::pending && t_ms - a.active_at_ms >= spec_.for_duration.count()) {
      a.state = AlertState::firing;
      a.fired_at_ms = t_ms;
    }
    ++it;
  }
  if (limit > 0 && active_pending > limit) {
    active_.clear();
    return Status::error("exceeded limit of " + std::to_string(limit) + " with " + std::to_string(active_pending) +
                         " alerts");
  }
  return {};
}

std::optional<double> AlertingRule::recovery_value(const Evaluator& evaluator, int64_t t_ms,
                                                   const metrics::LabelSet& alert_labels) {
  // For `<expr> <comparison> <threshold>`, the value of <expr> now: what the measurement is
  // at resolution, where Prometheus would repeat the last firing value.
  const Expr& e = *spec_.expr;
  if (e.kind != Expr::Kind::binary || !is_comparison(e.op) || e.return_bool || !e.lhs ||
      e.lhs->type != ValueType::vector)
    return std::nullopt;
  if (recovery_at_ms_ != t_ms) {
    recovery_at_ms_ = t_ms;
    recovery_.clear();
    if (auto v = evaluator.eval(*e.lhs, t_ms); v.ok()) recovery_ = std::move(v->vector);
  }
  for (const auto& s : recovery_) {
    bool match = true;
    for (const auto& [k, v] : s.labels) {
      if (k == "__name__") continue;
      const bool rule_sets =
          std::any_of(spec_.labels.begin(), spec_.labels.end(), [&](const auto& l) { return l.first == k; });
      if (rule_sets) continue;
      const bool present = std::find(alert_labels.begin(), alert_labels.end(),
                                     std::pair<std::string, std::string>(k, v)) != alert_labels.end();
      if (!present) {
        match = false;
        break;
      }
    }
    if (match) return s.value;
  }
  return std::nullopt;
}

std::vector<Alert> AlertingRule::alerts() const {
  std::vector<Alert> out;
  for (const auto& [k, a] : active_) out.push_back(a);
  return out;
}

}  // namespace vigil::rules
