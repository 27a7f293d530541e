// Rule files, expressions and rule tests an attacker or a typo could write. Each was seen to
// overflow the stack, abort on an exception or never end; each is now a clear error.
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "rules/evaluator.h"
#include "rules/promql_parser.h"
#include "rules/rule_file.h"
#include "rules/rule_test_runner.h"

using namespace vigil::rules;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string error_of(const std::string& expr) {
  auto r = parse_expr(expr);
  REQUIRE_FALSE(r.ok());
  return r.message();
}

std::string all(const RuleFileResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("vigil-hostile-rules-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("PromQL nested or chained past the limits is an error, not a stack overflow", "[rules][hostile]") {
  CHECK(contains(error_of(repeat("(", 10000) + "1" + repeat(")", 10000)), "nested too deeply"));
  CHECK(contains(error_of(repeat("sum(", 10000) + "x" + repeat(")", 10000)), "nested too deeply"));
  CHECK(contains(error_of(repeat("abs(", 10000) + "x" + repeat(")", 10000)), "nested too deeply"));
  CHECK(contains(error_of(repeat("-", 100000) + "1"), "nested too deeply"));
  CHECK(contains(error_of("1" + repeat(" - 1", 100000)), "split it into recording rules"));
  CHECK(contains(error_of("2" + repeat(" ^ 2", 100000)), "nested too deeply"));
  CHECK(contains(error_of("x" + repeat(" and x", 100000)), "nested too deeply"));
  // Wide but shallow is fine: long sums of terms within the limit parse and evaluate.
  auto wide = parse_expr("1" + repeat(" + 1", 900));
  REQUIRE(wide.ok());
  vigil::metrics::SeriesStore store;
  auto v = Evaluator(store).eval(*wide.value(), 0);
  REQUIRE(v.ok());
  CHECK(v->scalar == 901);
  CHECK(to_string(*wide.value()).size() > 900 * 3);
}

TEST_CASE("PromQL durations that overflow are errors", "[rules][hostile]") {
  CHECK(contains(error_of("rate(x[99999999999999999999s])"), "too large"));
  CHECK(contains(error_of("x offset 9999999999999999y"), "too large"));
  CHECK(contains(error_of("rate(x[9999999999999999y])"), "too large"));
  CHECK(contains(error_of("rate(x[1e300])"), "out of range"));
  CHECK_FALSE(parse_promql_duration("99999999999999999999ms").ok());
  CHECK(parse_promql_duration("1y2w3d4h5m6s7ms").ok());
}

TEST_CASE("label_replace with a group number too large expands to nothing, like Prometheus", "[rules][hostile]") {
  vigil::metrics::SeriesStore store;
  REQUIRE(store.append({{"__name__", "up"}, {"job", "a"}}, 0, 1));
  // ${N} ends at the brace; "$Ny" would name the group "Ny" (Go's rule), also empty.
  auto e = parse_expr(R"q(label_replace(up, "dst", "x${99999999999}y$99999999999", "job", "(.*)"))q");
  REQUIRE(e.ok());
  auto v = Evaluator(store).eval(*e.value(), 0);
  REQUIRE(v.ok());
  REQUIRE(v->vector.size() == 1);
  bool found = false;
  for (const auto& [k, val] : v->vector[0].labels)
    if (k == "dst") found = val == "xy";
  CHECK(found);
}

TEST_CASE("rule files: devices, deep nesting and huge durations are problems", "[rules][hostile]") {
  CHECK(contains(all(load_rule_file("/dev/zero")), "rule file /dev/zero is not a regular file"));
  TempDir d;
  const auto yaml = d.write("deep.yml", "groups: " + repeat("[", 100000) + "\n");
  CHECK_FALSE(load_rule_file(yaml).problems.empty());  // yaml-cpp's own depth limit, reported
  const auto toml = d.write("deep.toml", "x = 1\n" + repeat("a.", 50000) + "b = 1\n");
  CHECK(contains(all(load_rule_file(toml)), "deep.toml:2:"));
  const auto big_for = d.write("for.yml",
                               "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
                               "    for: 99999999999999999999s\n");
  CHECK(contains(all(load_rule_file(big_for)), "too large"));
}

TEST_CASE("vigil test rules ends: zero intervals and endless evaluations are errors", "[rules][hostile]") {
  TempDir d;
  d.write("r.yml", "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n");
  auto run = [&](const std::string& name, const std::string& body) {
    const auto path = d.write(name, "rule_files: [r.yml]\n" + body);
    std::ostringstream out;
    CHECK_FALSE(run_rule_test_file(path, out));  // and it returns: ctest's timeout would catch a hang
    return out.str();
  };
  CHECK(contains(run("zero.yml", "evaluation_interval: 0s\ntests:\n- input_series: []\n"),
                 "evaluation_interval must be greater than 0"));
  CHECK(contains(run("long.yml",
                     "evaluation_interval: 1ms\ntests:\n- input_series: []\n"
                     "  alert_rule_test:\n  - eval_time: 1000y\n    alertname: A\n"),
                 "needs more than 10000000 evaluations"));
  CHECK(contains(run("many.yml", "tests:\n- input_series:\n  - series: up\n    values: 0+1x99999999999\n"),
                 "needs a repeat count"));
  CHECK(contains(run("long_series.yml", "tests:\n- input_series:\n  - series: up\n    values: 0x999999999\n"),
                 "more than 1000000 values in one series"));
  CHECK(contains(run("nan.yml", "tests:\n- input_series:\n  - series: up\n    values: 1 two 3\n"),
                 "\"two\" is not a number"));
  CHECK(contains(run("zeroint.yml", "tests:\n- interval: 0s\n  input_series: []\n"), "interval must be greater"));
}
