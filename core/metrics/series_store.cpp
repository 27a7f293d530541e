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

const std::string* metric_name(const LabelSet& labels) {
  for (const auto& [k, v] : labels)
    if (k == "__name__") return &v;
  return nullptr;
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

SeriesStore::SeriesMap::iterator SeriesStore::append_locked(const LabelSet& labels, int64_t t_ms, double v) {
  auto it = series_.find(labels);
  if (it == series_.end()) {
    size_t lb = 0;
    for (const auto& [k, val] : labels) lb += k.size() + val.size();
    if (series_.size() >= limits_.max_series || bytes_ + lb + sizeof(Point) > limits_.max_bytes) {
      ++dropped_;
      return series_.end();
    }
    it = series_.emplace(labels, Series{}).first;
    it->second.label_bytes = lb;
    bytes_ += lb;
    if (const std::string* name = metric_name(labels)) {
      auto& list = by_name_[*name];
      list.insert(std::upper_bound(
                      list.begin(), list.end(), it,
                      [](const SeriesMap::iterator& a, const SeriesMap::iterator& b) { return a->first < b->first; }),
                  it);
    }
  }
  auto& pts = it->second.points;
  if (!pts.empty() && pts.back().t_ms >= t_ms) {
    if (pts.back().t_ms == t_ms) {
      pts.back().v = v;  // same timestamp: the newer value wins
      return it;
    }
    ++dropped_;  // out of order
    return series_.end();
  }
  if (bytes_ + sizeof(Point) > limits_.max_bytes) {
    ++dropped_;
    return series_.end();
  }
  pts.push_back({t_ms, v});
  bytes_ += sizeof(Point);
  ++samples_;
  return it;
}

bool SeriesStore::append(const LabelSet& labels, int64_t t_ms, double v) {
  std::lock_guard lock(mu_);
  return append_locked(labels, t_ms, v) != series_.end();
}

void SeriesStore::append_batch(const std::string& source, int64_t t_ms, const std::vector<Sample>& samples) {
  std::vector<SeriesMap::iterator> now;
  now.reserve(samples.size());
  std::lock_guard lock(mu_);
  for (const auto& s : samples) {
    const int64_t t = s.unix_ms ? s.unix_ms : t_ms;
    for (auto& [labels, v] : expand_sample(s))
      if (auto it = append_locked(labels, t, v); it != series_.end()) now.push_back(it);
  }
  const auto by_address = [](const SeriesMap::iterator& a, const SeriesMap::iterator& b) { return &*a < &*b; };
  std::sort(now.begin(), now.end(), by_address);
  now.erase(std::unique(now.begin(), now.end()), now.end());
  auto& before = source_series_[source];
  for (auto it : now)
    if (!std::binary_search(before.begin(), before.end(), it, by_address)) ++it->second.sources;
  for (auto old : before) {
    if (std::binary_search(now.begin(), now.end(), old, by_address)) continue;
    append_locked(old->first, t_ms, stale_marker());
    --old->second.sources;
  }
  before = std::move(now);
}

void SeriesStore::end_source(const std::string& source, int64_t t_ms) {
  std::lock_guard lock(mu_);
  auto it = source_series_.find(source);
  if (it == source_series_.end()) return;
  for (auto s : it->second) {
    append_locked(s->first, t_ms, stale_marker());
    --s->second.sources;
  }
  source_series_.erase(it);
}

std::vector<SeriesData> SeriesStore::select(const std::vector<LabelMatcher>& matchers, int64_t start_ms, int64_t end_ms,
                                            Window window) const {
  std::vector<SeriesData> out;
  const LabelMatcher* by_name = nullptr;  // answered by the index, not checked again
  for (const auto& m : matchers)
    if (m.name() == "__name__" && m.op() == LabelMatcher::Op::equal && !m.value().empty()) by_name = &m;
  auto visit = [&](const LabelSet& labels, const Series& series) {
    for (const auto& m : matchers) {
      if (&m == by_name) continue;
      std::string_view v;
      for (const auto& [k, val] : labels)
        if (k == m.name()) v = val;
      if (!m.matches(v)) return;
    }
    const auto& pts = series.points;
    auto hi = std::upper_bound(pts.begin(), pts.end(), end_ms, [](int64_t t, const Point& p) { return t < p.t_ms; });
    if (hi == pts.begin() || std::prev(hi)->t_ms < start_ms) return;
    auto lo = window == Window::last_point
                  ? std::prev(hi)
                  : std::lower_bound(pts.begin(), hi, start_ms, [](const Point& p, int64_t t) { return p.t_ms < t; });
    out.push_back(SeriesData{labels, std::vector<Point>(lo, hi)});
  };
  std::lock_guard lock(mu_);
  if (by_name) {
    auto it = by_name_.find(by_name->value());
    if (it == by_name_.end()) return out;
    out.reserve(it->second.size());
    for (const auto& s : it->second) visit(s->first, s->second);
  } else {
    for (const auto& [labels, series] : series_) visit(labels, series);
  }
  return out;
}

void SeriesStore::erase_locked(SeriesMap::iterator it) {
  if (const std::string* name = metric_name(it->first)) {
    auto idx = by_name_.find(*name);
    if (idx != by_name_.end()) {
      auto& list = idx->second;
      list.erase(std::remove(list.begin(), list.end(), it), list.end());
      if (list.empty()) by_name_.erase(idx);
    }
  }
  bytes_ -= it->second.label_bytes;
  series_.erase(it);
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
    if (pts.empty() && it->second.sources == 0) {
      erase_locked(it++);
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
