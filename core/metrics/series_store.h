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
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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
  // Series named by an equality matcher on __name__ are found through an index; others scan.
  enum class Window { all_points, last_point };
  std::vector<SeriesData> select(const std::vector<LabelMatcher>& matchers, int64_t start_ms, int64_t end_ms,
                                 Window window = Window::all_points) const;
  // Drops points older than now_ms - retention and series left empty.
  void evict(int64_t now_ms);
  SeriesStoreStats stats() const;

 private:
  // Points oldest first in one contiguous block (fast binary search and copies). Eviction
  // advances `head_`; the dead prefix is reclaimed when the block is full.
  class PointBuffer {
   public:
    bool empty() const { return head_ == buf_.size(); }
    const Point* begin() const { return buf_.data() + head_; }
    const Point* end() const { return buf_.data() + buf_.size(); }
    const Point& front() const { return buf_[head_]; }
    Point& back() { return buf_.back(); }
    // A full block first reuses its dead prefix, and grows by a quarter only when there is
    // none: once a series reaches its steady size (retention / interval) it stops growing,
    // and the block stays within about 1.25 times the live points.
    void push_back(Point p) {
      if (buf_.size() == buf_.capacity()) {
        if (head_ > 0) {
          compact();
        } else {
          buf_.reserve(buf_.capacity() + buf_.capacity() / 4 + 4);
        }
      }
      buf_.push_back(p);
    }
    void pop_front() {
      if (++head_ == buf_.size()) {
        buf_.clear();
        head_ = 0;
      }
    }

   private:
    void compact() {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }

    std::vector<Point> buf_;
    size_t head_ = 0;
  };
  struct Series {
    PointBuffer points;
    uint32_t sources = 0;  // sources whose last batch had this series; kept while > 0
    size_t label_bytes = 0;
  };
  using SeriesMap = std::map<LabelSet, Series>;
  // The series appended to, or series_.end() when the point was dropped.
  SeriesMap::iterator append_locked(const LabelSet& labels, int64_t t_ms, double v);
  void erase_locked(SeriesMap::iterator it);

  SeriesStoreLimits limits_;
  mutable std::mutex mu_;
  SeriesMap series_;                                                           // guarded by mu_
  std::unordered_map<std::string, std::vector<SeriesMap::iterator>> by_name_;  // guarded by mu_; label-set order
  // Each source's series of its last batch, ordered by address. guarded by mu_
  std::map<std::string, std::vector<SeriesMap::iterator>> source_series_;
  size_t bytes_ = 0;      // guarded by mu_
  size_t samples_ = 0;    // guarded by mu_
  uint64_t dropped_ = 0;  // guarded by mu_
};

// The stored series a sample becomes: itself, or for a histogram its _bucket/_sum/_count.
std::vector<std::pair<LabelSet, double>> expand_sample(const Sample& s);

}  // namespace vigil::metrics
