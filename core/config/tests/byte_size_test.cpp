#include "config/byte_size.h"

#include <catch2/catch_test_macros.hpp>

using vigil::config::parse_byte_size;

TEST_CASE("sizes parse binary and decimal units", "[config]") {
  CHECK(parse_byte_size("64MiB").value() == 64ull << 20);
  CHECK(parse_byte_size("512KiB").value() == 512ull << 10);
  CHECK(parse_byte_size("1GiB").value() == 1ull << 30);
  CHECK(parse_byte_size("10MB").value() == 10'000'000ull);
  CHECK(parse_byte_size("4096").value() == 4096ull);
  CHECK(parse_byte_size("4096B").value() == 4096ull);
  CHECK(parse_byte_size("1.5KiB").value() == 1536ull);
}

TEST_CASE("bad sizes are rejected with a hint", "[config]") {
  for (const char* bad : {"", "MiB", "12 parsecs", "1.2.3MiB", "64mib"}) {
    auto r = parse_byte_size(bad);
    INFO(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find("64MiB") != std::string::npos);
  }
}
