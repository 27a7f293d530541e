#include <catch2/catch_test_macros.hpp>
#include <fstream>
#include <unistd.h>
#include <vigil/testing/fake_host.hpp>

using vigil::testing::FakeHost;

TEST_CASE("self: vigil's own process figures", "[process]") {
  FakeHost host;
  host.set("self", true);
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  CHECK(host.find("vigil_target_process_up", {{"process", "vigil"}})->value == 1);
  CHECK(host.find("vigil_target_process_resident_memory_bytes")->value > 1e5);
  CHECK(host.find("vigil_target_process_threads")->value >= 1);
  CHECK(host.find("vigil_target_process_open_fds")->value >= 3);
  CHECK(host.find("vigil_target_process_cpu_seconds_total", {{"mode", "user"}}) != nullptr);
  host.destroy(inst);
}

TEST_CASE("pid_file and name select other processes; absence reports up 0", "[process]") {
  const std::string pidfile = "/tmp/vigil-process-test-" + std::to_string(getpid()) + ".pid";
  std::ofstream(pidfile) << getpid() << "\n";
  FakeHost a;
  a.set("pid_file", pidfile);
  a.set("label", "me");
  auto* ia = a.create_collector(vigil_plugin_entry);
  REQUIRE(ia);
  REQUIRE(a.collect(ia) == VIGIL_OK);
  CHECK(a.find("vigil_target_process_up", {{"process", "me"}})->value == 1);
  a.destroy(ia);
  std::remove(pidfile.c_str());

  FakeHost b;
  b.set("name", "process_collector_test");
  auto* ib = b.create_collector(vigil_plugin_entry);
  REQUIRE(ib);
  REQUIRE(b.collect(ib) == VIGIL_OK);
  CHECK(b.find("vigil_target_processes")->value >= 1);
  b.destroy(ib);

  FakeHost c;
  c.set("name", "no-such-process-xyz");
  auto* ic = c.create_collector(vigil_plugin_entry);
  REQUIRE(ic);
  REQUIRE(c.collect(ic) == VIGIL_OK);
  CHECK(c.find("vigil_target_process_up")->value == 0);
  CHECK(c.find("vigil_target_process_resident_memory_bytes") == nullptr);
  c.destroy(ic);
}

TEST_CASE("exactly one selector is required", "[process]") {
  FakeHost none;
  CHECK(none.create_collector(vigil_plugin_entry) == nullptr);
  CHECK(none.last_error().find("set exactly one of") != std::string::npos);
  FakeHost two;
  two.set("self", true);
  two.set("name", "x");
  CHECK(two.create_collector(vigil_plugin_entry) == nullptr);
}
