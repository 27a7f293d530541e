#include "metrics/series_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace vigil::metrics {
namespace {

constexpr uint64_t kStaleBits = 0x7ff0000000000002ULL;

LabelSet with(const LabelSet& base, const std::string& name,
              std::vector<std::pair<std::string, std::string>> extra = {}) {
  LabelSet out = base;
  for (auto& e : extra) out.push_back(std::move(e));
  out.emplace_back("__name__", name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

double stale_marker() {
  double d;
  std::memcpy(&d, &kStaleBits, sizeof d);
  return d;
}

bool is_stale_marker(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleBits;
}

std::vector<std::pair<LabelSet, double>> expand_sample(const Sample& s) {
  std::vector<std::pair<LabelSet, double>> out;
  if (s.type != SampleType::histogram) {
    out.emplace_back(with(s.labels, s.name), s.value);
    return out;
  }
  for (const auto& [bound, count] : s.buckets)
    out.emplace_back(with(s.labels, s.name + "_bucket", {{"le", format_float(bound)}}), static_cast<double>(count));
  out.emplace_back(with(s.labels, s.name + "_bucket", {{"le", "+Inf"}}), static_cast<double>(s.count));
  out.emplace_back(with(s.labels, s.name + "_sum"), s.sum);
  out.emplace_back(with(s.labels, s.name + "_count"), static_cast<double>(s.count));
  return out;
}

SeriesStore::SeriesStore(SeriesStoreLimits limits) : limits_(limits) {}

void SeriesStore::set_retention_ms(int64_t ms) {
  std::lock_guard lock(mu_);
  limits_.retention_ms = ms;
}

bool SeriesStore::append_locked(const LabelSet& labels, int64_t t_ms, double v) {
  auto it = series_.find(labels);
  if (it == series_.end()) {
    size_t lb = 0;
    for (const auto& [k, val] : labels) lb += k.size() + val.size();
    if (series_.size() >= limits_.max_series || bytes_ + lb + sizeof(Point) > limits_.max_bytes) {
      ++dropped_;
      return false;
    }
    it = series_.emplace(labels, Series{}).first;
    it->second.label_bytes = lb;
    bytes_ += lb;
  }
  auto& pts = it->second.points;
  if (!pts.empty() && pts.back().t_ms >= t_ms) {
    if (pts.back().t_ms == t_ms) {
      pts.back().v = v;  // same timestamp: the newer value wins
      return true;
    }
    ++dropped_;  // out of order
    return false;
  }
  if (bytes_ + sizeof(Point) > limits_.max_bytes) {
    ++dropped_;
    return false;
  }
  pts.push_back({t_ms, v});
  bytes_ += sizeof(Point);
  ++samples_;
  return true;
}

bool SeriesStore::append(const LabelSet& labels, int64_t t_ms, double v) {
  std::lock_guard lock(mu_);
  return append_locked(labels, t_ms, v);
}

void SeriesStore::append_batch(const std::string& source, int64_t t_ms, const std::vector<Sample>& samples) {
  std::set<LabelSet> now;
  std::lock_guard lock(mu_);
  for (const auto& s : samples) {
    const int64_t t = s.unix_ms ? s.unix_ms : t_ms;
    for (auto& [labels, v] : expand_sample(s)) {
      if (append_locked(labels, t, v)) now.insert(std::move(labels));
    }
  }
  auto& before = source_series_[source];
  for (const auto& old : before)
    if (!now.count(old)) append_locked(old, t_ms, stale_marker());
  before = std::move(now);
}

void SeriesStore::end_source(const std::string& source, int64_t t_ms) {
  std::lock_guard lock(mu_);
  auto it = source_series_.find(source);
  if (it == source_series_.end()) return;
  for (const auto& l : it->second) append_locked(l, t_ms, stale_marker());
  source_series_.erase(it);
}

std::vector<SeriesData> SeriesStore::select(const std::vector<LabelMatcher>& matchers, int64_t start_ms,
                                            int64_t end_ms) const {
  std::vector<SeriesData> out;
  std::lock_guard lock(mu_);
  for (const auto& [labels, series] : series_) {
    bool ok = true;
    for (const auto& m : matchers) {
      std::string_view v;
      for (const auto& [k, val] : labels)
        if (k == m.name()) v = val;
      if (!m.matches(v)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    const auto& pts = series.points;
    auto lo = std::lower_bound(pts.begin(), pts.end(), start_ms, [](const Point& p, int64_t t) { return p.t_ms < t; });
    auto hi = std::upper_bound(pts.begin(), pts.end(), end_ms, [](int64_t t, const Point& p) { return t < p.t_ms; });
    if (lo >= hi) continue;
    out.push_back(SeriesData{labels, std::vector<Point>(lo, hi)});
  }
  return out;
}

void SeriesStore::evict(int64_t now_ms) {
  std::lock_guard lock(mu_);
  const int64_t cutoff = now_ms - limits_.retention_ms;
  for (auto it = series_.begin(); it != series_.end();) {
    auto& pts = it->second.points;
    while (!pts.empty() && pts.front().t_ms < cutoff) {
      pts.pop_front();
      bytes_ -= sizeof(Point);
      --samples_;
    }
    if (pts.empty()) {
      bytes_ -= it->second.label_bytes;
      it = series_.erase(it);
    } else {
      ++it;
    }
  }
}

SeriesStoreStats SeriesStore::stats() const {
  std::lock_guard lock(mu_);
  return SeriesStoreStats{series_.size(), samples_, bytes_, dropped_};
}

}  // namespace vigil::metrics
