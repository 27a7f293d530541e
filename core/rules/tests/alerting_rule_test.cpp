// The alert state machine with an injected clock: times are evaluation timestamps.
#include "rules/alerting_rule.h"

#include <catch2/catch_test_macros.hpp>

#include "rules/evaluator.h"
#include "rules/promql_parser.h"

using namespace vigil::rules;
using vigil::metrics::SeriesStore;

namespace {

constexpr int64_t kM = 60 * 1000;

RuleSpec alert(const std::string& expr, int64_t for_min, int64_t keep_min = 0) {
  RuleSpec r;
  r.alert = "HighLoad";
  r.expr = parse_expr(expr).value();
  r.for_duration = std::chrono::minutes(for_min);
  r.keep_firing_for = std::chrono::minutes(keep_min);
  r.labels = {{"severity", "warning"}, {"instance", "{{ $labels.instance }}-x"}};
  r.annotations = {{"summary", "load {{ $value }}"}};
  return r;
}

}  // namespace

TEST_CASE("inactive -> pending -> firing -> resolved, kept 15 minutes", "[rules]") {
  SeriesStore store;
  const vigil::metrics::LabelSet l{{"__name__", "load"}, {"instance", "a"}};
  Evaluator ev(store);
  AlertingRule rule(alert("load > 1", 5));
  auto at = [&](int64_t minute, double v) {
    REQUIRE(store.append(l, minute * kM, v));
    REQUIRE(rule.eval(ev, minute * kM, 0).ok());
    return rule.alerts();
  };
  CHECK(at(0, 0.5).empty());
  auto a = at(1, 2);
  REQUIRE(a.size() == 1);
  CHECK(a[0].state == AlertState::pending);
  CHECK(a[0].active_at_ms == 1 * kM);
  CHECK(a[0].labels ==
        vigil::metrics::LabelSet{{"alertname", "HighLoad"}, {"instance", "a-x"}, {"severity", "warning"}});
  CHECK(a[0].annotations[0].second == "load 2");
  CHECK(at(5, 3)[0].state == AlertState::pending);
  auto f = at(6, 3);
  CHECK(f[0].state == AlertState::firing);
  CHECK(f[0].fired_at_ms == 6 * kM);
  CHECK(f[0].annotations[0].second == "load 3");
  auto r = at(7, 0);
  REQUIRE(r.size() == 1);
  CHECK(r[0].state == AlertState::inactive);
  CHECK(r[0].resolved_at_ms == 7 * kM);
  CHECK(at(22, 0).size() == 1);  // 15 minutes: still reported as resolved
  CHECK(at(23, 0).empty());
}

TEST_CASE("a pending alert that stops matching is dropped; keep_firing_for holds a firing one", "[rules]") {
  SeriesStore store;
  const vigil::metrics::LabelSet l{{"__name__", "load"}, {"instance", "a"}};
  Evaluator ev(store);
  AlertingRule pending(alert("load > 1", 5));
  AlertingRule held(alert("load > 1", 0, 3));
  auto step = [&](int64_t minute, double v) {
    REQUIRE(store.append(l, minute * kM, v));
    REQUIRE(pending.eval(ev, minute * kM, 0).ok());
    REQUIRE(held.eval(ev, minute * kM, 0).ok());
  };
  step(0, 2);
  CHECK(held.alerts()[0].state == AlertState::firing);  // for: 0 fires at once
  step(1, 0);
  CHECK(pending.alerts().empty());
  CHECK(held.alerts()[0].state == AlertState::firing);  // kept firing
  step(3, 0);
  CHECK(held.alerts()[0].state == AlertState::firing);
  step(4, 0);
  CHECK(held.alerts()[0].state == AlertState::inactive);
}

TEST_CASE("the group limit and duplicate label sets are errors", "[rules]") {
  SeriesStore store;
  store.append({{"__name__", "load"}, {"instance", "a"}}, 0, 2);
  store.append({{"__name__", "load"}, {"instance", "b"}}, 0, 2);
  Evaluator ev(store);
  AlertingRule rule(alert("load > 1", 0));
  auto st = rule.eval(ev, 0, 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message() == "exceeded limit of 1 with 2 alerts");
  CHECK(rule.alerts().empty());
  RuleSpec dup = alert("load > 1", 0);
  dup.labels = {{"instance", "same"}};
  AlertingRule d(dup);
  CHECK(d.eval(ev, 0, 0).message().find("same labelset after applying alert labels") != std::string::npos);
}

