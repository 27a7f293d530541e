#include "metrics/series_store.h"

#include <catch2/catch_test_macros.hpp>
#include <cmath>

using namespace vigil::metrics;

namespace {

Sample gauge(std::string name, double v, LabelSet labels = {}) {
  Sample s;
  s.name = std::move(name);
  s.value = v;
  s.labels = std::move(labels);
  return s;
}

LabelMatcher m(std::string name, LabelMatcher::Op op, std::string value) {
  auto r = LabelMatcher::make(std::move(name), op, std::move(value));
  REQUIRE(r.ok());
  return r.value();
}

using Op = LabelMatcher::Op;

}  // namespace

TEST_CASE("matchers: equality, anchored RE2 regexes, absent labels as empty", "[metrics]") {
  CHECK(m("a", Op::equal, "x").matches("x"));
  CHECK(m("a", Op::regex, "5..").matches("503"));
  CHECK_FALSE(m("a", Op::regex, "5..").matches("1503"));  // fully anchored
  CHECK(m("a", Op::not_regex, "GET|HEAD").matches("POST"));
  CHECK(m("a", Op::equal, "").matches(""));
  auto bad = LabelMatcher::make("a", Op::regex, "(unclosed");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("invalid regular expression \"(unclosed\" for label a") != std::string::npos);
}

TEST_CASE("batches append points; missing series get a stale marker", "[metrics]") {
  SeriesStore store;
  store.append_batch("fs", 1000, {gauge("free", 1, {{"mount", "/"}}), gauge("free", 2, {{"mount", "/data"}})});
  store.append_batch("fs", 2000, {gauge("free", 3, {{"mount", "/"}})});
  auto all = store.select({m("__name__", Op::equal, "free")}, 0, 5000);
  REQUIRE(all.size() == 2);
  const auto& data = all[0].labels[1].second == "/data" ? all[0] : all[1];
  REQUIRE(data.points.size() == 2);
  CHECK(data.points[0].v == 2);
  CHECK(is_stale_marker(data.points[1].v));
  CHECK(data.points[1].t_ms == 2000);
  CHECK_FALSE(is_stale_marker(std::nan("")));
  store.end_source("fs", 3000);
  auto root = store.select({m("mount", Op::equal, "/")}, 2500, 5000);
  REQUIRE(root.size() == 1);
  CHECK(is_stale_marker(root[0].points[0].v));
}

TEST_CASE("select returns only points inside the window", "[metrics]") {
  SeriesStore store;
  for (int i = 0; i < 10; ++i) store.append({{"__name__", "x"}}, i * 1000, i);
  auto r = store.select({m("__name__", Op::equal, "x")}, 3000, 6000);
  REQUIRE(r.size() == 1);
  REQUIRE(r[0].points.size() == 4);
  CHECK(r[0].points.front().v == 3);
  CHECK(store.select({m("__name__", Op::equal, "x")}, 20000, 30000).empty());
  CHECK_FALSE(store.append({{"__name__", "x"}}, 5000, 1));  // out of order
}

TEST_CASE("histograms are stored as bucket, sum and count series", "[metrics]") {
  Sample h;
  h.type = SampleType::histogram;
  h.name = "lat";
  h.buckets = {{0.5, 3}, {1, 4}};
  h.count = 5;
  h.sum = 2.5;
  auto parts = expand_sample(h);
  REQUIRE(parts.size() == 5);
  SeriesStore store;
  store.append_batch("s", 1000, {h});
  auto inf = store.select({m("__name__", Op::equal, "lat_bucket"), m("le", Op::equal, "+Inf")}, 0, 2000);
  REQUIRE(inf.size() == 1);
  CHECK(inf[0].points[0].v == 5);
  CHECK(store.select({m("__name__", Op::equal, "lat_bucket"), m("le", Op::equal, "0.5")}, 0, 2000).size() == 1);
}

TEST_CASE("retention evicts old points; limits drop and count", "[metrics]") {
  SeriesStore store(SeriesStoreLimits{5000, 2, 1u << 20});
  for (int i = 0; i < 10; ++i) store.append({{"__name__", "x"}}, i * 1000, i);
  CHECK(store.stats().samples == 10);
  store.evict(10000);
  CHECK(store.stats().samples == 5);
  store.append({{"__name__", "y"}}, 1000, 1);
  CHECK_FALSE(store.append({{"__name__", "z"}}, 1000, 1));  // max_series = 2
  CHECK(store.stats().dropped_samples == 1);
  store.evict(100000);
  CHECK(store.stats().series == 0);
  CHECK(store.stats().bytes == 0);

  SeriesStore tiny(SeriesStoreLimits{60000, 100, 200});
  int stored = 0;
  for (int i = 0; i < 50; ++i) stored += tiny.append({{"__name__", "x"}}, i, i) ? 1 : 0;
  CHECK(tiny.stats().bytes <= 200);
  CHECK(stored < 50);
  CHECK(tiny.stats().dropped_samples == static_cast<uint64_t>(50 - stored));
}

TEST_CASE("a long-retained series keeps its points through eviction and refills in place", "[metrics]") {
  SeriesStore store(SeriesStoreLimits{10000, 10, 1u << 20});
  for (int i = 0; i < 200; ++i) {
    store.append_batch("s", i * 1000, {gauge("x", i)});
    store.evict(i * 1000);
    auto r = store.select({m("__name__", Op::equal, "x")}, 0, i * 1000);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].points.size() == static_cast<size_t>(std::min(i, 10) + 1));
    CHECK(r[0].points.front().v == std::max(0, i - 10));
    CHECK(r[0].points.back().v == i);
  }
  CHECK(store.stats().samples == 11);
}

TEST_CASE("a series a source still reports is never evicted; a dropped one is, after retention", "[metrics]") {
  SeriesStore store(SeriesStoreLimits{5000, 10, 1u << 20});
  // A slow source (interval longer than the retention) keeps its series between batches.
  store.append_batch("slow", 0, {gauge("a", 1), gauge("b", 1)});
  store.evict(20000);
  CHECK(store.stats().series == 2);
  store.append_batch("slow", 20000, {gauge("a", 2)});  // b gets a stale marker at 20000
  auto b = store.select({m("__name__", Op::equal, "b")}, 0, 20000);
  REQUIRE(b.size() == 1);
  CHECK(is_stale_marker(b[0].points.back().v));
  store.evict(40000);
  CHECK(store.stats().series == 1);  // b is gone; a is still reported by "slow"
  store.end_source("slow", 40000);
  store.evict(60000);
  CHECK(store.stats().series == 0);
}
