// `vigil bench` end to end: the real binary against bench/targets' sample service.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../support/http_sink.hpp"
#include "../support/loopback.hpp"
#include "../support/prometheus_server.hpp"
#include "../support/sample_target.hpp"
#include "agent_process.h"
#include "../support/require_tool.hpp"

using namespace std::chrono_literals;
using namespace vigil::testing;
using nlohmann::json;

namespace {

std::string target_binary() {
  return build_dir() + "/bench/vigil_sample_target";
}

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

}  // namespace

TEST_CASE("bench: http_message against the sample target, with report, thresholds and the target's count",
          "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto out = temp_dir() + "/run";
  const auto r = run_command(build_dir() + "/vigil bench run http_message --target " + target.url() +
                             " --vus 4 --threads 2 -d 1s --no-progress --threshold 'p99 < 2s' "
                             "--threshold 'error_rate == 0' --set expect_fields='[\"reply\",\"id\"]' --out " +
                             out);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "threshold ok          p99 < 2s"));
  std::ifstream f(out + "/report.json");
  const json report = json::parse(f);
  CHECK(report["format"] == "vigil-bench-report/1");
  CHECK(report["run"]["model"] == "closed");
  CHECK(report["run"]["options"]["expect_fields"] == "reply, id");
  const uint64_t ok = report["summary"]["ok"];
  CHECK(ok > 100);
  CHECK(report["errors"].empty());
  CHECK(report["tags"]["send_message"]["requests"] == ok);
  CHECK(std::filesystem::exists(out + "/report.md"));
  // The target received every measured request (and no more than were sent).
  const json stats = json::parse(http_get(static_cast<uint16_t>(target.port), "/admin/stats").body);
  CHECK(stats["requests"]["messages"].get<uint64_t>() >= ok);

  // Compare a run with itself: no change; a goal it cannot meet fails with 99.
  const auto same = run_command(build_dir() + "/vigil bench compare " + out + "/report.json " + out + "/report.json");
  CHECK(same.exit_code == 0);
  CHECK(contains(same.output, "| rps |"));
  const auto unmet =
      run_command(build_dir() + "/vigil bench compare " + out + "/report.json " + out + "/report.json --goal rps=+50%");
  CHECK(unmet.exit_code == 99);
  CHECK(contains(unmet.output, "| +50% | FAIL |"));
}

TEST_CASE("bench: a failed threshold exits 99; injected errors are counted by kind", "[integration]") {
  SampleTarget target(target_binary(), {"--error-rate", "0.2"});
  REQUIRE(target.port > 0);
  const auto r = run_command(build_dir() + "/vigil bench run http_message --target " + target.url() +
                             " --vus 2 -d 1s --no-progress --threshold 'error_rate < 0.01'");
  CHECK(r.exit_code == 99);
  CHECK(contains(r.output, "threshold FAILED      error_rate < 0.01"));
  CHECK(contains(r.output, "errors: http_5xx"));
}

TEST_CASE("bench: the open model keeps its rate against a stalling target and reports it", "[integration]") {
  SampleTarget target(target_binary(), {"--stall-every", "100", "--stall-ms", "400"});
  REQUIRE(target.port > 0);
  const auto out = temp_dir() + "/open";
  const auto r = run_command(build_dir() + "/vigil bench run http_message --target " + target.url() +
                             " --rate 200 --vus 1 -d 2s --no-progress --out " + out);
  CHECK(r.exit_code == 0);
  std::ifstream f(out + "/report.json");
  const json report = json::parse(f);
  CHECK(report["run"]["model"] == "open");
  CHECK(report["summary"]["requests"].get<uint64_t>() >= 380);
  CHECK(report["latency"]["p99"].get<int64_t>() > report["service_time"]["p99"].get<int64_t>());
  CHECK(report["latency"]["max"].get<int64_t>() >= 400000);
}

