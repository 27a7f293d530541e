#include "runtime/delivery_policy.h"

#include <catch2/catch_test_macros.hpp>

using namespace vigil::runtime;

TEST_CASE("retry delays grow exponentially with jitter up to the cap; Retry-After is a floor", "[runtime]") {
  RetryPolicy p;
  CHECK(retry_delay(p, 1, 0.5) == Millis(1000));
  CHECK(retry_delay(p, 2, 0.5) == Millis(2000));
  CHECK(retry_delay(p, 4, 0.5) == Millis(8000));
  CHECK(retry_delay(p, 30, 0.5) == Millis(300000));  // capped
  CHECK(retry_delay(p, 1, 0.0) == Millis(800));      // -20 %
  CHECK(retry_delay(p, 1, 0.999).count() == 1199);   // +20 %
  CHECK(retry_delay(p, 1, 0.5, Millis(30000)) == Millis(30000));
}

TEST_CASE("a token bucket allows a burst, then paces", "[runtime]") {
  TokenBucket b(20, Millis(60000));  // WeCom: 20 per minute
  for (int i = 0; i < 20; ++i) CHECK_FALSE(b.take(0).has_value());
  auto wait = b.take(0);
  REQUIRE(wait.has_value());
  CHECK(*wait == 3000);  // one token every 3 s
  CHECK(b.take(2999).has_value());
  CHECK_FALSE(b.take(3000).has_value());
}

TEST_CASE("rates are written as count per unit", "[runtime]") {
  CHECK(parse_rate("20/m").value() == std::make_pair(20.0, Millis(60000)));
  CHECK(parse_rate("1/s").value().second == Millis(1000));
  CHECK(parse_rate("2/day").message().find("must look like 20/m") != std::string::npos);
  CHECK_FALSE(parse_rate("0/s").ok());
}
