#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <vigil/testing/fake_host.hpp>

#include "../proc_parsers.h"

using Catch::Matchers::WithinRel;
using vigil::testing::FakeHost;
using namespace vigil::system_collector;

namespace {
const std::string kDir = SYSTEM_FIXTURES;
std::string slurp(const std::string& name) {
  FILE* f = std::fopen((kDir + "/" + name).c_str(), "r");
  REQUIRE(f != nullptr);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}
}  // namespace

TEST_CASE("parse /proc/stat per CPU with boot time and counters", "[system]") {
  auto st = parse_stat(slurp("stat"), 100);
  REQUIRE(st.cpus.size() == 2);
  CHECK(st.cpus[0].cpu == "0");
  CHECK_THAT(st.cpus[0].seconds[0], WithinRel(13932.80, 1e-9));
  CHECK_THAT(st.cpus[1].seconds[3], WithinRel(134851.91, 1e-9));
  CHECK(st.boot_time == 1764050000);
  CHECK(st.context_switches == 115315133);
  CHECK(st.forks == 86031);
  CHECK(st.procs_blocked == 1);
}

TEST_CASE("parse /proc/meminfo into node_exporter field names", "[system]") {
  auto m = parse_meminfo(slurp("meminfo"));
  REQUIRE(m.size() == 10);
  CHECK(m[2].name == "MemAvailable");
  CHECK(m[2].value == 22000000.0 * 1024);
  CHECK(m[7].name == "Active_anon");
  CHECK(m[8].name == "HugePages_Total");
  CHECK_FALSE(m[8].bytes);
}

TEST_CASE("parse diskstats, net/dev, loadavg and mounts", "[system]") {
  auto d = parse_diskstats(slurp("diskstats"));
  REQUIRE(d.size() == 3);
  CHECK(d[0].device == "vda");
  CHECK(d[0].sectors_written == 9876543);
  auto n = parse_net_dev(slurp("net/dev"));
  REQUIRE(n.size() == 2);
  CHECK(n[1].device == "eth0");
  CHECK(n[1].rx_bytes == 987654321);
  CHECK(n[1].tx_drop == 3);
  auto l = parse_loadavg(slurp("loadavg"));
  CHECK(l.load15 == 0.59);
  auto mounts = parse_mounts(slurp("mounts"));
  REQUIRE(mounts.size() == 4);
  CHECK(mounts[3].mountpoint == "/mnt/with space");
}

TEST_CASE("the collector emits node_exporter series from a captured /proc", "[system]") {
  FakeHost host;
  host.set("proc_path", kDir);
  host.set("fs_types_exclude[0]", "proc");
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst != nullptr);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  const auto* cpu = host.find("node_cpu_seconds_total", {{"cpu", "1"}, {"mode", "idle"}});
  REQUIRE(cpu);
  CHECK(cpu->type == VIGIL_METRIC_COUNTER);
  CHECK(host.find("node_memory_MemAvailable_bytes")->value == 22000000.0 * 1024);
  CHECK(host.find("node_memory_HugePages_Total") != nullptr);
  CHECK(host.find("node_load1")->value == 0.52);
  CHECK(host.find("node_boot_time_seconds")->value == 1764050000);
  const auto* uname = host.find("node_uname_info");
  REQUIRE(uname);
  CHECK(uname->value == 1);
  CHECK(host.find("node_disk_written_bytes_total", {{"device", "vda"}})->value == 9876543.0 * 512);
  CHECK(host.find("node_disk_reads_completed_total", {{"device", "vda1"}}) == nullptr);   // partition
  CHECK(host.find("node_disk_reads_completed_total", {{"device", "loop0"}}) == nullptr);  // loop
  CHECK(host.find("node_network_receive_bytes_total", {{"device", "eth0"}})->value == 987654321);
  // "/" exists here, so statvfs answers; /proc is excluded by default, /run (tmpfs) is not.
  const auto* root =
      host.find("node_filesystem_size_bytes", {{"mountpoint", "/"}, {"fstype", "ext4"}, {"device", "/dev/vda"}});
  REQUIRE(root);
  CHECK(root->value > 0);
  CHECK(host.find("node_filesystem_size_bytes", {{"mountpoint", "/proc"}}) == nullptr);
  CHECK(host.find("node_filesystem_size_bytes", {{"mountpoint", "/run"}}) != nullptr);
  CHECK(host.find("node_filesystem_device_error", {{"mountpoint", "/mnt/with space"}})->value == 1);
  host.destroy(inst);
}

TEST_CASE("group selection and bad settings", "[system]") {
  FakeHost host;
  host.set("proc_path", kDir);
  host.set("collect[0]", "load");
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  CHECK(host.samples().size() == 3);
  host.destroy(inst);

  FakeHost bad;
  bad.set("collect[0]", "gpu");
  CHECK(bad.create_collector(vigil_plugin_entry) == nullptr);
  CHECK(bad.last_error().find("unknown group \"gpu\"") != std::string::npos);

  FakeHost missing;
  missing.set("proc_path", "/nonexistent");
  auto* m = missing.create_collector(vigil_plugin_entry);
  REQUIRE(m);
  CHECK(missing.collect(m) == VIGIL_E_UNAVAILABLE);
  CHECK(missing.last_error() == "cannot read /nonexistent/stat");
  missing.destroy(m);
}