TEST_CASE("bench: bad input is refused with exit 2, an unreachable target exits 1", "[integration]") {
  const auto bad_threshold = run_command(build_dir() +
                                         "/vigil bench run http_message --target http://127.0.0.1:1 "
                                         "--threshold 'p95 < soon' -d 1s --no-progress");
  CHECK(bad_threshold.exit_code == 2);
  CHECK(contains(bad_threshold.output, "the value must be a number"));
  const auto no_target = run_command(build_dir() + "/vigil bench run http_message -d 1s");
  CHECK(no_target.exit_code == 2);
  CHECK(contains(no_target.output, "no target: give --target"));
  const auto unknown = run_command(build_dir() + "/vigil bench run no_such_scenario --target http://127.0.0.1:1");
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.output, "no_such_scenario"));
  const auto bad_key = run_command(build_dir() +
                                   "/vigil bench run http_message --target http://127.0.0.1:1 "
                                   "--set pathh=/x -d 1s");
  CHECK(bad_key.exit_code == 2);
  CHECK(contains(bad_key.output, "unknown key \"pathh\""));
  const auto refused = run_command(build_dir() + "/vigil bench run http_message --target http://127.0.0.1:" +
                                   std::to_string(free_port()) + " -d 1s --no-progress");
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "no connection to the target could be opened"));
}

TEST_CASE("bench: --abort-on-fail ends a run whose threshold fails, with exit 99", "[integration]") {
  SampleTarget target(target_binary(), {"--error-rate", "0.5"});
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_command(build_dir() + "/vigil bench run http_message --target " + target.url() +
                             " -d 60s --vus 2 --threshold 'error_rate < 0.01' --threshold 'requests > 100000000' "
                             "--abort-on-fail --no-progress --out " +
                             dir);
  INFO(r.output);
  CHECK(r.exit_code == 99);
  CHECK(std::chrono::steady_clock::now() - t0 < 20s);
  CHECK(contains(r.output, "the run ended early: threshold \"error_rate < 0.01\" failed after 5 s"));
  std::ifstream f(dir + "/report.json");
  const json report = json::parse(f);
  CHECK(contains(report["run"]["aborted"].get<std::string>(), "error_rate < 0.01"));
  CHECK(report["run"]["duration_s"].get<double>() < 10);
}

TEST_CASE("bench: [[scenarios.NAME]] tables give named, repeatable runs", "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  write_file(dir + "/bench.toml", "[[scenarios.http_message]]\nalias = \"chat\"\ntarget = \"" + target.url() +
                                      "\"\nvus = 2\nduration = \"1s\"\nthresholds = [\"p99 < 5s\"]\n"
                                      "goals = { rps = \"-99%\" }\ntext_max = 50\n");
  const auto r = run_command(build_dir() + "/vigil bench run chat --config " + dir +
                             "/bench.toml --no-progress --out " + dir + "/out");
  CHECK(r.exit_code == 0);
  std::ifstream f(dir + "/out/report.json");
  const json report = json::parse(f);
  CHECK(report["run"]["scenario"] == "chat");
  CHECK(report["run"]["goals"]["rps"] == "-99%");
  CHECK(report["run"]["options"]["text_max"] == "50");
  CHECK(report["thresholds"][0]["passed"] == true);
  CHECK(run_command(build_dir() + "/vigil check --config " + dir + "/bench.toml").exit_code == 0);
  // `vigil check` checks scenario tables with the plugin, and their thresholds.
  write_file(dir + "/bad.toml",
             "[[scenarios.http_message]]\ntext_max = -1\n[[scenarios.tool_call]]\n"
             "thresholds = [\"p95 < soon\"]\n[[scenarios.tool_call.tools]]\nname = \"echo\"\n");
  const auto bad = run_command(build_dir() + "/vigil check --config " + dir + "/bad.toml");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "\"text_min\" must be 0 or more and \"text_max\" at least \"text_min\""));
  CHECK(contains(bad.output, "the value must be a number"));
}

