#include "metrics/sample_store.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

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

void SampleStore::append_families(std::vector<prometheus::MetricFamily>& out) const {
  std::vector<std::shared_ptr<const Source>> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.reserve(sources_.size());
    for (const auto& [k, s] : sources_) snapshot.push_back(s);
  }
  std::map<std::string, prometheus::MetricFamily> families;
  std::unordered_map<std::string, std::set<std::vector<std::pair<std::string, std::string>>>> seen;
  for (const auto& src : snapshot) {
    for (const auto& s : src->samples) {
      auto [it, inserted] = families.try_emplace(s.name);
      auto& fam = it->second;
      if (inserted) {
        fam.name = s.name;
        fam.help = s.help.empty() ? s.name : s.help;
        fam.type = to_prom(s.type);
      } else if (fam.type != to_prom(s.type)) {
        conflicts_.fetch_add(1);
        continue;
      }
      if (!seen[s.name].insert(s.labels).second) {
        conflicts_.fetch_add(1);
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
  for (auto& [name, fam] : families) out.push_back(std::move(fam));
}

}  // namespace vigil::metrics
