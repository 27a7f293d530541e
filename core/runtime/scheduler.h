// Scheduler: runs periodic jobs, each on its own worker thread, so a slow or hung job never
// delays another. One control thread sleeps until the earliest due time, starts due jobs,
// skips (and reports) runs that would overlap, and reports runs that pass their deadline.
//
// Thread-safety: add/remove/stop from the control thread; callbacks run on worker threads
// (run) or the scheduler thread (on_skip, on_overrun, on_lag) and must be thread-safe.
//
// Lifetime contract: a run in progress when its job is removed is never abandoned silently.
// remove() waits for it up to a bound; a run that outlives the bound keeps its worker (and the
// job's captures) alive, is counted by in_flight(), and makes stop() report it as stuck, so the
// owner can exit without destroying what the run still uses.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/collection_schedule.h"

namespace vigil::runtime {

struct Job {
  std::string id;
  ScheduleSpec spec;
  // One run; returns true on success. Receives the run's deadline.
  std::function<bool(Clock::time_point deadline)> run;
  std::function<void()> on_skip;
  std::function<void()> on_overrun;
  std::function<void(double lag_seconds)> on_lag;
};

class Scheduler {
 public:
  Scheduler();
  ~Scheduler();  // stop(0)
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The first run is due at once; later ones each get a random delay within the jitter. A job
  // with the id of a running one replaces it (the old one is removed first, waiting up to 1 s).
  void add(Job job);
  // Stops scheduling the job and waits up to `wait` for a run in progress to return. True when
  // no run is in progress any more; false when one still is: it finishes on its own thread,
  // and stop() waits for it and counts it.
  bool remove(const std::string& id, nanoseconds wait = nanoseconds::max());
  // Stops all scheduling and waits up to `drain` for every run in progress, removed jobs'
  // included. Returns the number still in progress when the deadline passed: their threads are
  // left running, so the caller must not destroy anything those runs use (exit instead).
  size_t stop(nanoseconds drain);
  // Runs in progress of removed jobs (quarantined work that has not returned yet).
  size_t in_flight_removed();

 private:
  struct Worker;
  // The lock and wake-up shared with worker threads, which may outlive the Scheduler.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
  };
  void loop();
  // Joins removed workers whose run has returned. Never called with shared_->mu held.
  void reap_removed();

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::map<std::string, std::shared_ptr<Worker>> workers_;  // guarded by shared_->mu
  std::vector<std::shared_ptr<Worker>> removed_;            // control thread only: runs outliving remove()
  bool stopping_ = false;                                   // guarded by shared_->mu
  std::thread thread_;
};

}  // namespace vigil::runtime