TEST_CASE("bench: tool_call opens an MCP session and counts isError results as failures", "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  write_file(dir + "/tools.toml",
             "[[scenarios.tool_call]]\ntarget = \"" + target.url() +
                 "\"\nvus = 2\nduration = \"1s\"\n"
                 "[[scenarios.tool_call.tools]]\nname = \"echo\"\n"
                 "arguments = '{\"text\": \"hi\"}'\nweight = 3\n"
                 "[[scenarios.tool_call.tools]]\nname = \"add\"\narguments = '{\"a\": 2, \"b\": 3}'\n"
                 "[[scenarios.tool_call.tools]]\nname = \"fail\"\n");
  const auto r = run_command(build_dir() + "/vigil bench run tool_call --config " + dir +
                             "/tools.toml --no-progress --out " + dir + "/out");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  std::ifstream f(dir + "/out/report.json");
  const json report = json::parse(f);
  const auto& tags = report["tags"];
  REQUIRE(tags.contains("tools/call echo"));
  REQUIRE(tags.contains("tools/call fail"));
  const uint64_t echo = tags["tools/call echo"]["requests"], add = tags["tools/call add"]["requests"],
                 fail = tags["tools/call fail"]["requests"];
  CHECK(echo > 2 * add);                             // weights 3 : 1 : 1
  CHECK(tags["tools/call fail"]["errors"] == fail);  // every fail call is an isError result
  CHECK(tags["tools/call echo"]["errors"] == 0);
  CHECK(report["errors"]["validation"] == fail);
  CHECK(contains(report["error_examples"]["validation"].get<std::string>(), "tool fail reported an error"));
  // The target saw the session's calls: at least every measured one, per tool.
  const json stats = json::parse(http_get(static_cast<uint16_t>(target.port), "/admin/stats").body);
  CHECK(stats["mcp_tools"]["echo"].get<uint64_t>() >= echo);
  CHECK(stats["mcp_tools"]["fail"].get<uint64_t>() >= fail);

  // A wrong path fails the setup with the reason, before any load.
  const auto wrong = run_command(build_dir() + "/vigil bench run tool_call --target " + target.url() +
                                 " --set path=/nope --set 'tools=[{name=\"echo\"}]' -d 1s --no-progress");
  CHECK(wrong.exit_code == 2);
  CHECK(contains(wrong.output, "setup step 0 (POST /nope): initialize answered HTTP 404"));
}

TEST_CASE("bench: the cache scenario drives the configured cache in the call transport", "[integration]") {
  const auto dir = temp_dir();
  const auto r = run_command(build_dir() + "/vigil bench run cache --vus 2 -d 1s --no-progress --set keys=5000 --out " +
                             dir + "/cache");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "hit ratio"));
  std::ifstream f(dir + "/cache/report.json");
  const json report = json::parse(f);
  CHECK(report["run"]["target"] == "call");
  const uint64_t hits = report["tags"]["hit"]["requests"], misses = report["tags"]["miss"]["requests"];
  CHECK(hits > misses);
  CHECK(misses <= 5000);  // each key misses at most once: the miss writes it
  CHECK(report["errors"].empty());
}

