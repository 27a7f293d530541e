// LiveTotals: what the measured part of a run gave so far, for thresholds judged during the run
// (LoadOptions::judge, k6's abortOnFail). Each engine thread counts into its own Batch and hands
// it over about every 200 ms; the control thread takes a snapshot once a second. Latency here
// has two significant digits: enough to judge a threshold, while the report keeps three.
#pragma once

#include <chrono>
#include <mutex>

#include "load/run_result.h"

namespace vigil::load {

class LiveTotals {
 public:
  struct Batch {  // one engine thread's, unshared
    Histogram latency{2};
    uint64_t ok = 0, failed = 0, dropped = 0;
    std::chrono::steady_clock::time_point handed{};
  };

  // Hands the batch over when 200 ms passed since its last hand-over (or always, with force).
  void offer(Batch& b, std::chrono::steady_clock::time_point now, bool force = false) {
    if (!force && now - b.handed < std::chrono::milliseconds(200)) return;
    b.handed = now;
    std::lock_guard l(mu_);
    latency_.add(b.latency);
    ok_ += b.ok;
    failed_ += b.failed;
    dropped_ += b.dropped;
    b.latency.reset();
    b.ok = b.failed = b.dropped = 0;
  }

  // The run so far as a RunResult that thresholds can judge: latency, requests, ok, dropped,
  // failures (one kind, "so_far") and the measured duration.
  RunResult snapshot(double measured_s) const {
    RunResult r;
    std::lock_guard l(mu_);
    r.latency = latency_;
    r.ok = ok_;
    r.requests = ok_ + failed_;
    if (failed_) r.errors["so_far"] = failed_;
    r.dropped = dropped_;
    r.duration_s = measured_s;
    return r;
  }

 private:
  mutable std::mutex mu_;
  Histogram latency_{2};
  uint64_t ok_ = 0, failed_ = 0, dropped_ = 0;
};

}  // namespace vigil::load
