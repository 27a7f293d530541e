#include "rules/rule_file.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>

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
  CHECK(has(load_rule_file("/nonexistent.yml"), "rule file /nonexistent.yml cannot be opened"));
}

TEST_CASE("the TOML form of a rule file reads like the YAML one", "[rules]") {
  const auto yaml = parse_rule_yaml(R"(groups:
  - name: host
    interval: 30s
    limit: 10
    labels:
      team: infra
    rules:
      - record: instance:cpu_busy:rate5m
        expr: 1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))
      - alert: HostHighCpu
        expr: instance:cpu_busy:rate5m > 0.9
        for: 10m
        labels:
          severity: warning
          team: cpu
        annotations:
          summary: "CPU busy on {{ $labels.instance }}"
)",
                                    "host.yml");
  const auto toml = parse_rule_toml(R"([[groups]]
name = "host"
interval = "30s"
limit = 10
labels = { team = "infra" }

[[groups.rules]]
record = "instance:cpu_busy:rate5m"
expr = '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))'

[[groups.rules]]
alert = "HostHighCpu"
expr = "instance:cpu_busy:rate5m > 0.9"
for = "10m"
labels = { severity = "warning", team = "cpu" }
[groups.rules.annotations]
summary = "CPU busy on {{ $labels.instance }}"
)",
                                    "host.toml");
  REQUIRE(yaml.problems.empty());
  INFO((toml.problems.empty() ? "" : toml.problems[0]));
  REQUIRE(toml.problems.empty());
  REQUIRE(toml.groups.size() == 1);
  const auto& a = yaml.groups[0];
  const auto& b = toml.groups[0];
  CHECK(b.name == a.name);
  CHECK(b.interval == a.interval);
  CHECK(b.limit == 10);
  REQUIRE(b.rules.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(b.rules[i].alert == a.rules[i].alert);
    CHECK(b.rules[i].record == a.rules[i].record);
    CHECK(b.rules[i].expr_text == a.rules[i].expr_text);
    CHECK(b.rules[i].for_duration == a.rules[i].for_duration);
    CHECK(b.rules[i].labels == a.rules[i].labels);
    CHECK(b.rules[i].annotations == a.rules[i].annotations);
  }
  // Group labels apply to every rule; the rule's own label of the same name wins.
  CHECK(b.rules[0].labels == std::vector<std::pair<std::string, std::string>>{{"team", "infra"}});
  CHECK(b.rules[1].labels ==
        std::vector<std::pair<std::string, std::string>>{{"severity", "warning"}, {"team", "cpu"}});
  CHECK(b.rules[1].where == "host.toml:11:1");
}

TEST_CASE("TOML rule file errors carry file:line:col", "[rules]") {
  auto r = parse_rule_toml(R"([[groups]]
name = "g"
query_offset = "1m"
[[groups.rules]]
alert = "A"
expr = "rate(x[5m]) +"
foor = "5m"
[[groups.rules]]
record = "bad-name"
expr = "up"
[[groups.rules]]
alert = "B"
expr = "up"
for = 5
labels = { severity = 1 }
[[groups]]
name = "g"
rules = []
)",
                           "r.toml");
  CHECK(has(r, "r.toml:6:8: in expr: 1:14: unexpected end of input"));
  CHECK(has(r, "r.toml:7:1: unknown field \"foor\" in a rule"));
  CHECK(has(r, "r.toml:9:10: invalid metric name \"bad-name\""));
  CHECK(has(r, "r.toml:14:7: \"for\" must be a string"));
  CHECK(has(r, "r.toml:15:23: \"labels.severity\" must be a string"));
  CHECK(has(r, "r.toml:17:8: duplicate group name \"g\""));
  REQUIRE_FALSE(r.groups.empty());
  CHECK(r.groups[0].query_offset == std::chrono::minutes(1));
  CHECK(has(parse_rule_toml("groups = 3\n", "n.toml"), "n.toml:1:1: a TOML rule file is a list of [[groups]]"));
  CHECK(has(parse_rule_toml("[[groups]\n", "x.toml"), "x.toml:1:10: invalid TOML"));
}

TEST_CASE("rule files are read by their extension", "[rules]") {
  const auto dir = std::filesystem::temp_directory_path() / "vigil-rule-file-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.toml") << "[[groups]]\nname = \"t\"\n[[groups.rules]]\nrecord = \"r\"\nexpr = \"up\"\n";
  std::ofstream(dir / "b.yml") << "groups:\n  - name: y\n    rules:\n      - record: r\n        expr: up\n";
  auto r = load_rule_files({"*.toml", "*.yml"}, dir.string());
  INFO((r.problems.empty() ? "" : r.problems[0]));
  REQUIRE(r.problems.empty());
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].name == "t");
  CHECK(r.groups[1].name == "y");
  std::filesystem::remove_all(dir);
}
