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
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  {
    Scheduler sched;
    Job hung;
    hung.id = "hung";
    hung.spec.interval = 1s;
    hung.run = [&](Clock::time_point) {
      started = true;
      while (!release) std::this_thread::sleep_for(1ms);
      return true;
    };
    sched.add(hung);
    while (!started) std::this_thread::sleep_for(1ms);
    CHECK(sched.stop(50ms) == 1);
  }
  release = true;
  std::this_thread::sleep_for(20ms);  // let the detached worker finish before the flag dies
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
