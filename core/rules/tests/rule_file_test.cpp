#include "rules/rule_file.h"

#include <catch2/catch_test_macros.hpp>

using namespace vigil::rules;

namespace {
bool has(const RuleFileResult& r, const std::string& needle) {
  for (const auto& p : r.problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("a Prometheus rule file loads as is", "[rules]") {
  auto r = parse_rule_yaml(R"(groups:
  - name: host
    interval: 30s
    rules:
      - record: instance:cpu_busy:rate5m
        expr: 1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
      - alert: HostHighCpu
        expr: instance:cpu_busy:rate5m > 0.9
        for: 10m
        keep_firing_for: 2m
        labels:
          severity: warning
        annotations:
          summary: "CPU busy on {{ $labels.instance }}"
)",
                           "host.yml");
  INFO((r.problems.empty() ? "" : r.problems[0]));
  REQUIRE(r.problems.empty());
  REQUIRE(r.groups.size() == 1);
  const auto& g = r.groups[0];
  CHECK(g.name == "host");
  CHECK(g.interval == std::chrono::seconds(30));
  REQUIRE(g.rules.size() == 2);
  CHECK(g.rules[0].record == "instance:cpu_busy:rate5m");
  CHECK(g.rules[1].alert == "HostHighCpu");
  CHECK(g.rules[1].for_duration == std::chrono::minutes(10));
  CHECK(g.rules[1].keep_firing_for == std::chrono::minutes(2));
  CHECK(g.rules[1].labels[0].second == "warning");
  CHECK(g.rules[1].where == "host.yml:7:9");
}

TEST_CASE("rule file errors carry file:line:col", "[rules]") {
  auto r = parse_rule_yaml(R"(groups:
  - name: g
    rules:
      - alert: A
        expr: rate(x[5m]) +
        foor: 5m
      - record: bad-name
        expr: up
      - alert: B
        record: c
        expr: up
      - expr: up
      - alert: C
        expr: rate(x)
  - name: g
    rules: []
)",
                           "r.yml");
  CHECK(has(r, "r.yml:5:15: in expr: 1:14: unexpected end of input"));
  CHECK(has(r, "r.yml:6:9: unknown field \"foor\" in a rule"));
  CHECK(has(r, "r.yml:7:17: invalid metric name \"bad-name\""));
  CHECK(has(r, "r.yml:9:9: a rule needs exactly one of \"alert\" or \"record\""));
  CHECK(has(r, "r.yml:12:9: a rule needs exactly one of"));
  CHECK(has(r, "expected type range vector in call to function \"rate\""));
  CHECK(has(r, "duplicate group name \"g\""));
  auto y = parse_rule_yaml("groups: [\n", "y.yml");
  CHECK(has(y, "y.yml:2:1: invalid YAML"));
  CHECK(has(load_rule_file("/nonexistent.yml"), "cannot read the rule file"));
}
