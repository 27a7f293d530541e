#include "load/histogram.h"

#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <random>

using vigil::load::Histogram;

TEST_CASE("histogram percentiles are within 0.1 % at three digits from 1 us to an hour", "[load]") {
  Histogram h;
  for (int64_t v = 1; v <= 100000; ++v) h.record(v);  // uniform 1 us .. 100 ms
  CHECK(h.count() == 100000);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100000);
  CHECK(h.mean() == Catch::Approx(50000.5));
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double want = p / 100 * 100000;
    CHECK(std::abs(static_cast<double>(h.percentile(p)) - want) <= want * 0.001 + 1);
  }
  CHECK(h.percentile(100) == 100000);
  CHECK(h.percentile(0) == 1);

  Histogram big;
  big.record(3'600'000'000LL);  // one hour
  big.record(1);
  CHECK(std::abs(static_cast<double>(big.percentile(100)) - 3.6e9) <= 3.6e9 * 0.001);
  CHECK(big.clamped() == 0);
  big.record(Histogram::kDefaultMax * 2);
  CHECK(big.clamped() == 1);
  CHECK(big.max() == Histogram::kDefaultMax);

  // Every value's bucket is narrower than a thousandth of it.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = 1 + static_cast<int64_t>(rng() % 3'600'000'000ULL);
    CHECK(h.highest_equivalent(v) - h.lowest_equivalent(v) <= std::max<int64_t>(0, v / 1000));
    CHECK(h.lowest_equivalent(v) <= v);
    CHECK(h.highest_equivalent(v) >= v);
  }
}

TEST_CASE("histograms recorded apart merge into the one recorded together", "[load]") {
  Histogram all, a, b;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(7, 1.5);
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<int64_t>(d(rng));
    all.record(v);
    (i % 3 ? a : b).record(v);
  }
  a.add(b);
  CHECK(a.count() == all.count());
  CHECK(a.buckets() == all.buckets());
  for (double p : {50.0, 95.0, 99.0, 99.99}) CHECK(a.percentile(p) == all.percentile(p));
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());

  // Rebuilt from its buckets (as a report stores them), the percentiles are the same.
  Histogram again;
  for (const auto& [v, n] : all.buckets()) again.record_n(v, n);
  for (double p : {50.0, 95.0, 99.0}) CHECK(again.percentile(p) == all.percentile(p));

  Histogram two_digits(2);
  CHECK_THROWS(two_digits.add(all));
}

TEST_CASE("an empty histogram answers zeros", "[load]") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(99) == 0);
  CHECK(h.min() == 0);
  CHECK(h.mean() == 0);
  CHECK(h.buckets().empty());
}
