// Evaluator results against values computed by hand from Prometheus' definitions.
#include "rules/evaluator.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <algorithm>
#include <cmath>

#include "rules/promql_parser.h"

using namespace vigil::rules;
using Catch::Matchers::WithinAbs;
using vigil::metrics::LabelSet;
using vigil::metrics::SeriesStore;

namespace {

constexpr int64_t kS = 1000;

struct Fixture {
  SeriesStore store;
  void add(LabelSet l, std::vector<std::pair<int64_t, double>> pts) {
    std::sort(l.begin(), l.end());
    for (auto [t, v] : pts) REQUIRE(store.append(l, t * kS, v));
  }
  Value eval(const std::string& expr, int64_t t_s) {
    auto p = parse_expr(expr);
    INFO(expr);
    REQUIRE(p.ok());
    auto r = Evaluator(store).eval(*p.value(), t_s * kS);
    INFO((r.ok() ? "" : r.message()));
    REQUIRE(r.ok());
    return r.value();
  }
  std::string error(const std::string& expr, int64_t t_s) {
    auto p = parse_expr(expr);
    REQUIRE(p.ok());
    auto r = Evaluator(store).eval(*p.value(), t_s * kS);
    REQUIRE_FALSE(r.ok());
    return r.message();
  }
  double one(const std::string& expr, int64_t t_s) {
    auto v = eval(expr, t_s);
    if (v.type == ValueType::scalar) return v.scalar;
    INFO(expr);
    REQUIRE(v.vector.size() == 1);
    return v.vector[0].value;
  }
};

std::string label(const InstantSample& s, const std::string& name) {
  for (const auto& [k, v] : s.labels)
    if (k == name) return v;
  return "";
}

}  // namespace

TEST_CASE("instant selectors look back 5 minutes and stop at stale markers", "[rules]") {
  Fixture f;
  f.add({{"__name__", "x"}, {"a", "1"}}, {{0, 1}, {60, 2}});
  f.add({{"__name__", "x"}, {"a", "2"}}, {{0, 5}, {30, vigil::metrics::stale_marker()}});
  CHECK(f.eval("x", 100).vector.size() == 1);
  CHECK(f.one("x", 100) == 2);
  CHECK(f.one("x offset 60s", 100) == 1);
  CHECK(f.eval("x", 361).vector.empty());     // 301 s after the last point
  CHECK(f.eval("x", 10).vector.size() == 2);  // before the stale marker
}

TEST_CASE("rate, increase and delta extrapolate as Prometheus does", "[rules]") {
  Fixture f;
  f.add({{"__name__", "c"}}, {{10, 0}, {25, 15}, {40, 30}, {55, 45}});
  // Counter starting at 0: extrapolation to the start stops at zero; 5 s are added at the end.
  CHECK_THAT(f.one("rate(c[1m])", 60), WithinAbs(50.0 / 60, 1e-12));
  CHECK_THAT(f.one("increase(c[1m])", 60), WithinAbs(50.0, 1e-12));
  Fixture g;
  g.add({{"__name__", "c"}}, {{10, 10}, {25, 20}, {40, 5}, {55, 15}});  // reset 20 -> 5
  CHECK_THAT(g.one("increase(c[1m])", 60), WithinAbs(25.0 * 60 / 45, 1e-9));
  CHECK_THAT(g.one("delta(c[1m])", 60), WithinAbs(5.0 * 60 / 45, 1e-9));
  CHECK_THAT(g.one("irate(c[1m])", 60), WithinAbs(10.0 / 15, 1e-12));
  CHECK_THAT(g.one("idelta(c[1m])", 60), WithinAbs(10.0, 1e-12));
  CHECK(g.one("resets(c[1m])", 60) == 1);
  CHECK(g.one("changes(c[1m])", 60) == 3);
  CHECK(f.eval("rate(c[10s])", 60).vector.empty());  // fewer than two points
  CHECK(label(f.eval("rate(c[1m])", 60).vector[0], "__name__").empty());
}

TEST_CASE("over_time functions, deriv and predict_linear", "[rules]") {
  Fixture f;
  f.add({{"__name__", "g"}}, {{0, 0}, {10, 10}, {20, 20}, {30, 2}});
  CHECK(f.one("avg_over_time(g[40s])", 30) == 8);
  CHECK(f.one("min_over_time(g[40s])", 30) == 0);
  CHECK(f.one("max_over_time(g[40s])", 30) == 20);
  CHECK(f.one("sum_over_time(g[40s])", 30) == 32);
  CHECK(f.one("count_over_time(g[40s])", 30) == 4);
  CHECK(f.one("last_over_time(g[40s])", 30) == 2);
  CHECK(f.one("present_over_time(g[40s])", 30) == 1);
  CHECK_THAT(f.one("quantile_over_time(0.5, g[40s])", 30), WithinAbs(6, 1e-12));
  CHECK_THAT(f.one("stdvar_over_time(g[40s])", 30), WithinAbs((64 + 4 + 144 + 36) / 4.0, 1e-12));
  Fixture l;
  l.add({{"__name__", "d"}}, {{0, 100}, {10, 90}, {20, 80}});
  CHECK_THAT(l.one("deriv(d[30s])", 20), WithinAbs(-1, 1e-12));
  CHECK_THAT(l.one("predict_linear(d[30s], 100)", 20), WithinAbs(-20, 1e-9));
}

