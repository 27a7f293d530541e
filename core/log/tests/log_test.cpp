#include "log/log.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "config/settings.h"

TEST_CASE("logs go to a file with level filtering and reconfiguration", "[log]") {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("vigil-log-test-" + std::to_string(::getpid()) + ".log");
  fs::remove(file);
  vigil::config::LogSettings s;
  s.file = file.string();
  s.level = "warn";
  REQUIRE(vigil::log::configure(s).ok());
  vigil::log::info("test", "hidden");
  vigil::log::warn("test", "shown", {{"token", "abc123"}});
  s.level = "debug";
  s.format = "text";
  REQUIRE(vigil::log::configure(s).ok());
  vigil::log::debug("test", "now visible");
  vigil::log::flush();
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  CHECK(text.find("hidden") == std::string::npos);
  CHECK(text.find(R"("msg":"shown","token":"[redacted]")") != std::string::npos);
  CHECK(text.find("abc123") == std::string::npos);
  CHECK(text.find("debug [test] now visible") != std::string::npos);
  vigil::config::LogSettings back;
  REQUIRE(vigil::log::configure(back).ok());
  fs::remove(file);
}

TEST_CASE("an unwritable log file is a clear error", "[log]") {
  vigil::config::LogSettings s;
  s.file = "/etc/hostname/vigil.log";
  auto st = vigil::log::configure(s);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("/etc/hostname/vigil.log") != std::string::npos);
}

TEST_CASE("redacted fields are counted for /metrics") {
  const uint64_t before = vigil::log::redacted_fields_total();
  vigil::log::warn("test", "login", {{"user", "ana"}, {"password", "hunter2"}, {"api_token", "t"}});
  CHECK(vigil::log::redacted_fields_total() == before + 2);
}
