// End-to-end: the real vigil binary, real plugins, HTTP over 127.0.0.1, signals.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <mutex>
#include <thread>
#include <vector>
#include <vigil/plugin.h>

#include "../support/http_sink.hpp"
#include "../support/prometheus_server.hpp"
#include "../support/redis_server.hpp"
#include "agent_process.h"
#include "../support/require_tool.hpp"

using namespace std::chrono_literals;
using namespace vigil::testing;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string base_config(const std::string& extra, const std::string& http_extra = "") {
  return "[agent]\ninterval = \"1s\"\ntimeout = \"500ms\"\nshutdown_timeout = \"2s\"\nstate_dir = \"" + temp_dir() +
         "\"\nplugin_dirs = [\"" + build_dir() + "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\n" +
         (http_extra.find("metrics_snapshot") == std::string::npos ? "metrics_snapshot = \"0s\"\n" : "") + http_extra +
         "\n" + extra;
}

std::string write_config(const std::string& dir, const std::string& text) {
  const std::string path = dir + "/vigil.toml";
  write_file(path, text);
  return path;
}

}  // namespace

TEST_CASE("the agent serves metrics, health and readiness, and stops on SIGTERM", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(dir, base_config("[[collectors.no_op]]\nvalue = 3\nlabels = { env = \"test\" }\n"
                                                 "[[collectors.system]]\n[[collectors.process]]\nself = true\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(http_get(agent.port(), "/healthz").status == 200);
  REQUIRE(agent.wait_for("/readyz", "\"ready\": true", 5s));
  const auto ready = http_get(agent.port(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(contains(ready.headers, "application/json"));
  CHECK(contains(ready.body, "\"no_op/no_op\""));
  const auto m = http_get(agent.port(), "/metrics");
  REQUIRE(m.status == 200);
  CHECK(contains(m.headers, "text/plain; version=0.0.4"));
  CHECK(contains(m.body, "fixture_value{env=\"test\",source=\"no_op\"} 3"));
  CHECK(contains(m.body, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"));
  CHECK(contains(m.body, "node_memory_MemAvailable_bytes "));
  CHECK(contains(m.body, "vigil_target_process_up{process=\"vigil\"} 1"));
  CHECK(contains(m.body, "vigil_build_info{"));
  CHECK(contains(m.body, "vigil_collector_runs_total{alias=\"no_op\",collector=\"no_op\"}"));
  CHECK(contains(m.body, "process_resident_memory_bytes "));
  CHECK(http_get(agent.port(), "/nope").status == 404);
  CHECK(contains(http_raw(agent.port(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 2s),
                 "405 Method Not Allowed"));
  // Requests are counted by route and code.
  CHECK(agent.wait_for("/metrics", "vigil_http_requests_total{code=\"404\",route=\"other\"} 1", 2s));

  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
  CHECK(contains(agent.log(), "\"msg\":\"stopped\""));
}

TEST_CASE("/metrics passes promtool check metrics", "[integration]") {
  VIGIL_REQUIRE_TOOL(run_command("command -v promtool").exit_code == 0, "promtool");
  const auto dir = temp_dir();
  const auto cfg = write_config(dir, base_config("[[collectors.system]]\n[[collectors.no_op]]\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/metrics", "node_load1", 5s));
  write_file(dir + "/metrics.txt", http_get(agent.port(), "/metrics").body);
  const auto r = run_command("promtool check metrics < " + dir + "/metrics.txt");
  // node_exporter's /proc/meminfo names (node_memory_MemAvailable_bytes, ...) are kept on
  // purpose so public dashboards work; they are the only lint promtool may report.
  std::string other;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && !(line.rfind("node_memory_", 0) == 0 && contains(line, "camelCase"))) other += line + "\n";
  INFO(r.output);
  CHECK(other.empty());
}

namespace {
// A PromQL query against a Prometheus server's HTTP API: the JSON reply's body.
std::string prom_query(uint16_t port, const std::string& query) {
  std::string q;
  for (unsigned char c : query) {
    if (std::isalnum(c) || c == '_' || c == '.') {
      q += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      q += buf;
    }
  }
  return http_get(port, "/api/v1/query?query=" + q).body;
}
}  // namespace

TEST_CASE("a poisoned exposition stays valid: a real Prometheus keeps vigil up and stores nothing forged",
          "[integration]") {
  VIGIL_REQUIRE_TOOL(run_command("command -v prometheus && command -v promtool").exit_code == 0,
                     "prometheus or promtool");
  // The watched app exposes vigil's own process_cpu_seconds_total family and a label value that
  // is not UTF-8; the poison fixture injects lines through HELP and label values.
  HttpSink app;
  SinkReply r;
  r.body =
      "# HELP process_cpu_seconds_total The app's CPU.\n# TYPE process_cpu_seconds_total counter\n"
      "process_cpu_seconds_total 42\n# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\n"
      "app_requests_total{path=\"/\xff\"} 1\napp_requests_total{path=\"/ok\"} 7\n";
  r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
  app.set_fallback(r);
  const auto dir = temp_dir();
  const auto cfg = write_config(
      dir, base_config("[[collectors.poison]]\n[[collectors.prometheus_scrape]]\nurl = \"" + app.url("/metrics") +
                       "\"\nlabels = { service = \"app\" }\n[[collectors.prometheus_scrape]]\nalias = \"prefixed\"\n"
                       "url = \"" +
                       app.url("/metrics") + "\"\ntarget_label = \"prefixed\"\nmetric_prefix = \"app_\"\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/metrics", "app_requests_total{path=\"/ok\",service=\"app\"} 7", 10s));
  REQUIRE(agent.wait_for("/metrics", "fixture_poison_ok", 5s));
  const auto text = http_get(agent.port(), "/metrics").body;
  CHECK(contains(text, "app_app_requests_total{path=\"/ok\"} 7"));
  CHECK(contains(text, "process_cpu_seconds_total{service=\"app\"} 42"));
  CHECK_FALSE(contains(text, "\xff"));
  CHECK_FALSE(contains(text, "fixture_poison_utf8"));
  CHECK(contains(text, "vigil_collector_invalid_samples_total{alias=\"poison\",collector=\"poison\"}"));
  write_file(dir + "/metrics.txt", text);
  const auto lint = run_command("promtool check metrics < " + dir + "/metrics.txt");
  INFO(lint.output);
  CHECK(lint.exit_code == 0);

  write_file(dir + "/prometheus.yml",
             "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigil\n"
             "    static_configs:\n      - targets: [\"127.0.0.1:" +
                 std::to_string(agent.port()) + "\"]\n");
  PrometheusServer prometheus(dir, dir + "/prometheus.yml");
  bool up = false;
  for (int i = 0; i < 60 && !up; ++i) {
    std::this_thread::sleep_for(500ms);
    up = contains(prom_query(prometheus.port(), "up{job=\"vigil\"} == 1"), "\"job\":\"vigil\"");
  }
  INFO(prometheus.log().substr(0, 3000));
  REQUIRE(up);
  // Nothing forged was stored, and what was escaped reads back exactly.
  CHECK(contains(prom_query(prometheus.port(), "node_filesystem_readonly"), "\"result\":[]"));
  CHECK(contains(prom_query(prometheus.port(), "count(up)"), "\"value\":["));
  CHECK(contains(prom_query(prometheus.port(), "count(up)"), ",\"1\"]"));
  CHECK(contains(prom_query(prometheus.port(), "fixture_poison_label"), "\"v\":\"a\\\"b\\\\c\\nup 0\""));
  CHECK(contains(prom_query(prometheus.port(), "count(process_cpu_seconds_total{job=\"vigil\"})"), ",\"2\"]"));
}

namespace {
// The value of the first /metrics line that starts with `prefix`, or -1.
double metric_value(uint16_t port, const std::string& prefix) {
  std::istringstream in(http_get(port, "/metrics").body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
  return -1;
}
double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

TEST_CASE("SIGHUP applies a good config and keeps the old one on a bad config", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(dir, base_config("[[collectors.no_op]]\nvalue = 1\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/metrics", "fixture_value{source=\"no_op\"} 1", 5s));
  const double first_hash = metric_value(agent.port(), "vigil_config_hash ");
  CHECK(first_hash > 0);

  write_config(dir,
               base_config("[[collectors.no_op]]\nvalue = 7\n[[collectors.no_op]]\nalias = \"second\"\nvalue = 8\n",
                           "max_connections = 100\n"));
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for_log("configuration reloaded", 5s));
  CHECK(contains(agent.log(), "[http] changes take effect after a restart"));
  const double second_hash = metric_value(agent.port(), "vigil_config_hash ");
  CHECK(second_hash > 0);
  CHECK(second_hash != first_hash);
  CHECK(agent.wait_for("/metrics", "vigil_collector_runs_total{alias=\"second\",collector=\"no_op\"}", 5s));
  CHECK(agent.wait_for("/metrics", "vigil_config_loads_total{result=\"success\"} 2", 5s));

  write_config(dir, base_config("[[collectors.no_op]]\nvalu = 9\n[agent\n"));
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for_log("reload rejected", 5s));
  CHECK(contains(agent.log(), "invalid TOML"));
  CHECK(agent.wait_for("/metrics", "vigil_config_loads_total{result=\"failure\"} 1", 5s));
  CHECK(http_get(agent.port(), "/healthz").status == 200);
  CHECK(contains(http_get(agent.port(), "/metrics").body, "alias=\"second\""));

  // Valid TOML, invalid plugin settings: rejected too, with the plugin's location.
  write_config(dir, base_config("[[collectors.no_op]]\nvalu = 9\n"));
  agent.signal(SIGHUP);
  CHECK(agent.wait_for_log("unknown key \\\"valu\\\" in [collectors.no_op]", 5s));
  CHECK(agent.wait_for("/metrics", "vigil_config_loads_total{result=\"failure\"} 2", 5s));
  CHECK(metric_value(agent.port(), "vigil_config_hash ") == second_hash);  // rejected loads change nothing
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("a hung collector is timed out and skipped while the others keep running", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(
      dir, base_config("[[collectors.hangs_in_collect]]\nsleep_ms = 2500\ninterval = \"500ms\"\ntimeout = \"200ms\"\n"
                       "[[collectors.no_op]]\ninterval = \"200ms\"\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(agent.wait_for(
      "/metrics", "vigil_collector_timeouts_total{alias=\"hangs_in_collect\",collector=\"hangs_in_collect\"} 1", 5s));
  CHECK(agent.wait_for(
      "/metrics", "vigil_collector_skipped_total{alias=\"hangs_in_collect\",collector=\"hangs_in_collect\"} 2", 5s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "fixture_value{source=\"no_op\"} 1"));
  CHECK(agent.wait_for("/metrics", "vigil_collector_runs_total{alias=\"no_op\",collector=\"no_op\"} 8", 5s));
  // SIGTERM while the hung run is in progress: the drain deadline bounds the exit.
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(6s) == 0);
}

TEST_CASE("failing and misbehaving plugins are counted while everything else keeps working", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(dir, base_config("[[collectors.fails_in_collect]]\n[[collectors.invalid_metric_name]]\n"
                                                 "[[collectors.throws_in_collect]]\n[[collectors.no_op]]\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(agent.wait_for(
      "/metrics", "vigil_collector_errors_total{alias=\"fails_in_collect\",collector=\"fails_in_collect\"} 1", 5s));
  CHECK(agent.wait_for(
      "/metrics",
      "vigil_collector_invalid_samples_total{alias=\"invalid_metric_name\",collector=\"invalid_metric_name\"} 1", 5s));
  // Each collector runs on its own schedule: wait for no_op's first collection too.
  CHECK(agent.wait_for("/metrics", "fixture_value{source=\"no_op\"} 1", 5s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "fixture_ok"));
  CHECK(contains(m, "vigil_collector_up{alias=\"throws_in_collect\",collector=\"throws_in_collect\"} 0"));
  const auto log = agent.log();
  CHECK(contains(log, "E_UNAVAILABLE: target down"));
  CHECK(contains(log, "a C++ exception escaped the plugin: boom from collect"));
  CHECK(contains(log, "invalid metric name \\\"bad-metric name\\\""));
  // Failing collectors make the agent unready, naming them.
  const auto ready = http_get(agent.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(contains(ready.body, "target down"));
}

TEST_CASE("a collection over its sample_limit fails whole, is counted, and leaves no partial series", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg =
      write_config(dir, base_config("[[collectors.no_op]]\nalias = \"big\"\nseries = 50\nsample_limit = 40\n"
                                    "labels = { inst = \"big\" }\n"
                                    "[[collectors.no_op]]\nalias = \"fits\"\nseries = 40\nsample_limit = 40\n"
                                    "labels = { inst = \"fits\" }\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/metrics", "fixture_value{inst=\"fits\",n=\"39\",source=\"no_op\"} 1", 5s));
  REQUIRE(agent.wait_for("/metrics", "vigil_collector_sample_limit_exceeded_total{alias=\"big\",collector=\"no_op\"} 1",
                         5s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK_FALSE(contains(m, "inst=\"big\""));  // not even the first 40
  CHECK(contains(m, "vigil_collector_up{alias=\"big\",collector=\"no_op\"} 0"));
  CHECK(contains(m, "vigil_collector_up{alias=\"fits\",collector=\"no_op\"} 1"));
  CHECK(contains(m, "vigil_collector_sample_limit_exceeded_total{alias=\"fits\",collector=\"no_op\"} 0"));
  CHECK(agent.wait_for("/readyz", "sample_limit of 40 samples", 5s));
  CHECK(contains(agent.log(), "raise sample_limit in"));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(6s) == 0);
}

TEST_CASE("a broken plugin stops the start unless the instance is optional", "[integration]") {
  const auto dir = temp_dir();
  {
    const auto cfg = write_config(dir, base_config("[[collectors.create_fails]]\n[[collectors.no_op]]\n"));
    AgentProcess agent(cfg);
    CHECK_FALSE(agent.started());
    CHECK(agent.wait_exit(5s) == 2);
    CHECK(contains(agent.log(), "collector \\\"create_fails\\\" (alias create_fails): create failed (E_CONFIG)"));
  }
  {
    const auto cfg = write_config(dir, base_config("[[collectors.abi_major_mismatch]]\n"));
    AgentProcess agent(cfg);
    CHECK_FALSE(agent.started());
    CHECK(agent.wait_exit(5s) == 2);
    CHECK(contains(agent.log(), "built for ABI 2.0, but this vigil provides ABI 1." + std::to_string(VIGIL_ABI_MINOR)));
  }
  {
    // Optional instances that can not be used are skipped, and counted by stage and reason for
    // the security dashboard.
    const auto cfg = write_config(
        dir, base_config("[[collectors.create_fails]]\noptional = true\n[[collectors.abi_major_mismatch]]\n"
                         "optional = true\n[[collectors.missing_entry]]\noptional = true\n[[collectors.absent]]\n"
                         "optional = true\n[[collectors.no_op]]\n"));
    AgentProcess agent(cfg);
    REQUIRE(agent.started());
    CHECK(agent.wait_for("/metrics", "fixture_value", 5s));
    CHECK(contains(agent.log(), "optional = true: skipped"));
    const auto m = http_get(agent.port(), "/metrics").body;
    for (const char* series : {"{plugin=\"create_fails\",reason=\"settings\",stage=\"create\"} 1",
                               "{plugin=\"abi_major_mismatch\",reason=\"abi\",stage=\"load\"} 1",
                               "{plugin=\"missing_entry\",reason=\"not_a_plugin\",stage=\"load\"} 1",
                               "{plugin=\"absent\",reason=\"not_found\",stage=\"load\"} 1"}) {
      INFO(series);
      CHECK(contains(m, std::string("vigil_plugin_failures_total") + series));
    }
  }
}

TEST_CASE("vigil check reports every problem with its location and exits 2", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(
      dir, base_config("[[collectors.no_op]]\nvalue = \"x\"\n[[collectors.nope]]\n", "max_conections = 3\n"));
  const auto r = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(r.exit_code == 2);
  CHECK(
      contains(r.output, cfg + ":10:1: unknown key \"max_conections\" in [http] (did you mean \"max_connections\"?)"));
  const auto ok_cfg = write_config(dir, base_config("[[collectors.no_op]]\nvalue = 2\n"));
  const auto ok = run_command(build_dir() + "/vigil check --config " + ok_cfg);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "OK (1 collector instance(s), 0 rule group(s)"));
  const auto bad_plugin = write_config(dir, base_config("[[collectors.no_op]]\nvalue = \"x\"\n[[collectors.nope]]\n"));
  const auto r2 = run_command(build_dir() + "/vigil check --config " + bad_plugin);
  CHECK(r2.exit_code == 2);
  CHECK(contains(r2.output, "\"value\" in [collectors.no_op] must be a number, not a string"));
  CHECK(contains(r2.output, "no collector plugin named \"nope\""));
  CHECK(contains(r2.output, "2 problem(s) found"));
  const auto embedded = run_command(build_dir() + "/vigil check");
  CHECK(embedded.exit_code == 0);
  CHECK(contains(run_command(build_dir() + "/vigil --version").output, "vigil "));
  const auto plugins = run_command(build_dir() + "/vigil plugins");
  CHECK(contains(plugins.output, "system 1.0.0  ABI 1." + std::to_string(VIGIL_ABI_MINOR) + "  vigil.collector/1"));
  CHECK(contains(plugins.output, "fs_types_exclude (an array of strings"));
}

TEST_CASE("the HTTP server withstands oversized, slow and many idle clients", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(dir, base_config("[[collectors.no_op]]\n",
                                                 "read_timeout = \"1s\"\nmax_header_size = \"4KiB\"\nmax_connections = "
                                                 "1100\nmax_connections_per_client = 2000\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());

  SECTION("an oversized header gets 431") {
    const std::string big(8000, 'a');
    const auto r = http_raw(agent.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 3s);
    CHECK(r.rfind("HTTP/1.1 431", 0) == 0);
  }
  SECTION("a client sending headers one byte at a time is cut off at read_timeout") {
    const int fd = connect_loopback(agent.port());
    REQUIRE(fd >= 0);
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    const auto t0 = std::chrono::steady_clock::now();
    bool closed = false;
    for (char c : req) {
      if (::send(fd, &c, 1, MSG_NOSIGNAL) <= 0) {
        closed = true;
        break;
      }
      char b;
      if (::recv(fd, &b, 1, MSG_DONTWAIT) == 0) {
        closed = true;
        break;
      }
      std::this_thread::sleep_for(200ms);
      if (std::chrono::steady_clock::now() - t0 > 4s) break;
    }
    ::close(fd);
    CHECK(closed);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(http_get(agent.port(), "/healthz").status == 200);
  }
  SECTION("1,000 concurrent idle connections do not stop service") {
    std::vector<int> fds;
    for (int i = 0; i < 1000; ++i) {
      const int fd = connect_loopback(agent.port());
      if (fd >= 0) fds.push_back(fd);
    }
    CHECK(fds.size() == 1000);
    CHECK(agent.wait_for("/metrics", "vigil_http_connections 10", 3s));  // 1000+ open
    CHECK(http_get(agent.port(), "/healthz").status == 200);
    for (int fd : fds) ::close(fd);
  }
  SECTION("connections over max_connections are closed and counted") {
    std::vector<int> fds;
    for (int i = 0; i < 1150; ++i) {
      const int fd = connect_loopback(agent.port());
      if (fd >= 0) fds.push_back(fd);
    }
    std::this_thread::sleep_for(1s);  // let the server accept (and refuse) them while all are open
    for (int fd : fds) ::close(fd);
    CHECK(agent.wait_for("/metrics", "vigil_http_rejected_connections_total{limit=\"max_connections\"} ", 3s));
    const auto m = http_get(agent.port(), "/metrics").body;
    CHECK_FALSE(contains(m, "vigil_http_rejected_connections_total{limit=\"max_connections\"} 0\n"));
  }
}

TEST_CASE("rules: recording and alerting rules run on collected samples", "[integration]") {
  const auto dir = temp_dir();
  write_file(dir + "/fixture.yml", R"(groups:
  - name: fixture
    rules:
      - record: fixture:doubled
        expr: fixture_value * 2
      - alert: FixtureHigh
        expr: fixture:doubled > 5
        labels:
          severity: critical
        annotations:
          summary: "doubled is {{ $value }} on {{ $labels.source }}"
      - alert: NeverFires
        expr: fixture_value > 100
)");
  const auto cfg = write_config(dir, base_config("[rules]\nfiles = [\"*.yml\"]\nevaluation_interval = \"200ms\"\n"
                                                 "[[collectors.no_op]]\nvalue = 3\ninterval = \"200ms\"\n"));
  const auto check = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(check.exit_code == 0);
  CHECK(contains(check.output, "1 rule group(s) with 3 rule(s)"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(agent.wait_for("/api/v1/alerts", "\"state\":\"firing\"", 5s));
  const auto alerts = http_get(agent.port(), "/api/v1/alerts").body;
  CHECK(contains(alerts, "\"alertname\":\"FixtureHigh\""));
  CHECK(contains(alerts, "\"summary\":\"doubled is 6 on no_op\""));
  CHECK_FALSE(contains(alerts, "NeverFires"));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "fixture:doubled{source=\"no_op\"} 6"));
  CHECK(
      contains(m, "ALERTS{alertname=\"FixtureHigh\",alertstate=\"firing\",severity=\"critical\",source=\"no_op\"} 1"));
  CHECK(contains(m, "vigil_rule_health{group=\"fixture\",rule=\"FixtureHigh\"} 1"));
  CHECK(contains(m, "vigil_series_store_dropped_samples_total 0"));
  CHECK(contains(m, "# TYPE vigil_series_store_series gauge"));
  const auto rules = http_get(agent.port(), "/api/v1/rules").body;
  CHECK(contains(rules, "\"type\":\"recording\""));
  CHECK(contains(rules, "\"health\":\"ok\""));

  // A reload that keeps the rule keeps its alerts' active time ("for" progress).
  const auto active_at = [&] {
    const auto body = http_get(agent.port(), "/api/v1/alerts").body;
    const auto at = body.find("\"activeAt\":\"");
    return at == std::string::npos ? std::string() : body.substr(at, 40);
  };
  const std::string before = active_at();
  REQUIRE_FALSE(before.empty());
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for_log("configuration reloaded", 5s));
  std::this_thread::sleep_for(500ms);
  CHECK(active_at() == before);

  // A broken rule file is rejected by check and by reload; the running rules stay.
  write_file(dir + "/fixture.yml", "groups:\n  - name: fixture\n    rules:\n      - alert: X\n        expr: rate(x)\n");
  const auto bad = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "fixture.yml:5:15: in expr: 1:6: expected type range vector"));
  agent.signal(SIGHUP);
  CHECK(agent.wait_for_log("reload rejected", 5s));
  CHECK(agent.wait_for("/api/v1/alerts", "FixtureHigh", 2s));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("rules: a restart resumes the for-progress of pending alerts", "[integration]") {
  const auto dir = temp_dir();
  std::filesystem::create_directories(dir + "/rules");
  write_file(dir + "/rules/slow.toml", R"([[groups]]
name = "slow"

[[groups.rules]]
alert = "SlowBurn"
expr = "fixture_value > 1"
for = "1h"
)");
  const auto cfg =
      write_config(dir, base_config("[rules]\nfiles = [\"rules/*.toml\"]\nevaluation_interval = \"200ms\"\n"
                                    "for_grace_period = \"0s\"\n"
                                    "[[collectors.no_op]]\nvalue = 3\ninterval = \"200ms\"\n"));
  const std::string series = "ALERTS_FOR_STATE{alertname=\"SlowBurn\"";
  double first_active = -1;
  {
    AgentProcess agent(cfg);
    REQUIRE(agent.started());
    REQUIRE(agent.wait_for("/api/v1/alerts", "\"state\":\"pending\"", 5s));
    first_active = metric_value(agent.port(), series);
    REQUIRE(first_active > 0);
    std::this_thread::sleep_for(2s);  // pending for two seconds before the stop
    agent.signal(SIGTERM);
    REQUIRE(agent.wait_exit(5s) == 0);
  }
  std::this_thread::sleep_for(1s);
  const double restart = unix_seconds();
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/api/v1/alerts", "\"state\":\"pending\"", 5s));
  CHECK(agent.wait_for_log("alert for-progress restored", 2s));
  const double resumed = metric_value(agent.port(), series);
  // Prometheus' rule: the downtime (about 1 s) does not count, the 2 s spent pending do. An
  // alert that started over would have become active after `restart`.
  CHECK(resumed > first_active + 0.9);
  CHECK(resumed < restart - 1.0);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("a burst of scrapes is answered from one rendering of /metrics", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg =
      write_config(dir, base_config("[[collectors.no_op]]\ninterval = \"50ms\"\n", "metrics_snapshot = \"3s\"\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/metrics", "fixture_value{source=\"no_op\"} 1", 5s));
  // Collections every 50 ms change the counters; within the snapshot's life every answer is
  // the same text, and a later one is a new rendering.
  const auto t0 = std::chrono::steady_clock::now();
  const auto first = http_get(agent.port(), "/metrics").body;
  std::vector<std::string> burst;
  std::vector<std::thread> scrapers;
  std::mutex mu;
  for (int i = 0; i < 8; ++i)
    scrapers.emplace_back([&] {
      auto b = http_get(agent.port(), "/metrics").body;
      std::lock_guard l(mu);
      burst.push_back(std::move(b));
    });
  for (auto& t : scrapers) t.join();
  if (std::chrono::steady_clock::now() - t0 < 2500ms)  // a very slow machine may cross the TTL
    for (const auto& b : burst) CHECK(b == first);
  std::this_thread::sleep_for(3200ms);
  CHECK(http_get(agent.port(), "/metrics").body != first);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("cache: plugins keep state in the host's cache through the memory backend", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg =
      write_config(dir, base_config("[[caches.memory]]\nmax_size = \"1MiB\"\nadmission = \"tinylfu\"\n"
                                    "[cache.namespaces.\"plugin.cache_counter.cache_counter\"]\nttl = \"1h\"\n"
                                    "[[collectors.cache_counter]]\ninterval = \"200ms\"\n"));
  const auto check = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(check.exit_code == 0);
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  // The count grows from collection to collection: the value lives in the cache.
  CHECK(agent.wait_for("/metrics", "fixture_cache_count 3", 5s));
  CHECK(agent.wait_for(
      "/metrics", "vigil_cache_requests_total{namespace=\"plugin.cache_counter.cache_counter\",result=\"hit\"}", 8s));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);

  // Without a cache the plugin is told so (and reports -1); a wrong backend name is refused.
  const auto none = write_config(dir, base_config("[[collectors.cache_counter]]\ninterval = \"200ms\"\n"));
  AgentProcess plain(none);
  REQUIRE(plain.started());
  CHECK(plain.wait_for("/metrics", "fixture_cache_count -1", 5s));
  const auto bad = write_config(dir, base_config("[cache]\nbackend = \"redis-main\"\n[[caches.memory]]\n"));
  const auto r = run_command(build_dir() + "/vigil check --config " + bad);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "[cache] backend = \"redis-main\" names no [[caches.NAME]] instance"));
}

TEST_CASE("cache: Redis killed mid-run makes the agent unready; its return heals it without a restart",
          "[integration]") {
  VIGIL_REQUIRE_TOOL(vigil::testing::have_redis(), "redis-server");
  vigil::testing::RedisServer redis(vigil::testing::free_port());
  const auto dir = temp_dir();
  const auto cfg =
      write_config(dir, base_config("[[caches.redis]]\nurl = \"redis://127.0.0.1:" + std::to_string(redis.port) +
                                    "/0\"\ncommand_timeout = \"300ms\"\n[cache]\nbackend = \"redis\"\n"
                                    "[cache.namespaces.\"plugin.cache_counter.cache_counter\"]\nttl = \"1h\"\n"
                                    "[[collectors.cache_counter]]\ninterval = \"200ms\"\n"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(agent.wait_for("/metrics", "fixture_cache_count 3", 5s));
  CHECK(agent.wait_for("/readyz", "\"backend\": \"redis\"", 5s));
  CHECK(agent.wait_for("/metrics", "vigil_cache_up 1", 8s));
  CHECK(http_get(agent.port(), "/readyz").status == 200);

  redis.stop();
  CHECK(agent.wait_for("/readyz", "\"error\": \"cache redis ping: E_UNAVAILABLE: ", 10s));
  CHECK(http_get(agent.port(), "/readyz").status == 503);
  CHECK(agent.wait_for("/metrics", "vigil_cache_up 0", 8s));
  CHECK(agent.wait_for_log("the cache backend does not answer", 5s));
  // The plugin's calls fail meanwhile and the collector says so; nothing crashes.
  CHECK(agent.wait_for("/metrics", "vigil_cache_backend_errors_total{namespace=\"plugin.cache_counter.cache_counter\"}",
                       5s));

  redis.start();
  CHECK(agent.wait_for("/metrics", "vigil_cache_up 1", 10s));
  CHECK(agent.wait_for_log("the cache backend answers again", 5s));
  CHECK(http_get(agent.port(), "/readyz").status == 200);
  // The counter starts again in the new (empty) Redis and grows: the cache works again.
  CHECK(agent.wait_for("/metrics", "fixture_cache_count 3", 8s));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("cache: a namespace marked snapshot survives a restart of the memory backend", "[integration]") {
  const auto dir = temp_dir();
  const auto cfg = write_config(
      dir, base_config("[[caches.memory]]\n[cache.namespaces.\"plugin.cache_counter.cache_counter\"]\n"
                       "ttl = \"1h\"\nsnapshot = true\n[[collectors.cache_counter]]\ninterval = \"200ms\"\n"));
  auto count = [](uint16_t port) {
    const auto m = http_get(port, "/metrics").body;
    const auto at = m.find("\nfixture_cache_count ");  // the sample, not its # TYPE line
    return at == std::string::npos ? -1 : std::atoi(m.c_str() + at + 21);
  };
  {
    AgentProcess agent(cfg);
    REQUIRE(agent.started());
    REQUIRE(agent.wait_for("/metrics", "fixture_cache_count 5", 8s));
    agent.signal(SIGTERM);
    REQUIRE(agent.wait_exit(5s) == 0);
    CHECK(contains(agent.log(), "cache snapshot saved"));
  }
  AgentProcess again(cfg);
  REQUIRE(again.started());
  CHECK(again.wait_for_log("cache snapshot restored", 5s));
  REQUIRE(again.wait_for("/metrics", "\nfixture_cache_count ", 5s));
  CHECK(count(again.port()) > 5);  // it goes on from where it was instead of starting at 1
  again.signal(SIGTERM);
  CHECK(again.wait_exit(5s) == 0);
}

TEST_CASE("under systemd the agent speaks the notify protocol: ready, watchdog, reloading, stopping", "[integration]") {
  // The socket systemd would provide: a unix datagram socket named by $NOTIFY_SOCKET.
  const auto dir = temp_dir();
  const std::string path = dir + "/notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{0, 200000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<std::string> got;
  // Collects datagrams until one starts with `prefix` or the timeout passes.
  auto wait_for = [&](const std::string& prefix, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      char buf[512];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) continue;
      got.emplace_back(buf, static_cast<size_t>(n));
      if (got.back().rfind(prefix, 0) == 0) return true;
    }
    return false;
  };

  const auto cfg = write_config(dir, base_config(""));
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);  // WATCHDOG=1 every 200 ms
  AgentProcess agent(cfg);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  REQUIRE(agent.started());
  CHECK(wait_for("READY=1", 5s));
  CHECK(contains(got.back(), "STATUS=running"));
  size_t pings = 0;
  for (int i = 0; i < 3; ++i) pings += wait_for("WATCHDOG=1", 2s) ? 1 : 0;
  CHECK(pings == 3);
  agent.signal(SIGHUP);
  CHECK(wait_for("RELOADING=1\nMONOTONIC_USEC=", 5s));
  CHECK(wait_for("READY=1", 5s));
  agent.signal(SIGTERM);
  CHECK(wait_for("STOPPING=1", 5s));
  CHECK(agent.wait_exit(10s) == 0);
  ::close(fd);
}

TEST_CASE("hostile input: check and run agree on listen, and odd files never stop the agent", "[integration]") {
  const auto dir = temp_dir();
  // A port that does not fit: refused by check, the same way by run (never an abort).
  const auto bad_port = write_config(dir, "[http]\nlisten = \"127.0.0.1:99999999999\"\n");
  const auto check = run_command(build_dir() + "/vigil check --config " + bad_port);
  CHECK(check.exit_code == 2);
  CHECK(contains(check.output, "the port must be a number from 0 to 65535"));
  const auto run = run_command(build_dir() + "/vigil run --config " + bad_port);
  CHECK(run.exit_code == 2);
  CHECK(contains(run.output, "the port must be a number from 0 to 65535"));
  // A plugin name that walks out of the plugin directory.
  const auto escape = write_config(dir, base_config("[[collectors.\"../../../tmp/x\"]]\n"));
  const auto esc = run_command(build_dir() + "/vigil check --config " + escape);
  CHECK(esc.exit_code == 2);
  CHECK(contains(esc.output, "a plugin name is 1 to 64 of a-z, 0-9 and _"));
  // A token file that is a device: refused with its name, not read forever.
  const auto zero = write_config(dir, base_config("[[collectors.no_op]]\n", "api_token_file = \"/dev/zero\"\n"));
  const auto z = run_command("timeout 20 " + build_dir() + "/vigil run --config " + zero);
  CHECK(z.exit_code != 124);
  CHECK(contains(z.output, "/dev/zero is not a regular file"));
  // A stray file in the cache snapshot directory is skipped with a warning.
  const auto state = dir + "/state";
  std::filesystem::create_directories(state + "/cache");
  write_file(state + "/cache/%zzjunk.snapshot", "junk");
  write_file(state + "/cache/%4.snapshot", "junk");
  const auto stray =
      write_config(dir, "[agent]\nstate_dir = \"" + state + "\"\nplugin_dirs = [\"" + build_dir() +
                            "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\n[[caches.memory]]\n"
                            "[cache.namespaces.junk]\nsnapshot = true\n[[collectors.no_op]]\n");
  AgentProcess agent(stray);
  REQUIRE(agent.started());
  CHECK(agent.wait_for_log("a file in the snapshot directory is not a cache snapshot; ignored", 5s));
  CHECK(http_get(agent.port(), "/readyz").status == 200);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}