TEST_CASE("bench: staged ramps from the config and the command line", "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  // The closed model from a [[scenarios]] table: 0 -> 4 connections, then held.
  write_file(dir + "/ramp.toml",
             "[[scenarios.http_message]]\nalias = \"ramp\"\ntarget = \"" + target.url() +
                 "\"\nstages = [{ duration = \"1s\", target = 4 }, { duration = \"1s\", target = 4 }]\n");
  const auto closed = run_command(build_dir() + "/vigil bench run ramp --config " + dir +
                                  "/ramp.toml --no-progress --out " + dir + "/closed");
  INFO(closed.output);
  CHECK(closed.exit_code == 0);
  CHECK(contains(closed.output, "connections through stages 1s:4 1s:4"));
  std::ifstream cf(dir + "/closed/report.json");
  const json c = json::parse(cf);
  CHECK(c["run"]["stages"] == "1s:4 1s:4");
  CHECK(c["run"]["connections"] == 4);
  REQUIRE(c["timeline"].size() >= 2);
  CHECK(c["timeline"][1]["connections"] == 4);
  CHECK(c["timeline"][0]["connections"] <= 4);

  // The open model from the command line, in the call transport: 0 -> 2000 operations a second.
  const auto open = run_command(build_dir() +
                                "/vigil bench run cache --rate 0 --stage 1s:2000 --stage 1s:2000 --vus 2 "
                                "--no-progress --out " +
                                dir + "/open");
  INFO(open.output);
  CHECK(open.exit_code == 0);
  std::ifstream of(dir + "/open/report.json");
  const json o = json::parse(of);
  CHECK(o["run"]["model"] == "open");
  const uint64_t ops = o["summary"]["requests"].get<uint64_t>() + o["summary"]["dropped"].get<uint64_t>();
  CHECK(ops >= 2900);  // 1000 in the ramp, 2000 held
  CHECK(ops <= 3001);

  // Bad stages are refused with the syntax to use.
  const auto bad_cli = run_command(build_dir() + "/vigil bench run http_message --target " + target.url() +
                                   " --stage 30s --no-progress");
  CHECK(bad_cli.exit_code == 2);
  CHECK(contains(bad_cli.output, "DURATION:TARGET"));
  write_file(dir + "/bad.toml", "[[scenarios.http_message]]\nstages = [{ duration = \"1s\" }]\n");
  const auto bad_config = run_command(build_dir() + "/vigil check --config " + dir + "/bad.toml");
  CHECK(bad_config.exit_code == 2);
  CHECK(contains(bad_config.output, "stage 1 must have a duration and a target"));
  const auto ws =
      run_command(build_dir() + "/vigil bench run websocket --target ws://127.0.0.1:" + std::to_string(target.port) +
                  "/ws --stage 1s:10 --no-progress");
  CHECK(ws.exit_code != 0);
  CHECK(contains(ws.output, "stages are not supported"));
}

TEST_CASE("bench: websocket holds hundreds of connections and measures round trips", "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  const auto ws = "ws://127.0.0.1:" + std::to_string(target.port) + "/ws";
  const auto r = run_command(build_dir() + "/vigil bench run websocket --target " + ws +
                             " --vus 300 --connect-rate 1000 --rate 300 --threads 2 -d 1s --no-progress "
                             "--threshold 'p99 < 1s' --out " +
                             dir + "/ws");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  std::ifstream f(dir + "/ws/report.json");
  const json report = json::parse(f);
  CHECK(report["summary"]["max_connections_open"] == 300);
  CHECK(report["summary"]["connections_opened"] == 300);
  CHECK(report["connect"]["count"] == 300);
  CHECK(report["summary"]["ok"].get<uint64_t>() >= 250);  // about 300 round trips in the measured second
  CHECK(report["errors"].empty());
  const json stats = json::parse(http_get(static_cast<uint16_t>(target.port), "/admin/stats").body);
  CHECK(stats["ws_connections_total"].get<uint64_t>() == 300);
  CHECK(stats["ws_messages"].get<uint64_t>() >= report["summary"]["ok"].get<uint64_t>());

  const auto refused =
      run_command(build_dir() + "/vigil bench run websocket --target ws://127.0.0.1:" + std::to_string(free_port()) +
                  "/ws --vus 2 -d 1s --no-progress");
  CHECK(refused.exit_code == 1);
  const auto http_url = run_command(build_dir() + "/vigil bench run websocket --target " + target.url() + " -d 1s");
  CHECK(http_url.exit_code == 2);
  CHECK(contains(http_url.output, "is not a ws:// or wss:// URL"));
}

