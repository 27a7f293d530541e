// Lifecycle under hostile timing, against the real binary: reloads and shutdowns while plugin
// calls are in flight, a plugin thread that outlives stop(), a flood of alerts right before
// SIGTERM, and isolated plugins that crash while the agent is killed. These run in the sanitizer stage too (label
// "lifecycle"), where a use after free or a double free fails them.
#include <signal.h>

#include <algorithm>
#include <iterator>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.h"

using namespace std::chrono_literals;
using namespace vigil::testing;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string config(const std::string& dir, const std::string& collectors, const std::string& extra = "") {
  return "[agent]\ninterval = \"500ms\"\ntimeout = \"200ms\"\nshutdown_timeout = \"2s\"\nstate_dir = \"" + dir +
         "/state\"\nplugin_dirs = [\"" + build_dir() +
         "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\nmetrics_snapshot = \"0s\"\n"
         "api_token = \"t0ken\"\n" +
         extra + "\n[[collectors.no_op]]\ninterval = \"200ms\"\n" + collectors;
}

// The hung collection is in progress once its first run was counted.
bool hung_collection_started(AgentProcess& agent) {
  return agent.wait_for("/metrics",
                        "vigil_collector_runs_total{alias=\"hangs_in_collect\",collector=\"hangs_in_collect\"} 1", 5s);
}

// Rewrites the config with no collector but no_op, and waits until the agent applied it.
void reload_without_collectors(AgentProcess& agent, const std::string& dir, const std::string& path) {
  write_file(path, config(dir, ""));
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for_log("configuration reloaded", 5s));
}

}  // namespace

TEST_CASE("a reload during a collection quarantines the removed instance and discards its late results",
          "[lifecycle]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  write_file(path, config(dir, "[[collectors.hangs_in_collect]]\nsleep_ms = 2500\n"));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  REQUIRE(hung_collection_started(agent));
  reload_without_collectors(agent, dir, path);
  CHECK(contains(agent.log(), "it is quarantined until the call returns"));
  CHECK(agent.wait_for("/metrics", "vigil_plugin_quarantined{kind=\"collector\",plugin=\"hangs_in_collect\"} 1", 2s));
  const auto ready = http_get(agent.port(), "/readyz");
  CHECK(contains(ready.body, "\"quarantined\""));
  CHECK(contains(ready.body, "\"alias\": \"hangs_in_collect\""));
  // When the call returns, the instance is stopped and nothing it produced appears.
  REQUIRE(agent.wait_for("/metrics", "vigil_plugin_quarantined{kind=\"collector\",plugin=\"hangs_in_collect\"} 0", 5s));
  CHECK(agent.wait_for_log("a quarantined collector returned", 2s));
  std::this_thread::sleep_for(300ms);
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK_FALSE(contains(m, "fixture_late_value"));
  CHECK_FALSE(contains(m, "collector=\"hangs_in_collect\""));
  CHECK(contains(m, "fixture_value{source=\"no_op\"} 1"));
  CHECK_FALSE(contains(http_get(agent.port(), "/readyz").body, "\"quarantined\""));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
  CHECK(contains(agent.log(), "\"msg\":\"stopped\""));
}

TEST_CASE("SIGTERM while a removed collector is still hung exits at the drain deadline", "[lifecycle]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  write_file(path, config(dir, "[[collectors.hangs_in_collect]]\nsleep_ms = 10000\n"));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  REQUIRE(hung_collection_started(agent));
  reload_without_collectors(agent, dir, path);
  const auto t0 = std::chrono::steady_clock::now();
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(6s) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(contains(agent.log(), "still running after the shutdown deadline"));
}

TEST_CASE("a plugin thread that calls the host after stop() gets an error, never freed memory", "[lifecycle]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  write_file(path, config(dir, "[[collectors.abi_contract]]\n"));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  // Between collections the plugin's own thread has no deadline: should_stop() reads 0 there.
  CHECK(agent.wait_for("/metrics", "fixture_own_thread_should_stop 0", 5s));
  reload_without_collectors(agent, dir, path);
  CHECK(agent.wait_for_log("abi_contract: emit after stop returned status 8", 5s));
  CHECK_FALSE(contains(http_get(agent.port(), "/metrics").body, "fixture_after_stop"));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("100,000 alerts posted, then SIGTERM: the agent saves its state and exits cleanly", "[lifecycle]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  write_file(path, config(dir, "",
                          "[[notifiers.log]]\n[alerting]\n[alerting.route]\nreceiver = \"log\"\n"
                          "group_by = [\"alertname\"]\ngroup_wait = \"100ms\"\n"
                          "[[alerting.receivers]]\nname = \"log\"\nnotifiers = [\"log\"]\n"));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  constexpr int kBatches = 100, kPerBatch = 1000;
  int accepted = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::string body = "[";
    for (int i = 0; i < kPerBatch; ++i) {
      if (i) body += ",";
      body += "{\"labels\":{\"alertname\":\"Flood" + std::to_string(b % 7) + "\",\"instance\":\"i" +
              std::to_string(b * kPerBatch + i) + "\",\"severity\":\"warning\"}}";
    }
    body += "]";
    if (http_send(agent.port(), "POST", "/api/v2/alerts", body, "t0ken", 30s).status == 200) ++accepted;
  }
  CHECK(accepted == kBatches);
  agent.signal(SIGTERM);
  const int status = agent.wait_exit(60s);
  CHECK(status == 0);
  CHECK((contains(agent.log(), "\"msg\":\"stopped\"") ||
         contains(agent.log(), "still running after the shutdown deadline")));
}

namespace {

// The pids of `parent`'s children, from /proc.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

double metric_value(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find(series + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size() + 1));
}

}  // namespace

