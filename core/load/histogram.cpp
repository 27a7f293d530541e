#include "load/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace vigil::load {

Histogram::Histogram(int digits, int64_t max_value) : digits_(digits), max_value_(max_value) {
  if (digits < 1 || digits > 5) throw std::invalid_argument("histogram digits must be 1 to 5");
  // Enough linear sub-buckets to tell apart values 10^-digits apart (HdrHistogram's layout with
  // a unit of 1 µs): 2 * 10^digits rounded up to a power of two.
  const int64_t largest_single_unit = 2 * static_cast<int64_t>(std::pow(10, digits));
  const int magnitude = static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
  sub_bucket_half_magnitude_ = std::max(magnitude, 1) - 1;
  sub_bucket_count_ = int64_t{1} << (sub_bucket_half_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = sub_bucket_count_ - 1;
  int buckets = 1;
  for (int64_t smallest_untrackable = sub_bucket_count_; smallest_untrackable <= max_value; smallest_untrackable <<= 1)
    ++buckets;
  counts_.assign(static_cast<size_t>((buckets + 1) * sub_bucket_half_count_), 0);
}

size_t Histogram::index_of(int64_t v) const {
  const int pow2ceiling = 64 - __builtin_clzll(static_cast<uint64_t>(v | sub_bucket_mask_));
  const int bucket = pow2ceiling - (sub_bucket_half_magnitude_ + 1);
  const int64_t sub = v >> bucket;
  return static_cast<size_t>(((static_cast<int64_t>(bucket) + 1) << sub_bucket_half_magnitude_) +
                             (sub - sub_bucket_half_count_));
}

int64_t Histogram::value_at(size_t index) const {
  int bucket = static_cast<int>(index >> sub_bucket_half_magnitude_) - 1;
  int64_t sub = static_cast<int64_t>(index & static_cast<size_t>(sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket < 0) {
    sub -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub << bucket;
}

int64_t Histogram::highest_equivalent(int64_t v) const {
  const size_t i = index_of(v);
  const int bucket = std::max(0, static_cast<int>(i >> sub_bucket_half_magnitude_) - 1);
  return value_at(i) + (int64_t{1} << bucket) - 1;
}

void Histogram::record_n(int64_t v, uint64_t n) {
  if (v < 0) v = 0;
  if (v > max_value_) {
    v = max_value_;
    clamped_ += n;
  }
  counts_[index_of(v)] += n;
  total_ += n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
  const double d = static_cast<double>(v);
  sum_ += d * static_cast<double>(n);
  sum_sq_ += d * d * static_cast<double>(n);
}

void Histogram::add(const Histogram& o) {
  if (o.counts_.size() != counts_.size() || o.digits_ != digits_)
    throw std::invalid_argument("histograms of different layouts cannot be added");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  clamped_ += o.clamped_;
  if (o.total_) {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  sum_ += o.sum_;
  sum_sq_ += o.sum_sq_;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = clamped_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
  sum_ = sum_sq_ = 0;
}

double Histogram::mean() const {
  return total_ ? sum_ / static_cast<double>(total_) : 0;
}

double Histogram::stddev() const {
  if (!total_) return 0;
  const double m = mean();
  return std::sqrt(std::max(0.0, sum_sq_ / static_cast<double>(total_) - m * m));
}

int64_t Histogram::percentile(double p) const {
  if (!total_) return 0;
  p = std::clamp(p, 0.0, 100.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(max_, highest_equivalent(value_at(i)));
  }
  return max_;
}

std::vector<std::pair<int64_t, uint64_t>> Histogram::buckets() const {
  std::vector<std::pair<int64_t, uint64_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) out.emplace_back(value_at(i), counts_[i]);
  return out;
}

}  // namespace vigil::load
