#include "isolation/sample_codec.h"

namespace vigil::isolation {
namespace {

// The fewest bytes one encoded sample takes: type, two empty strings, no labels, value,
// time, no buckets, sum and count.
constexpr size_t kMinSampleSize = 1 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8;
constexpr size_t kMinLabelSize = 4 + 4;
constexpr size_t kBucketSize = 8 + 8;

}  // namespace

void encode_samples(Encoder& e, const std::vector<metrics::Sample>& samples) {
  size_t bytes = 4;
  for (const auto& s : samples) {
    bytes += kMinSampleSize + s.name.size() + s.help.size() + s.buckets.size() * kBucketSize;
    for (const auto& [name, value] : s.labels) bytes += kMinLabelSize + name.size() + value.size();
  }
  e.reserve(e.bytes().size() + bytes);
  e.u32(static_cast<uint32_t>(samples.size()));
  for (const auto& s : samples) {
    e.u8(static_cast<uint8_t>(s.type));
    e.str(s.name);
    e.str(s.help);
    e.u32(static_cast<uint32_t>(s.labels.size()));
    for (const auto& [name, value] : s.labels) {
      e.str(name);
      e.str(value);
    }
    e.f64(s.value);
    e.i64(s.unix_ms);
    e.u32(static_cast<uint32_t>(s.buckets.size()));
    for (const auto& [bound, count] : s.buckets) {
      e.f64(bound);
      e.u64(count);
    }
    e.f64(s.sum);
    e.u64(s.count);
  }
}

bool decode_samples(Decoder& d, std::vector<metrics::Sample>& out, size_t max_samples) {
  size_t n = 0;
  if (!d.count(n, kMinSampleSize) || n > max_samples) return false;
  out.clear();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    metrics::Sample& s = out.emplace_back();
    uint8_t type = 0;
    size_t labels = 0, buckets = 0;
    if (!d.u8(type) || type > static_cast<uint8_t>(metrics::SampleType::histogram)) return false;
    s.type = static_cast<metrics::SampleType>(type);
    if (!d.str(s.name) || !d.str(s.help) || !d.count(labels, kMinLabelSize)) return false;
    s.labels.resize(labels);
    for (auto& [name, value] : s.labels)
      if (!d.str(name) || !d.str(value)) return false;
    if (!d.f64(s.value) || !d.i64(s.unix_ms) || !d.count(buckets, kBucketSize)) return false;
    s.buckets.resize(buckets);
    for (auto& [bound, count] : s.buckets)
      if (!d.f64(bound) || !d.u64(count)) return false;
    if (!d.f64(s.sum) || !d.u64(s.count)) return false;
  }
  return !d.failed();
}

}  // namespace vigil::isolation
