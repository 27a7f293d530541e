#include "config/duration.h"

#include <catch2/catch_test_macros.hpp>

using namespace std::chrono_literals;
using vigil::config::format_duration;
using vigil::config::parse_duration;

TEST_CASE("durations parse with every unit", "[config]") {
  CHECK(parse_duration("250ms").value() == 250ms);
  CHECK(parse_duration("10s").value() == 10s);
  CHECK(parse_duration("5m").value() == 5min);
  CHECK(parse_duration("1h30m").value() == 90min);
  CHECK(parse_duration("1.5s").value() == 1500ms);
  CHECK(parse_duration("100us").value() == 100us);
  CHECK(parse_duration("7ns").value() == 7ns);
  CHECK(parse_duration("1d").value() == 24h);
  CHECK(parse_duration("0").value() == 0ns);
}

TEST_CASE("bad durations name the problem and the fix", "[config]") {
  for (const char* bad : {"", "10", "s", "10x", "1..5s", "-5s", "ten seconds"}) {
    auto r = parse_duration(bad);
    INFO(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("\"10s\"") != std::string::npos);
  }
  CHECK(parse_duration("10x").message().find("unknown unit \"x\"") != std::string::npos);
  CHECK(parse_duration("10").message().find("has no unit") != std::string::npos);
}

TEST_CASE("durations print in their shortest exact form", "[config]") {
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(2h) == "2h");
  CHECK(format_duration(0s) == "0s");
  CHECK(parse_duration(format_duration(3723s)).value() == 3723s);
}

TEST_CASE("every duration prints in a form that parses back to it exactly", "[config]") {
  // Found by fuzzing: 15h and 3us printed as "15h0ms".
  CHECK(parse_duration("11h4h3us").value() == 15h + 3us);
  CHECK(format_duration(15h + 3us) == "15h3us");
  CHECK(format_duration(1h + 250ms) == "1h250ms");
  CHECK(format_duration(61s + 7ns) == "1m1s7ns");
  const std::chrono::nanoseconds samples[] = {15h + 3us, 1h + 1ns, std::chrono::nanoseconds((1LL << 62) + 1),
                                              std::chrono::nanoseconds(9223372036854775807), 59s + 999999999ns};
  for (const auto d : samples) CHECK(parse_duration(format_duration(d)).value() == d);
}
