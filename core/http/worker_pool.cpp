#include "http/worker_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "log/log.h"

namespace vigil::http {

WorkerPool::WorkerPool(std::string name, size_t threads, size_t max_queued)
    : name_(std::move(name)), max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::try_post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    // Idle workers take a job at once; beyond them, at most max_queued_ wait.
    if (stopping_ || queue_.size() >= idle_ + max_queued_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  dropped.clear();  // outside the lock: a job's captures may run destructors that post again
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WorkerPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      log::error("http", "a request job failed", {{"pool", name_}, {"error", e.what()}});
    } catch (...) {
      log::error("http", "a request job failed", {{"pool", name_}, {"error", "unknown exception"}});
    }
  }
}

}  // namespace vigil::http
