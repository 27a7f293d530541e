#include "rules/rule_group.h"

#include <algorithm>
#include <chrono>

#include "log/log.h"
#include "rules/evaluator.h"

namespace vigil::rules {
namespace {

int64_t reach_ms(const Expr& e) {
  int64_t r = 0;
  if (e.kind == Expr::Kind::matrix_selector || e.kind == Expr::Kind::vector_selector)
    r = e.range.count() + std::max<int64_t>(0, e.offset.count());
  for (const auto* c : {e.operand.get(), e.lhs.get(), e.rhs.get(), e.param.get()})
    if (c) r = std::max(r, reach_ms(*c));
  for (const auto& a : e.args) r = std::max(r, reach_ms(*a));
  return r;
}

metrics::Sample gauge(const std::string& name, double v, metrics::LabelSet labels, const std::string& help) {
  metrics::Sample s;
  s.name = name;
  s.value = v;
  s.labels = std::move(labels);
  s.help = help;
  std::sort(s.labels.begin(), s.labels.end());
  return s;
}

}  // namespace

int64_t longest_lookback_ms(const std::vector<RuleGroupSpec>& groups) {
  int64_t r = 0;
  for (const auto& g : groups)
    for (const auto& rule : g.rules) r = std::max(r, reach_ms(*rule.expr) + g.query_offset.count());
  return r;
}

RuleGroup::RuleGroup(RuleGroupSpec spec, std::chrono::milliseconds default_interval,
                     std::map<std::string, std::string> external_labels, int64_t lookback_ms)
    : spec_(std::move(spec)),
      interval_(spec_.interval.count() ? spec_.interval : default_interval),
      lookback_ms_(lookback_ms) {
  for (const auto& r : spec_.rules)
    alerting_.push_back(r.alert.empty() ? nullptr : std::make_unique<AlertingRule>(r, external_labels));
  status_.name = spec_.name;
  status_.file = spec_.file;
  status_.interval_seconds = std::chrono::duration<double>(interval_).count();
  status_.limit = spec_.limit;
  for (const auto& r : spec_.rules) {
    RuleStatus rs;
    rs.spec = r;
    status_.rules.push_back(std::move(rs));
  }
}

void RuleGroup::evaluate(int64_t t_ms, metrics::SeriesStore& series, metrics::SampleStore& samples) {
  const auto g0 = std::chrono::steady_clock::now();
  Evaluator ev(series, lookback_ms_);
  std::vector<metrics::Sample> published;
  std::vector<RuleStatus> statuses(spec_.rules.size());
  const int64_t query_ms = t_ms - spec_.query_offset.count();
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const RuleSpec& rule = spec_.rules[i];
    RuleStatus& st = statuses[i];
    st.spec = rule;
    st.last_evaluation_ms = t_ms;
    const auto r0 = std::chrono::steady_clock::now();
    Status result;
    if (!rule.record.empty()) {
      auto v = ev.eval(*rule.expr, query_ms);
      if (!v.ok()) {
        result = v.status();
      } else {
        std::vector<InstantSample> out =
            v->type == ValueType::scalar ? std::vector<InstantSample>{{{}, v->scalar, query_ms}} : std::move(v->vector);
        if (spec_.limit > 0 && static_cast<int64_t>(out.size()) > spec_.limit) {
          result = Status::error("exceeded limit of " + std::to_string(spec_.limit) + " with " +
                                 std::to_string(out.size()) + " series");
          out.clear();
        }
        std::vector<metrics::Sample> recorded;
        for (auto& s : out) {
          metrics::Sample smp;
          smp.type = metrics::SampleType::gauge;
          smp.name = rule.record;
          smp.help = "Recording rule " + rule.record + ".";
          for (auto& [k, val] : s.labels)
            if (k != "__name__") smp.labels.emplace_back(k, val);
          for (const auto& [k, val] : rule.labels) {
            auto it = std::find_if(smp.labels.begin(), smp.labels.end(), [&](const auto& p) { return p.first == k; });
            if (it != smp.labels.end())
              it->second = val;
            else
              smp.labels.emplace_back(k, val);
          }
          std::sort(smp.labels.begin(), smp.labels.end());
          smp.value = s.value;
          recorded.push_back(std::move(smp));
        }
        series.append_batch("rules/" + spec_.name + "/" + std::to_string(i), query_ms, recorded);
        for (auto& s : recorded) published.push_back(std::move(s));
      }
    } else {
      result = alerting_[i]->eval(ev, t_ms, spec_.limit, spec_.query_offset.count());
      st.alerts = alerting_[i]->alerts();
      for (const auto& a : st.alerts) {
        if (a.state == AlertState::inactive) continue;
        auto labels = a.labels;
        labels.emplace_back("alertstate", alert_state_name(a.state));
        published.push_back(gauge("ALERTS", 1, labels, "Alerts by state (pending, firing)."));
        published.push_back(gauge("ALERTS_FOR_STATE", static_cast<double>(a.active_at_ms) / 1000, a.labels,
                                  "Unix time when each alert became active."));
      }
    }
    st.last_duration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    st.health = result.ok() ? "ok" : "err";
    st.last_error = result.ok() ? "" : result.message();
    if (!result.ok())
      log::warn(
          "rules", "rule evaluation failed",
          {{"group", spec_.name}, {"rule", rule.alert.empty() ? rule.record : rule.alert}, {"error", st.last_error}});
    const std::string rule_name = rule.alert.empty() ? rule.record : rule.alert;
    published.push_back(gauge("vigil_rule_health", result.ok() ? 1 : 0, {{"group", spec_.name}, {"rule", rule_name}},
                              "1 when the rule's last evaluation succeeded."));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
  published.push_back(gauge("vigil_rule_group_last_duration_seconds", secs, {{"group", spec_.name}},
                            "Duration of the group's last evaluation."));
  published.push_back(gauge("vigil_rule_group_last_evaluation_timestamp_seconds", static_cast<double>(t_ms) / 1000,
                            {{"group", spec_.name}}, "Unix time of the group's last evaluation."));
  samples.replace("rules/" + spec_.name, std::move(published));
  std::lock_guard lock(mu_);
  status_.last_evaluation_ms = t_ms;
  status_.last_duration_seconds = secs;
  status_.rules = std::move(statuses);
}

void RuleGroup::restore_alerts(const std::function<const std::vector<Alert>*(const RuleSpec&)>& previous) {
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    if (!alerting_[i]) continue;
    if (const auto* old = previous(spec_.rules[i]))
      for (const auto& a : *old)
        if (a.state != AlertState::inactive) alerting_[i]->restore_active_at(a.labels, a.active_at_ms);
  }
}

std::vector<Alert> RuleGroup::active_alerts() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (const auto& r : status_.rules)
    for (const auto& a : r.alerts)
      if (a.state != AlertState::inactive) out.push_back(a);
  return out;
}

std::vector<Alert> RuleGroup::alerts() const {
  std::lock_guard lock(mu_);
  std::vector<Alert> out;
  for (const auto& r : status_.rules) out.insert(out.end(), r.alerts.begin(), r.alerts.end());
  return out;
}

GroupStatus RuleGroup::snapshot() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace vigil::rules
