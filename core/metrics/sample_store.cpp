#include "metrics/sample_store.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <unordered_map>

#include "log/log.h"
#include "log/rate_limiter.h"

namespace vigil::metrics {
namespace {

prometheus::MetricType to_prom(SampleType t) {
  switch (t) {
    case SampleType::gauge: return prometheus::MetricType::Gauge;
    case SampleType::counter: return prometheus::MetricType::Counter;
    case SampleType::histogram: return prometheus::MetricType::Histogram;
    case SampleType::untyped: return prometheus::MetricType::Untyped;
  }
  return prometheus::MetricType::Untyped;
}

}  // namespace

void SampleStore::replace(const std::string& source, std::vector<Sample> samples,
                          const std::vector<std::pair<std::string, std::string>>& extra_labels) {
  for (auto& s : samples) add_missing_labels(s, extra_labels);
  auto src = std::make_shared<Source>();
  src->samples = std::move(samples);
  std::lock_guard lock(mu_);
  sources_[source] = std::move(src);
}

void SampleStore::remove(const std::string& source) {
  std::lock_guard lock(mu_);
  sources_.erase(source);
}

size_t SampleStore::series_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [k, s] : sources_) n += s->samples.size();
  return n;
}

SampleStore::Conflicts SampleStore::conflict_counts() const {
  return {type_mismatch_.load(), duplicate_series_.load(), invalid_utf8_.load()};
}

SampleStore::Conflicts SampleStore::append_families(std::vector<prometheus::MetricFamily>& out) const {
  Conflicts now;
  std::vector<std::pair<std::string, std::shared_ptr<const Source>>> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.reserve(sources_.size());
    for (const auto& [k, s] : sources_) snapshot.emplace_back(k, s);
  }
  using Labels = std::vector<std::pair<std::string, std::string>>;
  // Families already in `out` (vigil's own) first: their series are taken, their type stands.
  std::unordered_map<std::string, size_t> index;  // family name -> position in `out`
  std::unordered_map<std::string, std::set<Labels>> seen;
  const size_t own = out.size();
  for (size_t i = 0; i < own; ++i) {
    index.emplace(out[i].name, i);
    auto& series = seen[out[i].name];
    for (const auto& m : out[i].metric) {
      Labels l;
      for (const auto& lp : m.label) l.emplace_back(lp.name, lp.value);
      std::sort(l.begin(), l.end());
      series.insert(std::move(l));
    }
  }
  auto dropped = [](std::atomic<uint64_t>& counter, uint64_t& this_merge, const char* why, const std::string& family,
                    const std::string& source) {
    counter.fetch_add(1);
    ++this_merge;
    static log::RateLimiter limiter(std::chrono::minutes(1));
    if (auto suppressed = limiter.admit(std::string(why) + "/" + family + "/" + source))
      log::warn("metrics", "a sample was left out of /metrics",
                {{"reason", why}, {"family", family}, {"source", source}, {"suppressed", *suppressed}});
  };
  for (const auto& [source, src] : snapshot) {
    for (const auto& s : src->samples) {
      if (std::any_of(s.labels.begin(), s.labels.end(), [](const auto& l) { return !valid_utf8(l.second); })) {
        dropped(invalid_utf8_, now.invalid_utf8, "invalid_utf8", s.name, source);
        continue;
      }
      auto [it, inserted] = index.try_emplace(s.name, out.size());
      if (inserted) {
        prometheus::MetricFamily fam;
        fam.name = s.name;
        fam.help = escape_help(valid_utf8(s.help) ? s.help : utf8_lossy(s.help));
        if (fam.help.empty()) fam.help = s.name;
        fam.type = to_prom(s.type);
        out.push_back(std::move(fam));
      }
      auto& fam = out[it->second];
      if (fam.type != to_prom(s.type)) {
        dropped(type_mismatch_, now.type_mismatch, "type_mismatch", s.name, source);
        continue;
      }
      if (!seen[s.name].insert(s.labels).second) {
        dropped(duplicate_series_, now.duplicate_series, "duplicate_series", s.name, source);
        continue;
      }
      prometheus::ClientMetric m;
      m.label.reserve(s.labels.size());
      for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
      switch (s.type) {
        case SampleType::gauge: m.gauge.value = s.value; break;
        case SampleType::counter: m.counter.value = s.value; break;
        case SampleType::untyped: m.untyped.value = s.value; break;
        case SampleType::histogram:
          m.histogram.sample_count = s.count;
          m.histogram.sample_sum = s.sum;
          for (const auto& [bound, cnt] : s.buckets) m.histogram.bucket.push_back({cnt, bound});
          m.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
          break;
      }
      m.timestamp_ms = s.unix_ms;
      fam.metric.push_back(std::move(m));
    }
  }
  // Sources' families in name order after vigil's own, as before.
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(own), out.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return now;
}

}  // namespace vigil::metrics