TEST_CASE("bench: the whole story - vigil probes the sample service on a schedule, scrapes it and alerts on it",
          "[integration]") {
  // The service fails 30 % of its messages and answers in 30 ms. vigil runs a scheduled
  // scenario against it (the traffic), scrapes its /metrics, and evaluates the shipped
  // chat_service rules, with windows and `for` shortened for a test (and the p95 bound lowered
  // to 20 ms), sending to a webhook.
  SampleTarget target(target_binary(), {"--error-rate", "0.3", "--latency-ms", "30"});
  REQUIRE(target.port > 0);
  HttpSink sink;
  const auto dir = temp_dir();
  std::filesystem::create_directories(dir + "/rules");
  std::string rules = read_file(source_dir() + "/configs/rules/chat_service.yml");
  auto replace_all = [&rules](const std::string& from, const std::string& to) {
    for (size_t at = rules.find(from); at != std::string::npos; at = rules.find(from, at + to.size()))
      rules.replace(at, from.size(), to);
  };
  replace_all("[5m]", "[8s]");
  replace_all("[10m]", "[8s]");
  for (const char* f : {"for: 5m", "for: 10m", "for: 1m"}) replace_all(f, "for: 1s");
  replace_all("- name: chat_service\n", "- name: chat_service\n    interval: 500ms\n");
  replace_all("[8s]))) > 2", "[8s]))) > 0.02");
  write_file(dir + "/rules/chat_service.yml", rules);
  write_file(
      dir + "/vigil.toml",
      "[agent]\ninterval = \"500ms\"\ntimeout = \"400ms\"\nshutdown_timeout = \"3s\"\nstate_dir = \"" + dir +
          "/state\"\n[http]\nlisten = \"127.0.0.1:0\"\nmetrics_snapshot = \"0s\"\n"
          "[rules]\nfiles = [\"rules/*.yml\"]\n"
          "[[collectors.prometheus_scrape]]\nurl = \"" +
          target.url() +
          "/metrics\"\n"
          "[[scenarios.http_message]]\nalias = \"chat_probe\"\ntarget = \"" +
          target.url() +
          "\"\nvus = 4\nduration = \"1s\"\nschedule = \"2s\"\nthresholds = [\"error_rate < 0.01\", \"p95 < 5s\"]\n"
          "[[notifiers.webhook]]\nurl = \"" +
          sink.url() +
          "\"\n[alerting.route]\nreceiver = \"hook\"\ngroup_by = [\"alertname\"]\ngroup_wait = \"200ms\"\n"
          "[[alerting.receivers]]\nname = \"hook\"\nnotifiers = [\"webhook\"]\n");
  const auto check = run_command(build_dir() + "/vigil check --config " + dir + "/vigil.toml");
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());

  // The scheduled runs: published on /metrics, with the failed threshold, and kept as reports.
  CHECK(agent.wait_for("/metrics", "vigil_scenario_runs_total{outcome=\"failed\",scenario=\"chat_probe\"} 1", 20s));
  const std::string m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "vigil_scenario_latency_seconds{quantile=\"0.95\",scenario=\"chat_probe\"} 0.03"));
  CHECK(contains(m, "vigil_scenario_threshold_passed{scenario=\"chat_probe\",threshold=\"error_rate < 0.01\"} 0"));
  CHECK(contains(m, "vigil_scenario_threshold_passed{scenario=\"chat_probe\",threshold=\"p95 < 5s\"} 1"));
  CHECK(contains(m, "vigil_scenario_last_run_success{scenario=\"chat_probe\"} 0"));
  CHECK(contains(m, "vigil_scenario_errors_total{kind=\"http_5xx\",scenario=\"chat_probe\"}"));
  CHECK(agent.wait_for_log("scheduled run failed thresholds: error_rate < 0.01", 5s));
  size_t reports = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir + "/state/bench/chat_probe")) {
    const json report = json::parse(read_file(f.path().string()));
    CHECK(report["run"]["scenario"] == "chat_probe");
    ++reports;
  }
  CHECK(reports >= 1);

  // The scraped service's own numbers fire the shipped alerts.
  std::set<std::string> fired;
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  while (fired.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    for (const auto& r : sink.requests()) {
      const json body = json::parse(r.body);
      for (const auto& a : body["alerts"]) fired.insert(a["labels"]["alertname"].get<std::string>());
    }
  }
  CHECK(fired.count("ChatHighErrorRate") == 1);
  CHECK(fired.count("ChatSlowResponses") == 1);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(10s) == 0);
}

