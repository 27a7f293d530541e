#include "log/secret_values.h"

#include <catch2/catch_test_macros.hpp>
#include <chrono>

#include "log/line_format.h"

using vigil::log::add_secret;
using vigil::log::redact_secrets;

TEST_CASE("registered secrets are replaced wherever they appear", "[log][secrets]") {
  add_secret("s3cr3t-password");
  CHECK(redact_secrets("login with s3cr3t-password failed; s3cr3t-password again") ==
        "login with [secret] failed; [secret] again");
  // A header value: the whole value and its credential alone.
  add_secret("Bearer tok-abcdef123");
  CHECK(redact_secrets("sent Bearer tok-abcdef123") == "sent [secret]");
  CHECK(redact_secrets("echoed tok-abcdef123") == "echoed [secret]");
}

TEST_CASE("for a URL, the path, query and password are secret, the host is not", "[log][secrets]") {
  add_secret("https://hooks.slack.com/services/T0SECRET/B0/XYZSECRET");
  CHECK(redact_secrets("POST https://hooks.slack.com/services/T0SECRET/B0/XYZSECRET: timeout") ==
        "POST https://hooks.slack.com[secret]: timeout");
  add_secret("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123");
  CHECK(redact_secrets("to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-123") ==
        "to https://qyapi.weixin.qq.com[secret]");
  add_secret("redis://:redis-pass-9@10.0.0.5:6379/0");
  CHECK(redact_secrets("cannot reach redis://:redis-pass-9@10.0.0.5:6379/0") ==
        "cannot reach redis://:[secret]@10.0.0.5:6379/0");
}

TEST_CASE("values too short to be secrets are not registered", "[log][secrets]") {
  add_secret("abc");
  add_secret("http://127.0.0.1:9/x");
  CHECK(redact_secrets("abc http://127.0.0.1:9/x") == "abc http://127.0.0.1:9/x");
}

TEST_CASE("secrets with quotes or backslashes stay hidden in JSON log lines, and tokens as URL users too",
          "[log][secrets]") {
  add_secret("pa\"ss\\word99");
  CHECK(redact_secrets("x pa\"ss\\word99 y") == "x [secret] y");
  add_secret("https://ghp_abcdef123456@git.example.com/x");
  CHECK(redact_secrets("clone https://ghp_abcdef123456@git.example.com") == "clone https://[secret]@git.example.com");
}

TEST_CASE("a log line never shows a registered secret, however it is escaped", "[log][secrets]") {
  using namespace vigil::log;
  add_secret("qu\"ote\\back\tsecret");
  const auto ts = std::chrono::system_clock::time_point{};
  const auto json =
      format_json_line(ts, Level::info, "c", "m qu\"ote\\back\tsecret", {{"error", "qu\"ote\\back\tsecret"}});
  const auto text =
      format_text_line(ts, Level::info, "c", "m qu\"ote\\back\tsecret", {{"error", "qu\"ote\\back\tsecret"}});
  CHECK(json.find("secret\"") == std::string::npos);
  CHECK(json.find("back") == std::string::npos);
  CHECK(text.find("back") == std::string::npos);
  CHECK(json.find("[secret]") != std::string::npos);
}
