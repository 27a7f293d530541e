#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <vigil/testing/fake_host.hpp>

using vigil::testing::FakeHost;

TEST_CASE("logs the title and appends the JSON to the file", "[log]") {
  const auto path = (std::filesystem::temp_directory_path() / "vigil-log-notifier.jsonl").string();
  std::filesystem::remove(path);
  FakeHost host;
  host.set("file", path);
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  const std::string title = "[FIRING:1] Down", body = R"({"status":"firing"})", reason = "first notification";
  vigil_notification n{};
  n.struct_size = sizeof n;
  n.status = VIGIL_ALERT_FIRING;
  n.title = {title.data(), title.size()};
  n.json_body = {body.data(), body.size()};
  n.reason = {reason.data(), reason.size()};
  REQUIRE(host.deliver(inst, n) == VIGIL_OK);
  REQUIRE(host.deliver(inst, n) == VIGIL_OK);
  REQUIRE_FALSE(host.logs().empty());
  CHECK(host.logs().back().find("notification: [FIRING:1] Down (first notification)") != std::string::npos);
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    CHECK(line == body);
    ++lines;
  }
  CHECK(lines == 2);
  host.destroy(inst);

  FakeHost bad;
  bad.set("file", "/proc/vigil-nope/x.jsonl");
  auto* b = bad.create_notifier(vigil_plugin_entry);
  REQUIRE(b);
  CHECK(bad.deliver(b, n) == VIGIL_E_UNAVAILABLE);
  CHECK(bad.last_error().find("cannot append to /proc/vigil-nope/x.jsonl") != std::string::npos);
  bad.destroy(b);
}