TEST_CASE("for progress is restored after a restart", "[rules]") {
  SeriesStore store;
  const vigil::metrics::LabelSet l{{"__name__", "load"}, {"instance", "a"}};
  store.append(l, 10 * kM, 2);
  Evaluator ev(store);
  AlertingRule rule(alert("load > 1", 5));
  rule.restore_active_at({{"alertname", "HighLoad"}, {"instance", "a-x"}, {"severity", "warning"}}, 6 * kM);
  REQUIRE(rule.eval(ev, 10 * kM, 0).ok());
  CHECK(rule.alerts()[0].active_at_ms == 6 * kM);
  store.append(l, 11 * kM, 2);
  REQUIRE(rule.eval(ev, 11 * kM, 0).ok());
  CHECK(rule.alerts()[0].state == AlertState::firing);
}

TEST_CASE("a group's query_offset shifts what the rule sees, not when its alerts change", "[rules]") {
  SeriesStore store;
  REQUIRE(store.append({{"__name__", "load"}, {"instance", "a"}}, 10 * kM + 30000, 2));
  Evaluator ev(store);
  AlertingRule plain(alert("load > 1", 0));
  REQUIRE(plain.eval(ev, 16 * kM, 0).ok());
  CHECK(plain.alerts().empty());  // the sample is older than the 5m lookback
  AlertingRule offset(alert("load > 1", 0));
  REQUIRE(offset.eval(ev, 16 * kM, 0, kM).ok());
  REQUIRE(offset.alerts().size() == 1);
  CHECK(offset.alerts()[0].active_at_ms == 16 * kM);
  CHECK(offset.alerts()[0].state == AlertState::firing);
}

TEST_CASE("restored progress waits for data that arrives after the first evaluations", "[rules]") {
  SeriesStore store;
  const vigil::metrics::LabelSet l{{"__name__", "load"}, {"instance", "a"}};
  Evaluator ev(store);
  const vigil::metrics::LabelSet key{{"alertname", "HighLoad"}, {"instance", "a-x"}, {"severity", "warning"}};
  AlertingRule rule(alert("load > 1", 5));
  rule.restore_active_at(key, 6 * kM);
  REQUIRE(rule.eval(ev, 10 * kM, 0).ok());  // no data yet
  CHECK(rule.alerts().empty());
  store.append(l, 11 * kM, 2);
  REQUIRE(rule.eval(ev, 11 * kM, 0).ok());
  REQUIRE(rule.alerts().size() == 1);
  CHECK(rule.alerts()[0].state == AlertState::firing);  // 6m + 5m: for has passed
  // Past the window, a restored entry is forgotten.
  AlertingRule late(alert("load > 1", 5));
  late.restore_active_at(key, 6 * kM);
  REQUIRE(late.eval(ev, 8 * kM, 0).ok());
  REQUIRE(late.eval(ev, 11 * kM, 0).ok());
  REQUIRE(late.alerts().size() == 1);
  CHECK(late.alerts()[0].active_at_ms == 11 * kM);
}

TEST_CASE("a resolved alert carries the value at resolution, not its last firing value", "[rules]") {
  SeriesStore store;
  const vigil::metrics::LabelSet l{{"__name__", "load"}, {"instance", "a"}};
  Evaluator ev(store);
  AlertingRule rule(alert("load > 1", 0));
  REQUIRE(store.append(l, 1 * kM, 3));
  REQUIRE(rule.eval(ev, 1 * kM, 0).ok());
  REQUIRE(rule.alerts()[0].value == 3);
  REQUIRE(store.append(l, 2 * kM, 0.4));
  REQUIRE(rule.eval(ev, 2 * kM, 0).ok());
  REQUIRE(rule.alerts()[0].state == AlertState::inactive);
  CHECK(rule.alerts()[0].value == 0.4);  // Prometheus would still say 3
}
