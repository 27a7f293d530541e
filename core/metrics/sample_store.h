// SampleStore: the latest samples of every source (one per plugin instance), merged into
// metric families for /metrics. A source's samples are replaced as a whole after each
// collection, so series a collector stops emitting disappear (node_exporter semantics).
//
// Thread-safe: replace/remove from collector threads, append_families from the HTTP thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/sample.h"

namespace prometheus {
struct MetricFamily;
}

namespace vigil::metrics {

class SampleStore {
 public:
  // Extra labels added to every sample of the source (an instance's `labels` table).
  void replace(const std::string& source, std::vector<Sample> samples,
               const std::vector<std::pair<std::string, std::string>>& extra_labels = {});
  void remove(const std::string& source);

  // Appends the merged families. Where two sources disagree on a family's type, or emit the
  // same series, the first source (in name order) wins and the conflict is counted.
  void append_families(std::vector<prometheus::MetricFamily>& out) const;

  size_t series_count() const;
  uint64_t conflicts() const { return conflicts_.load(); }

 private:
  struct Source {
    std::vector<Sample> samples;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Source>> sources_;  // guarded by mu_
  mutable std::atomic<uint64_t> conflicts_{0};
};

}  // namespace vigil::metrics
