#include "runtime/collection_schedule.h"

#include <catch2/catch_test_macros.hpp>

using namespace std::chrono_literals;
using vigil::runtime::Clock;
using vigil::runtime::CollectionSchedule;
using vigil::runtime::ScheduleSpec;
using D = CollectionSchedule::Decision;

namespace {
const Clock::time_point t0 = Clock::time_point{} + 1000h;
ScheduleSpec spec(std::chrono::nanoseconds interval, std::chrono::nanoseconds timeout,
                  std::chrono::nanoseconds max_backoff = 80s, std::chrono::nanoseconds jitter = 0s) {
  return ScheduleSpec{interval, timeout, jitter, max_backoff};
}
}  // namespace

TEST_CASE("runs are due every interval from a fixed base, without drift", "[runtime]") {
  CollectionSchedule s(spec(10s, 5s), t0);
  REQUIRE(s.on_due(t0 + 3ms) == D::start);
  CHECK(s.deadline() == t0 + 3ms + 5s);
  s.on_finish(t0 + 1s, true);
  CHECK(s.next_due() == t0 + 10s);
  REQUIRE(s.on_due(t0 + 10s + 7ms) == D::start);
  s.on_finish(t0 + 11s, true);
  CHECK(s.next_due() == t0 + 20s);
}

TEST_CASE("jitter delays each run within the jitter window of its slot", "[runtime]") {
  CollectionSchedule s(spec(10s, 5s, 80s, 2s), t0);
  s.on_due(t0, 0.5);
  s.on_finish(t0 + 1s, true);
  CHECK(s.next_due() == t0 + 11s);
  s.on_due(t0 + 11s, 0.0);
  s.on_finish(t0 + 12s, true);
  CHECK(s.next_due() == t0 + 20s);
}

TEST_CASE("a run due while the previous one runs is skipped", "[runtime]") {
  CollectionSchedule s(spec(10s, 5s), t0);
  REQUIRE(s.on_due(t0) == D::start);
  CHECK(s.on_due(t0 + 10s) == D::skip);
  CHECK(s.on_due(t0 + 20s) == D::skip);
  s.on_finish(t0 + 25s, true);
  CHECK(s.next_due() == t0 + 30s);
  CHECK(s.on_due(t0 + 30s) == D::start);
}

TEST_CASE("an overrun is reported once per run, after the deadline", "[runtime]") {
  CollectionSchedule s(spec(10s, 2s), t0);
  s.on_due(t0);
  CHECK_FALSE(s.check_overrun(t0 + 1s));
  CHECK_FALSE(s.check_overrun(t0 + 2s));
  CHECK(s.check_overrun(t0 + 2s + 1ms));
  CHECK_FALSE(s.check_overrun(t0 + 3s));
  s.on_finish(t0 + 4s, true);
  CHECK_FALSE(s.check_overrun(t0 + 5s));
}

TEST_CASE("the timeout never exceeds the interval", "[runtime]") {
  CollectionSchedule s(spec(1s, 5s), t0);
  s.on_due(t0);
  CHECK(s.deadline() == t0 + 1s);
}

TEST_CASE("failures back off by doubling up to the cap and success resets", "[runtime]") {
  CollectionSchedule s(spec(10s, 5s, 60s), t0);
  Clock::time_point now = t0;
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(s.on_due(now) == D::start);
    s.on_finish(now, false);
    waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(s.next_due() - now));
    now = s.next_due();
  }
  CHECK(waits == std::vector<std::chrono::seconds>{20s, 40s, 60s, 60s, 60s});
  CHECK(s.consecutive_failures() == 5);
  s.on_due(now);
  s.on_finish(now, true);
  CHECK(s.consecutive_failures() == 0);
  CHECK(s.next_due() == now + 10s);
}

TEST_CASE("after a stall, missed slots are skipped rather than run in a burst", "[runtime]") {
  CollectionSchedule s(spec(10s, 5s), t0);
  s.on_due(t0);
  s.on_finish(t0 + 1s, true);
  REQUIRE(s.on_due(t0 + 95s) == D::start);
  s.on_finish(t0 + 96s, true);
  CHECK(s.next_due() == t0 + 100s);
}