TEST_CASE("bench: https and wss, with the certificate checked", "[integration]") {
  const std::string tls = source_dir() + "/tests/fixtures/tls";
  SampleTarget target(target_binary(), {"--tls-cert", tls + "/cert.pem", "--tls-key", tls + "/key.pem"});
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  const std::string port = std::to_string(target.port);
  const std::string trust = " --tls-ca-file " + tls + "/cert.pem";

  const auto https = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.1:" + port +
                                 trust + " --vus 4 -d 1s --no-progress --out " + dir + "/https");
  INFO(https.output);
  CHECK(https.exit_code == 0);
  std::ifstream hf(dir + "/https/report.json");
  const json h = json::parse(hf);
  CHECK(h["summary"]["ok"].get<uint64_t>() > 100);
  CHECK(h["errors"].empty());
  CHECK(h["summary"]["connections_opened"] == 4);  // kept alive over TLS

  // The certificate is checked: not trusted without the CA file, unless verification is off.
  const auto untrusted = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.1:" + port +
                                     " --vus 1 -d 1s --no-progress");
  CHECK(untrusted.exit_code == 1);
  CHECK(contains(untrusted.output, "TLS: certificate verify failed"));
  const auto insecure = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.1:" + port +
                                    " --insecure-skip-tls-verify --vus 1 -d 1s --no-progress");
  CHECK(insecure.exit_code == 0);
  // A name the certificate does not hold is refused too.
  const auto wrong_name = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.2:" + port +
                                      trust + " --vus 1 -d 1s --no-progress");
  CHECK(wrong_name.exit_code == 1);
  // https to a plain HTTP port fails the handshake, counted as connect errors.
  SampleTarget plain(target_binary());
  const auto mismatch = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.1:" +
                                    std::to_string(plain.port) + trust + " --vus 1 -d 1s --no-progress");
  CHECK(mismatch.exit_code == 1);
  CHECK(contains(mismatch.output, "errors: connect"));
  CHECK(contains(mismatch.output, "TLS: "));
  const auto bad_ca = run_command(build_dir() + "/vigil bench run http_message --target https://127.0.0.1:" + port +
                                  " --tls-ca-file " + dir + "/missing.pem -d 1s --no-progress");
  CHECK(bad_ca.exit_code == 2);
  CHECK(contains(bad_ca.output, "tls_ca_file"));

  const auto wss = run_command(build_dir() + "/vigil bench run websocket --target wss://127.0.0.1:" + port + "/ws" +
                               trust + " --vus 50 --rate 100 -d 1s --no-progress --out " + dir + "/wss");
  INFO(wss.output);
  CHECK(wss.exit_code == 0);
  std::ifstream wf(dir + "/wss/report.json");
  const json w = json::parse(wf);
  CHECK(w["summary"]["max_connections_open"] == 50);
  CHECK(w["summary"]["ok"].get<uint64_t>() >= 80);
  CHECK(w["errors"].empty());
}

