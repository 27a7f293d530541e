// CollectionSchedule: the timing rules of one periodic job, as pure logic over time points so
// tests drive it with a fake clock. Runs are due every `interval` from a fixed base (no drift),
// each delayed by a random jitter in [0, jitter). A run due while the previous one is still
// running is skipped. After a failure the next run waits interval * 2^failures, capped at
// max_backoff; a success resets it. Not thread-safe: one scheduler thread owns it.
#pragma once

#include <chrono>
#include <cstdint>

namespace vigil::runtime {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

struct ScheduleSpec {
  nanoseconds interval{std::chrono::seconds(10)};
  nanoseconds timeout{std::chrono::seconds(5)};
  nanoseconds jitter{0};
  nanoseconds max_backoff{std::chrono::minutes(5)};
};

class CollectionSchedule {
 public:
  CollectionSchedule(ScheduleSpec spec, Clock::time_point first_due);

  Clock::time_point next_due() const { return next_due_; }
  bool running() const { return running_; }
  Clock::time_point deadline() const { return deadline_; }
  uint32_t consecutive_failures() const { return failures_; }

  enum class Decision { start, skip };
  // Called when now >= next_due(). jitter_fraction in [0, 1) picks the next run's jitter.
  // start: the run begins with deadline = now + timeout.
  Decision on_due(Clock::time_point now, double jitter_fraction = 0);
  // True exactly once per run, when now passes the deadline of a run still in progress.
  bool check_overrun(Clock::time_point now);
  void on_finish(Clock::time_point now, bool ok);

 private:
  void advance(double jitter_fraction);

  ScheduleSpec spec_;
  Clock::time_point base_;      // the un-jittered due time of the next run
  Clock::time_point next_due_;  // base_ + jitter
  Clock::time_point deadline_{};
  bool running_ = false;
  bool overrun_reported_ = false;
  uint32_t failures_ = 0;
};

}  // namespace vigil::runtime
