// A test that needs an outside tool (redis-server, prometheus, promtool, aiosmtpd, openssl,
// chromium, ...) FAILS when the tool is missing: a skipped test would let a feature go untested
// while the run looks green. scripts/setup-debian.sh --test installs every tool the suite uses.
// On a developer's partial machine, VIGIL_ALLOW_SKIPS=1 turns the failure into a skip.
#pragma once

#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <string>

namespace vigil::testing {

inline bool skips_allowed() {
  const char* v = std::getenv("VIGIL_ALLOW_SKIPS");
  return v && *v && std::string(v) != "0";
}

inline std::string missing_tool_message(const std::string& what) {
  return what +
         " is not installed; install the test tools with scripts/setup-debian.sh --test (or set "
         "VIGIL_ALLOW_SKIPS=1 to skip such tests on a partial machine)";
}

}  // namespace vigil::testing

// Fails (or, with VIGIL_ALLOW_SKIPS=1, skips) the current test when `present` is false.
#define VIGIL_REQUIRE_TOOL(present, what)                                                   \
  do {                                                                                      \
    if (!(present)) {                                                                       \
      if (::vigil::testing::skips_allowed()) SKIP(std::string(what) + " is not installed"); \
      FAIL(::vigil::testing::missing_tool_message(what));                                   \
    }                                                                                       \
  } while (false)