TEST_CASE("ops: the shipped prometheus.yml scrapes vigil and the sample service and loads the rule packs",
          "[integration]") {
  VIGIL_REQUIRE_TOOL(run_command("command -v prometheus").exit_code == 0, "Debian's prometheus");
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  write_file(dir + "/vigil.toml", "[agent]\nstate_dir = \"" + dir + "/state\"\n[http]\nlisten = \"127.0.0.1:0\"\n" +
                                      "api_token = \"t0ken\"\n[[collectors.prometheus_scrape]]\nurl = \"" +
                                      target.url() + "/metrics\"\n");
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  // The shipped file with this test's ports, paths and a 1 s interval.
  std::string cfg = read_file(source_dir() + "/configs/prometheus/prometheus.yml");
  auto replace_all = [&cfg](const std::string& from, const std::string& to) {
    size_t n = 0;
    for (size_t at = cfg.find(from); at != std::string::npos; at = cfg.find(from, at + to.size()), ++n)
      cfg.replace(at, from.size(), to);
    return n;
  };
  CHECK(replace_all("127.0.0.1:9479", "127.0.0.1:" + std::to_string(agent.port())) == 2);
  CHECK(replace_all("127.0.0.1:8080", "127.0.0.1:" + std::to_string(target.port)) == 1);
  CHECK(replace_all("../rules/*.yml", std::filesystem::absolute(source_dir()).string() + "/configs/rules/*.yml") == 1);
  CHECK(replace_all("/etc/prometheus/vigil-api-token", dir + "/token") == 1);
  CHECK(replace_all("interval: 15s", "interval: 1s") == 2);
  write_file(dir + "/token", "t0ken");
  write_file(dir + "/prometheus.yml", cfg);
  PrometheusServer prometheus(dir, dir + "/prometheus.yml", {"--storage.tsdb.retention.time=30d"});
  // Both jobs up, the packs' groups loaded and healthy, vigil's own series stored, vigil the
  // Alertmanager (Prometheus' discovery hands it to the notifier up to 5 s after the start).
  const auto port = prometheus.port();
  const std::string am_url = std::to_string(agent.port()) + "/api/v2/alerts";
  bool both_up = false;
  HttpReply am;
  for (int i = 0; i < 150 && !(both_up && contains(am.body, am_url)); ++i) {
    std::this_thread::sleep_for(200ms);
    const auto r = http_get(port, "/api/v1/query?query=sum(up)");
    both_up = r.status == 200 && contains(r.body, "\"2\"]");
    am = http_get(port, "/api/v1/alertmanagers");
  }
  const auto rules = http_get(port, "/api/v1/rules");
  const auto build = http_get(port, "/api/v1/query?query=vigil_build_info");
  prometheus.stop();
  INFO(prometheus.log().substr(0, 3000));
  CHECK(both_up);
  for (const char* group : {"\"name\":\"chat_service\"", "\"name\":\"vigil\""}) CHECK(contains(rules.body, group));
  CHECK_FALSE(contains(rules.body, "\"health\":\"err\""));
  CHECK(contains(build.body, "vigil_build_info"));
  CHECK(contains(am.body, am_url));
}

TEST_CASE("ops: every dashboard query is accepted by a real Prometheus and the core panels show data",
          "[integration]") {
  VIGIL_REQUIRE_TOOL(run_command("command -v prometheus").exit_code == 0, "Debian's prometheus");
  SampleTarget target(target_binary(), {"--error-rate", "0.1"});
  REQUIRE(target.port > 0);
  const auto dir = temp_dir();
  // vigil with the system collector, a scrape of the service and a scheduled probe driving it.
  write_file(dir + "/vigil.toml", "[agent]\ninterval = \"1s\"\nstate_dir = \"" + dir +
                                      "/state\"\n[http]\nlisten = \"127.0.0.1:0\"\n[[collectors.system]]\n"
                                      "[[collectors.prometheus_scrape]]\nurl = \"" +
                                      target.url() +
                                      "/metrics\"\n[[scenarios.http_message]]\nalias = \"probe\"\ntarget = \"" +
                                      target.url() + "\"\nvus = 2\nduration = \"1s\"\nschedule = \"2s\"\n");
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  write_file(dir + "/prometheus.yml",
             "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: vigil\n    static_configs:\n"
             "      - targets: [\"127.0.0.1:" +
                 std::to_string(agent.port()) +
                 "\"]\n  - job_name: chat_service\n    static_configs:\n      - targets: [\"127.0.0.1:" +
                 std::to_string(target.port) + "\"]\n");
  PrometheusServer prometheus(dir, dir + "/prometheus.yml");
  // Wait for a probe's result in Prometheus, then a few more scrapes for the rate windows.
  bool probed = false;
  for (int i = 0; i < 150 && !probed; ++i) {
    std::this_thread::sleep_for(200ms);
    const auto r = http_get(prometheus.port(), "/api/v1/query?query=vigil_scenario_last_run_success");
    probed = r.status == 200 && contains(r.body, "\"probe\"");
  }
  std::this_thread::sleep_for(4s);
  const auto checked = run_command("python3 " + source_dir() + "/tests/ops/check_dashboards.py --prometheus " +
                                   prometheus.url() + " " + source_dir() + "/configs/grafana/dashboards/*.json");
  prometheus.stop();
  INFO(checked.output);
  CHECK(probed);
  CHECK(checked.exit_code == 0);
  CHECK(contains(checked.output, "3 dashboards, 51 queries run, 0 problems"));
}

