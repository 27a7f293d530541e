// SeriesStore: a bounded in-memory window of recent samples for rule evaluation. Each series
// is keyed by its full label set (with __name__) and holds (timestamp, value) points of 16
// bytes, oldest first. Points older than the retention are evicted; limits on series and bytes
// drop new data (counted) rather than grow without bound.
//
// Staleness follows Prometheus: when a source's next batch lacks a series it reported before,
// the series gets a stale marker (a special NaN) at the batch's time, and instant selection
// stops at it. Histograms are stored as their _bucket{le}, _sum and _count series.
//
// Thread-safe: appends from collector threads, selects from the rule evaluator.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include <deque>

#include "metrics/label_matcher.h"
#include "metrics/sample.h"

namespace vigil::metrics {

using LabelSet = std::vector<std::pair<std::string, std::string>>;  // sorted by name

struct Point {
  int64_t t_ms;
  double v;
};
static_assert(sizeof(Point) == 16, "a stored sample is 16 bytes");

// Prometheus' stale marker: a NaN with a reserved bit pattern, distinct from ordinary NaN.
double stale_marker();
bool is_stale_marker(double v);

struct SeriesStoreLimits {
  int64_t retention_ms = 10 * 60 * 1000;  // keep this much history (longest rule range + lookback)
  size_t max_series = 100000;             // new series beyond this are dropped
  size_t max_bytes = 64u << 20;           // points + labels; new points beyond this are dropped
};

struct SeriesStoreStats {
  size_t series = 0;
  size_t samples = 0;
  size_t bytes = 0;
  uint64_t dropped_samples = 0;  // refused at a limit, since start
};

struct SeriesData {
  LabelSet labels;
  std::vector<Point> points;  // within the requested window, oldest first
};

class SeriesStore {
 public:
  explicit SeriesStore(SeriesStoreLimits limits = {});

  void set_retention_ms(int64_t ms);
  // One collection of `source` at time t_ms (extra labels already applied). Series the source
  // reported last time and not now get a stale marker.
  void append_batch(const std::string& source, int64_t t_ms, const std::vector<Sample>& samples);
  // Marks every series of the source stale (the source was removed).
  void end_source(const std::string& source, int64_t t_ms);
  // Appends one point; false when dropped at a limit or out of order.
  bool append(const LabelSet& labels, int64_t t_ms, double v);
  // Series matching every matcher (a matcher on an absent label sees ""), with their points in
  // [start_ms, end_ms]. Series with no point in the window are left out.
  std::vector<SeriesData> select(const std::vector<LabelMatcher>& matchers, int64_t start_ms, int64_t end_ms) const;
  // Drops points older than now_ms - retention and series left empty.
  void evict(int64_t now_ms);
  SeriesStoreStats stats() const;

 private:
  struct Series {
    std::deque<Point> points;
    size_t label_bytes = 0;
  };
  bool append_locked(const LabelSet& labels, int64_t t_ms, double v);

  SeriesStoreLimits limits_;
  mutable std::mutex mu_;
  std::map<LabelSet, Series> series_;                        // guarded by mu_
  std::map<std::string, std::set<LabelSet>> source_series_;  // guarded by mu_
  size_t bytes_ = 0;                                         // guarded by mu_
  size_t samples_ = 0;                                       // guarded by mu_
  uint64_t dropped_ = 0;                                     // guarded by mu_
};

// The stored series a sample becomes: itself, or for a histogram its _bucket/_sum/_count.
std::vector<std::pair<LabelSet, double>> expand_sample(const Sample& s);

}  // namespace vigil::metrics