TEST_CASE(
    "isolated collectors that segfault, abort, spin or exit never take the agent down; kill -9 of the agent "
    "takes their hosts with it",
    "[lifecycle][isolation]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  std::string isolated;
  for (const char* mode : {"segfault", "abort", "spin", "exit"})
    isolated += std::string("[[collectors.misbehaves]]\nalias = \"") + mode +
                "\"\nisolation = \"process\"\non_run = 2\ninterval = \"300ms\"\nmode = \"" + mode + "\"\n";
  // And one that behaves, isolated too.
  isolated +=
      "[[collectors.misbehaves]]\nalias = \"calm\"\nisolation = \"process\"\nmode = \"emit\"\nsamples = 3\n"
      "interval = \"300ms\"\n";
  write_file(path, config(dir, isolated));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  auto crash_series = [](const std::string& alias, const std::string& signal) {
    return "vigil_plugin_host_crashes_total{alias=\"" + alias +
           "\",kind=\"collector\",plugin=\"misbehaves\",signal=\"" + signal + "\"}";
  };
  CHECK(agent.wait_for("/metrics", crash_series("segfault", "SIGSEGV"), 10s));
  CHECK(agent.wait_for("/metrics", crash_series("abort", "SIGABRT"), 10s));
  CHECK(agent.wait_for("/metrics", crash_series("spin", "SIGKILL"), 10s));
  CHECK(agent.wait_for("/metrics", crash_series("exit", "none"), 10s));
  // Each comes back after its backoff (1 s), runs once more, and crashes again.
  CHECK(agent.wait_for("/metrics",
                       "vigil_plugin_host_restarts_total{alias=\"segfault\",kind=\"collector\",plugin=\"misbehaves\"}",
                       10s));
  // Meanwhile the collector inside the agent keeps its schedule (every 200 ms).
  const std::string runs = "vigil_collector_runs_total{alias=\"no_op\",collector=\"no_op\"}";
  const double before = metric_value(http_get(agent.port(), "/metrics").body, runs);
  std::this_thread::sleep_for(3s);
  const auto m = http_get(agent.port(), "/metrics").body;
  const double after = metric_value(m, runs);
  INFO("no_op runs " << before << " -> " << after);
  CHECK(after - before >= 10);
  CHECK(contains(m, "vigil_plugin_host_rss_bytes{alias=\"calm\""));
  CHECK(contains(m, "fixture_series{i=\"2\"} 2"));
  CHECK(contains(m, "vigil_collector_up{alias=\"calm\",collector=\"misbehaves\"} 1"));
  const auto ready = http_get(agent.port(), "/readyz").body;
  CHECK(contains(ready, "the plugin's host process"));

  const auto hosts = children_of(agent.pid());
  CHECK_FALSE(hosts.empty());
  agent.signal(SIGKILL);
  (void)agent.wait_exit(5s);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = true;
    for (pid_t h : hosts) gone = gone && (::kill(h, 0) != 0);
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK(gone);
}

TEST_CASE(
    "an isolated notifier that crashes mid-delivery loses no notification: the outbox retries it after the restart",
    "[lifecycle][isolation]") {
  const auto dir = temp_dir();
  const auto path = dir + "/vigil.toml";
  const std::string record = dir + "/delivered.txt";
  write_file(path, config(dir, "",
                          "[[notifiers.crashes_on_delivery]]\nisolation = \"process\"\nrecord = \"" + record +
                              "\"\n[alerting]\nretry_initial_interval = \"200ms\"\nretry_max_interval = \"1s\"\n"
                              "[alerting.route]\nreceiver = \"team\"\ngroup_by = [\"alertname\"]\n"
                              "group_wait = \"50ms\"\n[[alerting.receivers]]\nname = \"team\"\n"
                              "notifiers = [\"crashes_on_delivery\"]\n"));
  AgentProcess agent(path);
  REQUIRE(agent.started());
  // Six groups, six notifications; the host crashes on the third it delivers.
  constexpr int kGroups = 6;
  std::string body = "[";
  for (int i = 0; i < kGroups; ++i)
    body += std::string(i ? "," : "") + "{\"labels\":{\"alertname\":\"Down" + std::to_string(i) + "\"}}";
  body += "]";
  REQUIRE(http_send(agent.port(), "POST", "/api/v2/alerts", body, "t0ken", 10s).status == 200);
  CHECK(
      agent.wait_for("/metrics",
                     "vigil_plugin_host_crashes_total{alias=\"crashes_on_delivery\",kind=\"notifier\",plugin=\"crashes_"
                     "on_delivery\",signal=\"SIGSEGV\"} 1",
                     10s));
  CHECK(agent.wait_for(
      "/metrics",
      "vigil_plugin_host_restarts_total{alias=\"crashes_on_delivery\",kind=\"notifier\",plugin=\"crashes_"
      "on_delivery\"} 1",
      10s));
  // Every group's notification reaches the channel, the one the host died on included.
  std::string delivered;
  int lines = 0;
  for (int i = 0; i < 100 && lines < kGroups; ++i) {
    std::ifstream f(record);
    delivered.assign(std::istreambuf_iterator<char>(f), {});
    lines = static_cast<int>(std::count(delivered.begin(), delivered.end(), '\n'));
    if (lines < kGroups) std::this_thread::sleep_for(100ms);
  }
  INFO(delivered);
  CHECK(lines == kGroups);
  CHECK(agent.wait_for("/metrics",
                       "fixture_deliveries{notifier=\"crashes_on_delivery\",source=\"crashes_on_delivery\"}", 5s));
  // A clean stop ends the notifier's host with the agent.
  const auto hosts = children_of(agent.pid());
  CHECK(hosts.size() == 1);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(10s) == 0);
  for (pid_t h : hosts) CHECK(::kill(h, 0) != 0);
}
