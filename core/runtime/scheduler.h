// Scheduler: runs periodic jobs, each on its own worker thread, so a slow or hung job never
// delays another. One control thread sleeps until the earliest due time, starts due jobs,
// skips (and reports) runs that would overlap, and reports runs that pass their deadline.
//
// Thread-safety: add/remove/stop from the control thread; callbacks run on worker threads
// (run) or the scheduler thread (on_skip, on_overrun, on_lag) and must be thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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

  // The first run is due at once; later ones each get a random delay within the jitter.
  void add(Job job);
  // Stops scheduling the job; a run in progress finishes on its own thread.
  void remove(const std::string& id);
  // Stops all scheduling and waits up to `drain` for runs in progress. Returns the number of
  // runs still in progress when the deadline passed (their threads are left to finish alone).
  size_t stop(nanoseconds drain);

 private:
  struct Worker;
  // The lock and wake-up shared with worker threads, which may outlive the Scheduler.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
  };
  void loop();

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::map<std::string, std::shared_ptr<Worker>> workers_;  // guarded by shared_->mu
  bool stopping_ = false;                                   // guarded by shared_->mu
  std::thread thread_;
};

}  // namespace vigil::runtime