TEST_CASE("arithmetic and comparisons with scalars, bool, and dropped names", "[rules]") {
  Fixture f;
  f.add({{"__name__", "m"}, {"i", "a"}}, {{0, 10}});
  f.add({{"__name__", "m"}, {"i", "b"}}, {{0, 30}});
  auto filtered = f.eval("m > 20", 1);
  REQUIRE(filtered.vector.size() == 1);
  CHECK(filtered.vector[0].value == 30);
  CHECK(label(filtered.vector[0], "__name__") == "m");  // a filter keeps the name
  auto b = f.eval("m > bool 20", 1);
  CHECK(b.vector.size() == 2);
  CHECK(label(b.vector[0], "__name__").empty());
  CHECK(f.eval("100 - m", 1).vector[1].value == 70);
  CHECK(f.one("2 ^ 3 ^ 2", 1) == 512);
  CHECK(f.one("-2 ^ 2", 1) == -4);
  CHECK(f.one("7 % 4", 1) == 3);
  CHECK(f.one("1 < bool 2", 1) == 1);
  CHECK(std::isinf(f.one("1 / 0", 1)));
}

TEST_CASE("vector matching: one-to-one, on/ignoring, group_left, cardinality errors", "[rules]") {
  Fixture f;
  f.add({{"__name__", "req"}, {"job", "api"}, {"code", "500"}}, {{0, 5}});
  f.add({{"__name__", "req"}, {"job", "api"}, {"code", "200"}}, {{0, 95}});
  f.add({{"__name__", "tot"}, {"job", "api"}}, {{0, 100}});
  f.add({{"__name__", "info"}, {"job", "api"}, {"version", "1.2"}}, {{0, 1}});
  auto ratio = f.eval("req{code=\"500\"} / ignoring(code) tot", 1);
  REQUIRE(ratio.vector.size() == 1);
  CHECK(ratio.vector[0].value == 0.05);
  CHECK(label(ratio.vector[0], "code").empty());  // ignoring drops the label in one-to-one
  auto joined = f.eval("req * on(job) group_left(version) info", 1);
  REQUIRE(joined.vector.size() == 2);
  CHECK(label(joined.vector[0], "version") == "1.2");
  CHECK(label(joined.vector[0], "code") == "200");
  CHECK(f.error("req / on(job) tot", 1).find("many-to-one matching must be explicit") != std::string::npos);
  CHECK(f.error("tot / on(job) req", 1).find("many-to-many matching not allowed") != std::string::npos);
}

TEST_CASE("set operators and, or, unless", "[rules]") {
  Fixture f;
  f.add({{"__name__", "up"}, {"i", "a"}}, {{0, 1}});
  f.add({{"__name__", "up"}, {"i", "b"}}, {{0, 0}});
  f.add({{"__name__", "maint"}, {"i", "b"}}, {{0, 1}});
  CHECK(f.eval("up == 0 and on(i) maint", 1).vector.size() == 1);
  CHECK(f.eval("up == 0 unless on(i) maint", 1).vector.empty());
  CHECK(f.eval("up or vector(7)", 1).vector.size() == 3);
}

TEST_CASE("aggregations", "[rules]") {
  Fixture f;
  f.add({{"__name__", "v"}, {"j", "x"}, {"i", "1"}}, {{0, 1}});
  f.add({{"__name__", "v"}, {"j", "x"}, {"i", "2"}}, {{0, 3}});
  f.add({{"__name__", "v"}, {"j", "y"}, {"i", "3"}}, {{0, 10}});
  auto s = f.eval("sum by (j) (v)", 1);
  REQUIRE(s.vector.size() == 2);
  CHECK(s.vector[0].labels == LabelSet{{"j", "x"}});
  CHECK(s.vector[0].value == 4);
  CHECK(f.one("sum(v)", 1) == 14);
  CHECK(f.one("count(v)", 1) == 3);
  CHECK(f.one("min(v)", 1) == 1);
  CHECK(f.one("max(v)", 1) == 10);
  CHECK_THAT(f.one("avg(v)", 1), WithinAbs(14.0 / 3, 1e-12));
  CHECK(f.one("group(v)", 1) == 1);
  CHECK_THAT(f.one("stddev(v)", 1),
             WithinAbs(std::sqrt(((1 - 14.0 / 3) * (1 - 14.0 / 3) + (3 - 14.0 / 3) * (3 - 14.0 / 3) +
                                  (10 - 14.0 / 3) * (10 - 14.0 / 3)) /
                                 3),
                       1e-12));
  CHECK(f.one("quantile(0.5, v)", 1) == 3);
  auto top = f.eval("topk(1, v)", 1);
  REQUIRE(top.vector.size() == 1);
  CHECK(label(top.vector[0], "i") == "3");
  CHECK(label(top.vector[0], "__name__") == "v");
  CHECK(f.eval("bottomk by (j) (1, v)", 1).vector.size() == 2);
  auto w = f.eval("sum without (i) (v)", 1);
  CHECK(w.vector.size() == 2);
  auto cv = f.eval("count_values(\"val\", v)", 1);
  CHECK(cv.vector.size() == 3);
}

