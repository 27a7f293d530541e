#include "log/line_format.h"

#include <catch2/catch_test_macros.hpp>

#include "log/rate_limiter.h"

using namespace vigil::log;

namespace {
const auto kTs = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764100000123));
}

TEST_CASE("JSON lines carry ts, level, component, msg and typed fields", "[log]") {
  const auto line = format_json_line(kTs, Level::warn, "scheduler", "run skipped",
                                     {{"collector", "system"}, {"skipped", 3}, {"ok", false}, {"lag", 0.25}});
  CHECK(line == R"({"ts":"2025-11-25T19:46:40.123Z","level":"warn","component":"scheduler","msg":"run skipped",)"
                R"("collector":"system","skipped":3,"ok":false,"lag":0.25})");
}

TEST_CASE("JSON escaping covers quotes, backslashes and control characters", "[log]") {
  const auto line = format_json_line(kTs, Level::info, "c", "a \"quoted\"\\path\nnext\x01", {{"k\"", "v\t"}});
  CHECK(line.find(R"("msg":"a \"quoted\"\\path\nnext\u0001")") != std::string::npos);
  CHECK(line.find(R"("k\"":"v\t")") != std::string::npos);
}

TEST_CASE("secret values never appear", "[log]") {
  for (const char* key : {"password", "smtp_password", "token", "access_token", "secret", "client_secret", "key",
                          "api_key", "routing_key", "Authorization", "PASSWORD"}) {
    INFO(key);
    CHECK(is_secret_key(key));
    const auto json = format_json_line(kTs, Level::info, "c", "m", {{key, "hunter2"}});
    CHECK(json.find("hunter2") == std::string::npos);
    CHECK(json.find("[redacted]") != std::string::npos);
    const auto text = format_text_line(kTs, Level::info, "c", "m", {{key, "hunter2"}});
    CHECK(text.find("hunter2") == std::string::npos);
  }
  for (const char* key : {"monkey", "keys_total", "url", "plugin", "alias"}) {
    INFO(key);
    CHECK_FALSE(is_secret_key(key));
  }
}

TEST_CASE("text lines are readable and quote values with spaces", "[log]") {
  const auto line = format_text_line(kTs, Level::error, "plugin_host", "load failed",
                                     {{"file", "/x/y.so"}, {"reason", "no entry symbol"}});
  CHECK(line == "2025-11-25T19:46:40.123Z error [plugin_host] load failed file=/x/y.so reason=\"no entry symbol\"");
}

TEST_CASE("the rate limiter admits one event per period and counts the rest", "[log]") {
  RateLimiter rl(std::chrono::seconds(60));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(rl.admit("a", t0) == 0u);
  CHECK_FALSE(rl.admit("a", t0 + std::chrono::seconds(1)));
  CHECK_FALSE(rl.admit("a", t0 + std::chrono::seconds(59)));
  CHECK(rl.admit("b", t0 + std::chrono::seconds(59)) == 0u);
  CHECK(rl.admit("a", t0 + std::chrono::seconds(60)) == 2u);
}
