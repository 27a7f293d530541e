#include "runtime/collection_schedule.h"

#include <algorithm>

namespace vigil::runtime {

CollectionSchedule::CollectionSchedule(ScheduleSpec spec, Clock::time_point first_due)
    : spec_(spec), base_(first_due), next_due_(first_due) {
  spec_.timeout = std::min(spec_.timeout, spec_.interval);
}

void CollectionSchedule::advance(double jitter_fraction) {
  base_ += spec_.interval;
  next_due_ = base_ + std::chrono::duration_cast<nanoseconds>(spec_.jitter * std::clamp(jitter_fraction, 0.0, 0.999));
}

CollectionSchedule::Decision CollectionSchedule::on_due(Clock::time_point now, double jitter_fraction) {
  // After a long stall (suspend, overload) skip the missed slots instead of running a burst.
  while (base_ + spec_.interval <= now) base_ += spec_.interval;
  advance(jitter_fraction);
  if (running_) return Decision::skip;
  running_ = true;
  overrun_reported_ = false;
  deadline_ = now + spec_.timeout;
  return Decision::start;
}

bool CollectionSchedule::check_overrun(Clock::time_point now) {
  if (!running_ || overrun_reported_ || now <= deadline_) return false;
  overrun_reported_ = true;
  return true;
}

void CollectionSchedule::on_finish(Clock::time_point now, bool ok) {
  running_ = false;
  if (ok) {
    failures_ = 0;
    return;
  }
  ++failures_;
  // interval * 2^failures, capped: 1 failure waits 2 intervals, 2 wait 4, ...
  nanoseconds backoff = spec_.interval;
  for (uint32_t i = 0; i < failures_ && backoff < spec_.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, std::max(spec_.max_backoff, spec_.interval));
  if (now + backoff > next_due_) {
    next_due_ = now + backoff;
    base_ = next_due_;
  }
}

}  // namespace vigil::runtime
