// WorkerPool: a fixed set of threads running queued jobs, with a bounded queue.
//
// The HTTP server runs request handlers here, off its I/O thread, so a slow handler (a history
// query, a large /metrics rendering) delays only the requests queued behind it in the same pool.
// Thread-safety: every member may be called from any thread; the destructor calls stop().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::http {

class WorkerPool {
 public:
  // `threads` >= 1 workers; at most `max_queued` jobs wait for one (0: none wait).
  WorkerPool(std::string name, size_t threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false (and `job` dropped unrun) when the queue is full or the pool stopped.
  // A job must not throw: an exception escaping it is logged and swallowed.
  bool try_post(std::function<void()> job);
  // Drops the jobs still queued (destroying them unrun), waits for the running ones, joins.
  void stop();

  const std::string& name() const { return name_; }

 private:
  void work();

  const std::string name_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  size_t idle_ = 0;                          // workers waiting for a job; guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace vigil::http
