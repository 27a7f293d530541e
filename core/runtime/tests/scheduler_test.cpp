// The threaded scheduler with real (short) time. Assertions are on counts and ordering with
// generous bounds, never on exact timings.
#include "runtime/scheduler.h"

#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using vigil::runtime::Clock;
using vigil::runtime::Job;
using vigil::runtime::Scheduler;

TEST_CASE("a hung job does not delay the others, its overlaps are skipped and its overrun reported", "[runtime]") {
  Scheduler sched;
  std::atomic<int> fast_runs{0}, skips{0}, overruns{0};
  std::atomic<bool> release{false};
  Job fast;
  fast.id = "fast";
  fast.spec.interval = 20ms;
  fast.spec.timeout = 20ms;
  fast.run = [&](Clock::time_point) {
    ++fast_runs;
    return true;
  };
  Job hung;
  hung.id = "hung";
  hung.spec.interval = 20ms;
  hung.spec.timeout = 10ms;
  hung.run = [&](Clock::time_point) {
    while (!release) std::this_thread::sleep_for(1ms);
    return true;
  };
  hung.on_skip = [&] { ++skips; };
  hung.on_overrun = [&] { ++overruns; };
  sched.add(fast);
  sched.add(hung);
  std::this_thread::sleep_for(300ms);
  CHECK(fast_runs >= 5);
  CHECK(skips >= 3);
  CHECK(overruns == 1);
  release = true;
  CHECK(sched.stop(2s) == 0);
}

TEST_CASE("stop reports runs that outlive the drain deadline", "[runtime]") {
  // Shared with the worker by value: it outlives the Scheduler (and this test's frame).
  struct Flags {
    std::atomic<bool> release{false}, started{false}, finished{false};
  };
  auto flags = std::make_shared<Flags>();
  {
    Scheduler sched;
    Job hung;
    hung.id = "hung";
    hung.spec.interval = 1s;
    hung.run = [flags](Clock::time_point) {
      flags->started = true;
      while (!flags->release) std::this_thread::sleep_for(1ms);
      flags->finished = true;
      return true;
    };
    sched.add(hung);
    while (!flags->started) std::this_thread::sleep_for(1ms);
    CHECK(sched.stop(50ms) == 1);
  }
  flags->release = true;
  for (int i = 0; i < 1000 && !flags->finished; ++i) std::this_thread::sleep_for(1ms);
  CHECK(flags->finished);
}

TEST_CASE("removed jobs stop running", "[runtime]") {
  Scheduler sched;
  std::atomic<int> runs{0};
  Job j;
  j.id = "j";
  j.spec.interval = 10ms;
  j.run = [&](Clock::time_point) {
    ++runs;
    return true;
  };
  sched.add(j);
  std::this_thread::sleep_for(100ms);
  sched.remove("j");
  const int after = runs;
  CHECK(after >= 2);
  std::this_thread::sleep_for(60ms);
  CHECK(runs == after);
}

TEST_CASE("remove waits for a run in progress, up to its bound", "[runtime]") {
  Scheduler sched;
  std::atomic<bool> started{false}, finished{false};
  Job j;
  j.id = "slow";
  j.spec.interval = 1s;
  j.run = [&](Clock::time_point) {
    started = true;
    std::this_thread::sleep_for(150ms);
    finished = true;
    return true;
  };
  sched.add(j);
  while (!started) std::this_thread::sleep_for(1ms);
  // Unbounded: returns only once the run returned, so nothing it uses may be gone yet.
  CHECK(sched.remove("slow"));
  CHECK(finished);
  CHECK(sched.in_flight_removed() == 0);
}

TEST_CASE("a run that outlives remove() is tracked and counted as stuck by stop()", "[runtime]") {
  struct Flags {
    std::atomic<bool> release{false}, started{false}, finished{false};
  };
  auto flags = std::make_shared<Flags>();
  {
    Scheduler sched;
    Job j;
    j.id = "hung";
    j.spec.interval = 1s;
    j.run = [flags](Clock::time_point) {
      flags->started = true;
      while (!flags->release) std::this_thread::sleep_for(1ms);
      flags->finished = true;
      return true;
    };
    sched.add(j);
    while (!flags->started) std::this_thread::sleep_for(1ms);
    CHECK_FALSE(sched.remove("hung", 20ms));
    CHECK(sched.in_flight_removed() == 1);
    CHECK(sched.stop(50ms) == 1);  // the owner must not destroy what the run uses
  }
  flags->release = true;
  for (int i = 0; i < 1000 && !flags->finished; ++i) std::this_thread::sleep_for(1ms);
  CHECK(flags->finished);
}

TEST_CASE("a removed run that returns later is reaped, and stop() then has nothing stuck", "[runtime]") {
  Scheduler sched;
  std::atomic<bool> release{false}, started{false};
  Job j;
  j.id = "late";
  j.spec.interval = 1s;
  j.run = [&](Clock::time_point) {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
    return true;
  };
  sched.add(j);
  while (!started) std::this_thread::sleep_for(1ms);
  CHECK_FALSE(sched.remove("late", 0ms));
  release = true;
  for (int i = 0; i < 500 && sched.in_flight_removed() > 0; ++i) std::this_thread::sleep_for(1ms);
  CHECK(sched.in_flight_removed() == 0);
  CHECK(sched.stop(0ms) == 0);
}

TEST_CASE("a job added again under its id never overlaps the old one's run", "[runtime]") {
  Scheduler sched;
  std::atomic<int> inside{0}, max_inside{0}, runs{0};
  auto make = [&] {
    Job j;
    j.id = "same";
    j.spec.interval = 5ms;
    j.run = [&](Clock::time_point) {
      const int n = ++inside;
      int m = max_inside;
      while (n > m && !max_inside.compare_exchange_weak(m, n)) {
      }
      std::this_thread::sleep_for(20ms);
      --inside;
      ++runs;
      return true;
    };
    return j;
  };
  for (int i = 0; i < 5; ++i) {
    sched.add(make());
    std::this_thread::sleep_for(10ms);
  }
  CHECK(sched.stop(1s) == 0);
  CHECK(runs >= 1);
  CHECK(max_inside == 1);
}
