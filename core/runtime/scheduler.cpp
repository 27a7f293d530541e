#include "runtime/scheduler.h"

#include <exception>
#include <random>
#include <vector>

#include "log/log.h"

namespace vigil::runtime {

// A job's dedicated thread and its schedule. Shared with the thread itself, so a worker that
// outlives remove() or stop() (a hung plugin) still owns valid state.
struct Scheduler::Worker {
  Worker(Job j, Clock::time_point first_due, std::shared_ptr<Shared> s)
      : job(std::move(j)), schedule(job.spec, first_due), shared(std::move(s)) {}

  Job job;
  CollectionSchedule schedule;  // guarded by shared->mu
  std::shared_ptr<Shared> shared;
  std::mutex mu;
  std::condition_variable cv;
  bool pending = false;          // guarded by mu: a run was requested
  Clock::time_point deadline{};  // guarded by mu
  bool quit = false;             // guarded by mu
  bool busy = false;             // guarded by mu
  std::thread thread;

  void main() {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return pending || quit; });
      if (quit) return;
      pending = false;
      busy = true;
      const auto dl = deadline;
      lock.unlock();
      bool ok = false;
      // A job that throws fails this run only; it is logged, never swallowed, and runs again.
      try {
        ok = job.run(dl);
      } catch (const std::exception& e) {
        log::error("scheduler", "a scheduled job failed with an exception", {{"job", job.id}, {"error", e.what()}});
      } catch (...) {
        log::error("scheduler", "a scheduled job failed with an unknown exception", {{"job", job.id}});
      }
      {
        // Never hold `mu` while taking shared->mu: the scheduler loop takes them the other way.
        std::lock_guard sl(shared->mu);
        schedule.on_finish(Clock::now(), ok);
        shared->cv.notify_all();
      }
      lock.lock();
      busy = false;
      cv.notify_all();
    }
  }
};

namespace {
double random_fraction() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}
}  // namespace

Scheduler::Scheduler() : thread_([this] { loop(); }) {}

Scheduler::~Scheduler() {
  stop(nanoseconds(0));
}

void Scheduler::add(Job job) {
  reap_removed();
  bool replaces;
  {
    std::lock_guard lock(shared_->mu);
    replaces = workers_.count(job.id) > 0;
  }
  if (replaces) remove(job.id, std::chrono::seconds(1));
  // The first run is due at once so a fresh agent becomes ready after one collection; jitter
  // spreads the runs after it.
  const auto first = Clock::now();
  auto w = std::make_shared<Worker>(std::move(job), first, shared_);
  w->thread = std::thread([w] { w->main(); });
  std::lock_guard lock(shared_->mu);
  workers_[w->job.id] = w;
  shared_->cv.notify_all();
}

bool Scheduler::remove(const std::string& id, nanoseconds wait) {
  reap_removed();
  std::shared_ptr<Worker> w;
  {
    std::lock_guard lock(shared_->mu);
    auto it = workers_.find(id);
    if (it == workers_.end()) return true;
    w = it->second;
    workers_.erase(it);
  }
  bool idle;
  {
    std::unique_lock wl(w->mu);
    w->quit = true;
    w->pending = false;
    w->cv.notify_all();
    if (wait == nanoseconds::max())
      w->cv.wait(wl, [&] { return !w->busy; });
    else
      w->cv.wait_for(wl, wait, [&] { return !w->busy; });
    idle = !w->busy;
  }
  if (idle) {
    w->thread.join();
    return true;
  }
  removed_.push_back(std::move(w));
  return false;
}

void Scheduler::reap_removed() {
  for (auto it = removed_.begin(); it != removed_.end();) {
    bool idle;
    {
      std::lock_guard wl((*it)->mu);
      idle = !(*it)->busy;
    }
    if (idle) {
      (*it)->thread.join();
      it = removed_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t Scheduler::in_flight_removed() {
  reap_removed();
  return removed_.size();
}

size_t Scheduler::stop(nanoseconds drain) {
  std::vector<std::shared_ptr<Worker>> workers;
  {
    std::lock_guard lock(shared_->mu);
    stopping_ = true;
    for (auto& [id, w] : workers_) workers.push_back(std::move(w));
    workers_.clear();
    shared_->cv.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& w : removed_) workers.push_back(std::move(w));
  removed_.clear();
  const auto deadline = Clock::now() + drain;
  size_t stuck = 0;
  for (auto& w : workers) {
    std::unique_lock wl(w->mu);
    w->quit = true;
    w->pending = false;
    w->cv.notify_all();
    const bool idle = w->cv.wait_until(wl, deadline, [&] { return !w->busy; });
    wl.unlock();
    if (idle) {
      w->thread.join();
    } else {
      // Left running on purpose: the caller exits without destroying what it uses.
      ++stuck;
      w->thread.detach();
    }
  }
  return stuck;
}

void Scheduler::loop() {
  std::unique_lock lock(shared_->mu);
  while (!stopping_) {
    const auto now = Clock::now();
    auto wake = now + std::chrono::seconds(1);
    for (auto& [id, w] : workers_) {
      auto& s = w->schedule;
      if (s.check_overrun(now) && w->job.on_overrun) w->job.on_overrun();
      if (now >= s.next_due()) {
        const double lag = std::chrono::duration<double>(now - s.next_due()).count();
        if (s.on_due(now, random_fraction()) == CollectionSchedule::Decision::skip) {
          if (w->job.on_skip) w->job.on_skip();
        } else {
          if (w->job.on_lag) w->job.on_lag(lag);
          std::lock_guard wl(w->mu);
          w->pending = true;
          w->deadline = s.deadline();
          w->cv.notify_all();
        }
      }
      wake = std::min(wake, s.next_due());
      if (s.running()) wake = std::min(wake, s.deadline() + std::chrono::milliseconds(1));
    }
    shared_->cv.wait_until(lock, wake);
  }
}

}  // namespace vigil::runtime
