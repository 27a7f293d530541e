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

  // Merges every source's samples into `out`, which may already hold families (vigil's own):
  // a sample of a family already present joins it (one HELP and TYPE per name; the first
  // family's help wins, escaped). Where two sources, or a source and vigil's own metrics,
  // disagree on a family's type or emit the same series, the first (vigil's own, then sources
  // in name order) wins, and the dropped sample is counted and logged (rate-limited). A label
  // value that is not valid UTF-8 is dropped the same way: one bad sample never spoils the
  // exposition. Returns what this merge left out.
  struct Conflicts {
    uint64_t type_mismatch = 0;
    uint64_t duplicate_series = 0;
    uint64_t invalid_utf8 = 0;
  };
  Conflicts append_families(std::vector<prometheus::MetricFamily>& out) const;

  size_t series_count() const;
  // Totals over every merge so far.
  Conflicts conflict_counts() const;
  uint64_t conflicts() const {
    const auto c = conflict_counts();
    return c.type_mismatch + c.duplicate_series + c.invalid_utf8;
  }

 private:
  struct Source {
    std::vector<Sample> samples;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Source>> sources_;  // guarded by mu_
  mutable std::atomic<uint64_t> type_mismatch_{0};
  mutable std::atomic<uint64_t> duplicate_series_{0};
  mutable std::atomic<uint64_t> invalid_utf8_{0};
};

}  // namespace vigil::metrics
