// Histogram: HdrHistogram's log-linear layout for latencies in microseconds. Values from 1 µs to
// max_value (by default a bit over one hour) are kept with `digits` significant decimal digits
// (3: every value is within 0.1 % of the one recorded); larger values are clamped to max_value
// and counted as such. record() is a few shifts and an increment, without allocation or locks:
// each thread records into its own histogram and the results are merged with add().
//
// Not thread-safe; cheap to copy (one vector of counters, about 185 KB at 3 digits).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vigil::load {

class Histogram {
 public:
  static constexpr int64_t kDefaultMax = 3'600'000'000LL * 2;  // two hours, in µs

  explicit Histogram(int digits = 3, int64_t max_value = kDefaultMax);

  void record(int64_t value_us) { record_n(value_us, 1); }
  void record_n(int64_t value_us, uint64_t n);
  // Adds another histogram's counts; both must have the same layout (digits and max).
  void add(const Histogram& other);
  void reset();

  uint64_t count() const { return total_; }
  uint64_t clamped() const { return clamped_; }  // values above max_value
  int64_t min() const { return total_ ? min_ : 0; }
  int64_t max() const { return max_; }
  double mean() const;
  double stddev() const;
  // The value at or below which `percentile` % of the recorded values fall (HdrHistogram's
  // definition: the highest value equivalent to the bucket where the rank is reached).
  int64_t percentile(double percentile) const;

  // Non-empty buckets as (lowest equivalent value, count), ascending; what reports store.
  std::vector<std::pair<int64_t, uint64_t>> buckets() const;
  int digits() const { return digits_; }
  int64_t max_value() const { return max_value_; }
  // The range of values one bucket holds; two values in it are indistinguishable.
  int64_t lowest_equivalent(int64_t v) const { return value_at(index_of(v)); }
  int64_t highest_equivalent(int64_t v) const;

 private:
  size_t index_of(int64_t v) const;
  int64_t value_at(size_t index) const;

  int digits_;
  int64_t max_value_;
  int sub_bucket_half_magnitude_ = 0;
  int64_t sub_bucket_count_ = 0, sub_bucket_half_count_ = 0, sub_bucket_mask_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0, clamped_ = 0;
  int64_t min_ = INT64_MAX, max_ = 0;
  double sum_ = 0, sum_sq_ = 0;
};

}  // namespace vigil::load
