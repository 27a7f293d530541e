#include "load/load_profile.h"

#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

using namespace vigil::load;
using namespace std::chrono_literals;
using Catch::Approx;

TEST_CASE("parse_stage reads DURATION:TARGET and refuses the rest", "[profile]") {
  auto s = parse_stage("30s:100");
  REQUIRE(s.ok());
  CHECK(s.value().duration == 30s);
  CHECK(s.value().target == 100);
  CHECK(parse_stage("1m30s:2.5").value().duration == 90s);
  for (const char* bad : {"30s", "30x:10", "30s:", "30s:-1", "30s:ten", ":5"}) {
    auto r = parse_stage(bad);
    CHECK_FALSE(r.ok());
    CHECK(r.message().find("DURATION:TARGET") != std::string::npos);
  }
}

TEST_CASE("the level moves linearly through the stages and holds the last target", "[profile]") {
  const LoadProfile p(10, {{10s, 110}, {5s, 110}, {10s, 0}});
  CHECK(p.duration_s() == Approx(25));
  CHECK(p.peak() == Approx(110));
  CHECK(p.at(0) == Approx(10));
  CHECK(p.at(5) == Approx(60));
  CHECK(p.at(12) == Approx(110));
  CHECK(p.at(20) == Approx(55));
  CHECK(p.at(30) == Approx(0));
}

TEST_CASE("first_reaching finds when a level is first reached from a time on", "[profile]") {
  const LoadProfile p(0, {{10s, 100}, {10s, 0}, {10s, 50}});
  CHECK(p.first_reaching(50, 0).value() == Approx(5));
  CHECK(p.first_reaching(50, 7).value() == Approx(7));    // already above
  CHECK(p.first_reaching(25, 18).value() == Approx(25));  // below on the way down: the next rise
  CHECK(p.first_reaching(50, 16).value() == Approx(30));
  CHECK_FALSE(p.first_reaching(60, 16).has_value());
  CHECK_FALSE(p.first_reaching(1, 30).has_value());
}

TEST_CASE("arrival times follow a constant, a rising and a falling rate", "[profile]") {
  const LoadProfile constant(100, {{10s, 100}});
  CHECK(constant.arrival_time(0).value() == Approx(0));
  CHECK(constant.arrival_time(250).value() == Approx(2.5));
  CHECK_FALSE(constant.arrival_time(1001).has_value());

  // 0 -> 100/s over 10 s: 500 arrivals, n(t) = 5 t^2.
  const LoadProfile rising(0, {{10s, 100}, {10s, 0}});
  CHECK(rising.arrival_time(0).value() == Approx(0));
  CHECK(rising.arrival_time(5).value() == Approx(1));
  CHECK(rising.arrival_time(125).value() == Approx(5));
  CHECK(rising.arrival_time(500).value() == Approx(10));
  // Then 100 -> 0/s: n(10 + u) = 500 + 100 u - 5 u^2.
  CHECK(rising.arrival_time(500 + 375).value() == Approx(15));
  CHECK(rising.arrival_time(1000).value() == Approx(20));
  CHECK_FALSE(rising.arrival_time(1001).has_value());

  // A pause (rate 0) is skipped; arrivals go on after it.
  const LoadProfile pause(10, {{1s, 10}, {0s, 0}, {2s, 0}, {0s, 10}, {1s, 10}});
  CHECK(pause.arrival_time(9).value() == Approx(0.9));
  CHECK(pause.arrival_time(10).value() == Approx(1.0));
  CHECK(pause.arrival_time(11).value() == Approx(3.1));
}

TEST_CASE("arrival counts match the integral of the rate", "[profile]") {
  const LoadProfile p(20, {{3s, 200}, {2s, 200}, {4s, 50}});
  // 20->200 over 3 s: 330; 200 for 2 s: 400; 200->50 over 4 s: 500.
  int n = 0;
  while (p.arrival_time(n).has_value()) ++n;
  CHECK(n == 1231);
  double last = -1;
  for (int i = 0; i < n; ++i) {
    const double t = p.arrival_time(i).value();
    REQUIRE(t >= last);
    last = t;
  }
}