TEST_CASE("histogram_quantile over classic buckets", "[rules]") {
  Fixture f;
  for (auto [le, n] : std::vector<std::pair<const char*, double>>{{"0.1", 10}, {"0.5", 20}, {"1", 30}, {"+Inf", 40}})
    f.add({{"__name__", "h_bucket"}, {"le", le}}, {{0, n}});
  CHECK_THAT(f.one("histogram_quantile(0.5, h_bucket)", 1), WithinAbs(0.5, 1e-12));
  CHECK_THAT(f.one("histogram_quantile(0.25, h_bucket)", 1), WithinAbs(0.1, 1e-12));
  CHECK(f.one("histogram_quantile(0.9, h_bucket)", 1) == 1);  // in the +Inf bucket: the highest finite bound
  CHECK(std::isinf(f.one("histogram_quantile(2, h_bucket)", 1)));
}

TEST_CASE("absent, label_replace, label_join, math and time functions", "[rules]") {
  Fixture f;
  f.add({{"__name__", "up"}, {"instance", "db1:9100"}, {"job", "node"}}, {{0, -2.5}});
  auto a = f.eval("absent(nothing{job=\"api\", env=~\"p.*\"})", 1);
  REQUIRE(a.vector.size() == 1);
  CHECK(a.vector[0].labels == LabelSet{{"job", "api"}});
  CHECK(f.eval("absent(up)", 1).vector.empty());
  auto r = f.eval("label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")", 1);
  CHECK(label(r.vector[0], "host") == "db1");
  auto n = f.eval("label_replace(up, \"host\", \"${h}-x\", \"instance\", \"(?P<h>[a-z]+).*\")", 1);
  CHECK(label(n.vector[0], "host") == "db-x");
  auto j = f.eval("label_join(up, \"both\", \"/\", \"job\", \"instance\")", 1);
  CHECK(label(j.vector[0], "both") == "node/db1:9100");
  CHECK(f.one("abs(up)", 1) == 2.5);
  CHECK(f.one("ceil(up)", 1) == -2);
  CHECK(f.one("floor(up)", 1) == -3);
  CHECK(f.one("round(up)", 1) == -2);
  CHECK(f.one("clamp(up, -1, 1)", 1) == -1);
  CHECK(f.one("clamp_min(up, 0)", 1) == 0);
  CHECK(f.one("sgn(up)", 1) == -1);
  CHECK(f.one("time()", 42) == 42);
  CHECK(f.one("timestamp(up)", 42) == 0);
  CHECK(f.one("scalar(up)", 1) == -2.5);
  CHECK(f.one("vector(3)", 1) == 3);
  CHECK(f.eval("clamp(up, 1, 0)", 1).vector.empty());
}

TEST_CASE("duplicate label sets after dropping names are an error", "[rules]") {
  Fixture f;
  f.add({{"__name__", "a_total"}, {"i", "1"}}, {{0, 1}, {10, 2}});
  f.add({{"__name__", "b_total"}, {"i", "1"}}, {{0, 1}, {10, 2}});
  CHECK(f.error("rate({__name__=~\".*_total\"}[1m])", 10).find("same labelset") != std::string::npos);
}

TEST_CASE("windows are closed at both ends, as in Prometheus 2.x and its promtool", "[rules]") {
  // Both figures were checked against Debian's promtool (2.42) with the same input.
  Fixture f;
  f.add({{"__name__", "c"}}, {{0, 0}, {60, 100}, {120, 100}, {180, 100}, {240, 100}, {300, 100}});
  f.add({{"__name__", "g"}}, {{0, 7}});
  CHECK(f.one("increase(c[5m])", 300) == 100);  // the sample at exactly t-5m counts
  CHECK(f.one("g", 300) == 7);                  // so does one exactly lookback old
  Fixture r;
  r.add({{"__name__", "r"}}, {{300, 50}, {360, 60}, {420, 70}, {480, 80}, {540, 90}, {600, 100}});
  CHECK(r.one("rate(r[5m])", 600) == 50 * (1.0 / 300));  // promtool: 0.16666666666666669
}