TEST_CASE("bench: scheduled runs are listed, served as JSON and HTML reports and compared over the API",
          "[integration]") {
  SampleTarget target(target_binary());
  REQUIRE(target.port > 0);
  const auto dir = temp_dir() + "/scheduled-api";
  std::filesystem::create_directories(dir);
  write_file(dir + "/vigil.toml", "[agent]\nstate_dir = \"" + dir + "/state\"\nplugin_dirs = [\"" + build_dir() +
                                      "/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\n"
                                      "[[scenarios.http_message]]\nalias = \"chat\"\ntarget = \"" +
                                      target.url() +
                                      "\"\nvus = 1\nduration = \"1s\"\nschedule = \"1s\"\n"
                                      "thresholds = [\"p99 < 5s\"]\n");
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  const auto port = agent.port();
  json runs;
  for (int i = 0; i < 100 && runs.size() < 2; ++i) {
    std::this_thread::sleep_for(200ms);
    runs = json::parse(http_get(port, "/api/v1/bench/runs").body)["data"]["runs"];
  }
  REQUIRE(runs.size() >= 2);
  // Newest first, each with its headline figures.
  CHECK(runs[0]["startedAt"].get<std::string>() > runs[1]["startedAt"].get<std::string>());
  CHECK(runs[0]["scenario"] == "chat");
  CHECK(runs[0]["rps"].get<double>() > 0);
  CHECK(runs[0]["passed"] == true);
  const std::string current = runs[0]["id"], baseline = runs[1]["id"];

  const auto report = http_get(port, "/api/v1/bench/runs/" + current);
  REQUIRE(report.status == 200);
  const json data = json::parse(report.body)["data"];
  CHECK(data["headline"]["id"] == current);
  CHECK(data.contains("latency"));

  const auto html = http_get(port, "/api/v1/bench/runs/" + current + "/report.html");
  REQUIRE(html.status == 200);
  CHECK(contains(html.headers, "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"));
  CHECK(contains(html.headers, "X-Frame-Options: SAMEORIGIN"));
  CHECK(contains(html.body, "<!doctype html>"));

  // A goal of +1000 % requests a second is missed; the table says so.
  const auto cmp =
      http_get(port, "/api/v1/bench/compare?baseline=" + baseline + "&current=" + current + "&goal=rps%3D%2B1000%25");
  REQUIRE(cmp.status == 200);
  const json c = json::parse(cmp.body)["data"];
  CHECK(c["passed"] == false);
  bool rps_row = false;
  for (const auto& row : c["rows"])
    if (row["metric"] == "rps") {
      rps_row = true;
      CHECK(row["goal"] == "+1000%");
      CHECK(row["passed"] == false);
    }
  CHECK(rps_row);

  // Names are file names, never paths; unknown runs are 404 with a hint.
  for (const char* bad : {"/api/v1/bench/runs/..%2F..%2Fetc/passwd", "/api/v1/bench/runs/chat/..",
                          "/api/v1/bench/runs/.hidden/x", "/api/v1/bench/runs/chat/nope"}) {
    const auto r = http_get(port, bad);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 404);
    CHECK(contains(r.body, "/api/v1/bench/runs lists the runs kept"));
  }
  CHECK(http_get(port, "/api/v1/bench/compare?baseline=" + baseline).status == 400);
}
