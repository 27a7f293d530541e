// End-to-end alerting: the real agent, rules on collected samples, notifications to a loopback
// webhook sink, the API with its token, and the durable outbox across kill -9.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/http_sink.hpp"
#include "../support/loopback.hpp"
#include "../support/prometheus_server.hpp"
#include "../support/redis_server.hpp"
#include "agent_process.h"
#include "../support/require_tool.hpp"

using namespace std::chrono_literals;
using namespace vigil::testing;
using nlohmann::json;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

HttpReply call(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
               const std::string& token = "t0ken") {
  return http_send(port, method, path, body, token);
}

// A config with one rule that fires on the no_op fixture and a webhook receiver.
std::string config(const std::string& dir, const std::string& hook_url, const std::string& extra = "",
                   const std::string& alerting_extra = "") {
  std::filesystem::create_directories(dir + "/rules");
  write_file(dir + "/rules/fixture.yml", R"(groups:
  - name: fixture
    interval: 200ms
    rules:
      - alert: FixtureHigh
        expr: fixture_value > 1
        labels:
          severity: critical
        annotations:
          summary: "value {{ $value }} on {{ $labels.source }}"
)");
  const std::string text =
      "[agent]\ninterval = \"200ms\"\ntimeout = \"150ms\"\nshutdown_timeout = \"2s\"\nstate_dir = \"" + dir +
      "/state\"\nplugin_dirs = [\"" + build_dir() +
      "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\napi_token = \"t0ken\"\nmetrics_snapshot = \"0s\"\n"
      "[rules]\nfiles = [\"rules/*.yml\"]\n"
      "[[collectors.no_op]]\nvalue = 3\n"
      "[[notifiers.webhook]]\nurl = \"" +
      hook_url +
      "\"\n"
      "[alerting]\nretry_initial_interval = \"200ms\"\nretry_max_interval = \"500ms\"\n" +
      alerting_extra +
      "external_url = \"http://vigil.test:9479\"\n"
      "[alerting.route]\nreceiver = \"hook\"\ngroup_by = [\"alertname\"]\ngroup_wait = \"500ms\"\n"
      "group_interval = \"1s\"\nrepeat_interval = \"1h\"\n"
      "[[alerting.receivers]]\nname = \"hook\"\nnotifiers = [\"webhook\"]\n" +
      extra;
  write_file(dir + "/vigil.toml", text);
  return dir + "/vigil.toml";
}

}  // namespace

TEST_CASE("alerting: rule alerts reach a webhook as Alertmanager JSON, with API, history and metrics",
          "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  const auto cfg = config(dir, sink.url());
  const auto check = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(check.exit_code == 0);
  CHECK(contains(check.output, "1 notifier(s), 1 receiver(s)"));
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(sink.wait_for(1));
  const auto first = sink.requests()[0];
  const json body = json::parse(first.body);
  CHECK(body["version"] == "4");
  CHECK(body["status"] == "firing");
  CHECK(body["receiver"] == "hook");
  CHECK(body["groupKey"] == "{}:{alertname=\"FixtureHigh\"}");
  CHECK(body["notification_reason"] == "first notification");
  CHECK(body["externalURL"] == "http://vigil.test:9479");
  REQUIRE(body["alerts"].size() == 1);
  CHECK(body["alerts"][0]["labels"]["severity"] == "critical");
  CHECK(body["alerts"][0]["annotations"]["summary"] == "value 3 on no_op");
  CHECK(body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z");
  CHECK(first.headers.count("idempotency-key") == 1);

  // The alert, with its receivers and fingerprint.
  const json alerts = json::parse(http_get(agent.port(), "/api/v1/alerts").body);
  REQUIRE(alerts["data"]["alerts"].size() == 1);
  const std::string fp = alerts["data"]["alerts"][0]["fingerprint"];
  CHECK(alerts["data"]["alerts"][0]["receivers"] == json{"hook"});

  // Mutations need the token; then a silence and an ack take effect.
  const std::string silence =
      R"({"matchers": ["alertname=FixtureHigh"], "duration": "1h", "createdBy": "ana", "comment": "known"})";
  CHECK(call(agent.port(), "POST", "/api/v1/silences", silence, "").status == 401);
  CHECK(call(agent.port(), "POST", "/api/v1/silences", silence, "wrong").status == 401);
  const auto bad = call(agent.port(), "POST", "/api/v1/silences", R"({"matchers": ["a=b"], "colour": 1})");
  CHECK(bad.status == 400);
  CHECK(contains(bad.body, "unknown field \\\"colour\\\""));
  const auto preview =
      call(agent.port(), "POST", "/api/v1/silences/preview", R"({"matchers": ["alertname=FixtureHigh"]})");
  CHECK(preview.status == 200);
  CHECK(contains(preview.body, fp));
  const auto created = call(agent.port(), "POST", "/api/v1/silences", silence);
  REQUIRE(created.status == 200);
  const std::string silence_id = json::parse(created.body)["data"]["silenceID"];
  CHECK(agent.wait_for("/api/v1/alerts", "\"state\":\"suppressed\"", 3s));
  const auto ack = call(agent.port(), "POST", "/api/v1/alerts/" + fp + "/ack",
                        R"({"author": "bo", "comment": "mine", "expiresIn": "2h"})");
  CHECK(ack.status == 200);
  CHECK(agent.wait_for("/api/v1/alerts", "\"author\":\"bo\"", 3s));
  CHECK(call(agent.port(), "DELETE", "/api/v1/silences/" + silence_id, "").status == 200);

  // Alerts posted in Alertmanager's format join the same pipeline.
  const auto posted =
      call(agent.port(), "POST", "/api/v2/alerts",
           R"([{"labels": {"alertname": "FromPrometheus", "job": "api"}, "annotations": {"summary": "x"}}])");
  CHECK(posted.status == 200);
  CHECK(sink.wait_for(2));
  CHECK(agent.wait_for("/api/v1/alerts", "FromPrometheus", 3s));
  CHECK(call(agent.port(), "POST", "/api/v2/alerts", R"([{"annotations": {}}])").status == 400);
  // Nothing half-applied: one bad alert refuses the whole post.
  const auto partial = call(agent.port(), "POST", "/api/v2/alerts",
                            R"([{"labels": {"alertname": "Partial"}}, {"labels": {"bad-name": "x"}}])");
  CHECK(partial.status == 400);
  CHECK(contains(partial.body, "no alert was taken"));
  CHECK_FALSE(contains(http_get(agent.port(), "/api/v1/alerts").body, "Partial"));

  // History and receivers.
  CHECK(agent.wait_for("/api/v1/history?alertname=FixtureHigh", "\"kind\":\"firing\"", 3s));
  for (const char* kind : {"\"kind\":\"silenced\"", "\"kind\":\"acknowledged\"", "\"kind\":\"unsilenced\""})
    CHECK(agent.wait_for("/api/v1/history?alertname=FixtureHigh", kind, 3s));
  CHECK(agent.wait_for("/api/v1/history?kind=notification", "\"outcome\":\"delivered\"", 3s));
  const auto receivers = http_get(agent.port(), "/api/v1/receivers").body;
  CHECK(contains(receivers, "\"name\":\"hook\""));
  CHECK(contains(receivers, "\"lastError\":\"\""));
  CHECK(agent.wait_for("/metrics",
                       "vigil_notifications_total{channel=\"webhook\",notifier=\"webhook\",receiver=\"hook\"} ", 3s));
  CHECK(agent.wait_for("/metrics", "vigil_outbox_pending 0", 3s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "vigil_notification_delivery_seconds_count"));
  CHECK(contains(m, "vigil_alerting_state_writable 1"));
  // A test notification through the receiver.
  CHECK(call(agent.port(), "POST", "/api/v1/receivers/hook/test", "").status == 200);
  CHECK(sink.wait_for(3));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("alerting: a notification survives the receiver being down and kill -9 of the agent", "[integration]") {
  HttpSink sink;
  sink.set_fallback(SinkReply{503, "down for maintenance", {}, {}});
  const auto dir = temp_dir();
  const auto cfg = config(dir, sink.url());
  std::string key;
  {
    AgentProcess agent(cfg);
    REQUIRE(agent.started());
    REQUIRE(sink.wait_for(2));  // first attempt and a retry, both refused
    key = sink.requests()[0].headers["idempotency-key"];
    CHECK(sink.requests()[1].headers["idempotency-key"] == key);
    CHECK(agent.wait_for("/api/v1/receivers", "down for maintenance", 3s));
    CHECK(agent.wait_for("/metrics", "vigil_outbox_pending 1", 3s));
    ::kill(agent.pid(), SIGKILL);
    agent.wait_exit(5s);
  }
  const size_t before = sink.requests().size();
  sink.set_fallback(SinkReply{});  // the receiver is back
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(sink.wait_for(before + 1));
  const auto after = sink.requests();
  bool delivered_same = false;
  for (size_t i = before; i < after.size(); ++i)
    delivered_same = delivered_same || after[i].headers.at("idempotency-key") == key;
  CHECK(delivered_same);  // the pending notification, not a new one
  CHECK(agent.wait_for("/metrics", "vigil_outbox_pending 0", 5s));
  // Nothing new to say: the group was notified before the crash.
  std::this_thread::sleep_for(1500ms);
  size_t firing_notes = 0;
  for (const auto& r : sink.requests()) firing_notes += contains(r.body, "\"status\":\"firing\"") ? 1 : 0;
  CHECK(firing_notes == sink.requests().size());
  CHECK(agent.wait_for("/api/v1/history?kind=notification", "\"outcome\":\"retry\"", 3s));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("alerting: a permanent failure becomes a dead letter, visible in the API and metrics", "[integration]") {
  HttpSink sink;
  sink.set_fallback(SinkReply{400, "invalid_payload", {}, {}});
  const auto dir = temp_dir();
  AgentProcess agent(config(dir, sink.url()));
  REQUIRE(agent.started());
  REQUIRE(sink.wait_for(1));
  CHECK(agent.wait_for("/metrics", "vigil_outbox_dead_letters 1", 3s));
  CHECK(agent.wait_for("/api/v1/receivers/hook/log?state=dead", "invalid_payload", 3s));
  CHECK(agent.wait_for("/api/v1/history?kind=notification", "\"outcome\":\"dead\"", 3s));
  std::this_thread::sleep_for(1s);
  CHECK(sink.requests().size() == 1);  // never retried
  const auto ready = http_get(agent.port(), "/readyz").body;
  CHECK(contains(ready, "\"alerting_state\""));
}

TEST_CASE("alerting: vigil alerts, silence and ack talk to the running agent", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  AgentProcess agent(config(dir, sink.url()));
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for("/api/v1/alerts", "FixtureHigh", 5s));
  const std::string vigil = build_dir() + "/vigil ";
  const std::string url = " --url http://127.0.0.1:" + std::to_string(agent.port());
  // The token from the environment or a private file, never from the command line (ps shows it).
  const std::string with_token = "VIGIL_API_TOKEN=t0ken " + vigil;
  const auto on_argv = run_command(vigil + "silence add alertname=FixtureHigh -c x --token t0ken" + url);
  CHECK(on_argv.exit_code == 2);
  CHECK(contains(on_argv.output, "use --token-file FILE (chmod 600) or set VIGIL_API_TOKEN"));
  write_file(dir + "/token", "t0ken\n");
  std::filesystem::permissions(dir + "/token", std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write |
                                                   std::filesystem::perms::others_read);
  const auto readable = run_command(vigil + "silence list --token-file " + dir + "/token" + url);
  CHECK(readable.exit_code == 2);
  CHECK(contains(readable.output, "can be read or written by others"));
  std::filesystem::permissions(dir + "/token", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::remove);
  const auto list = run_command(vigil + "alerts" + url);
  CHECK(list.exit_code == 0);
  CHECK(contains(list.output, "ALERTNAME"));
  CHECK(contains(list.output, "FixtureHigh"));
  const auto as_json = run_command(vigil + "alerts -o json -f 'severity=\"critical\"'" + url);
  REQUIRE(as_json.exit_code == 0);
  const std::string fp = json::parse(as_json.output)[0]["fingerprint"];

  const auto refused = run_command(vigil + "silence add alertname=FixtureHigh -c 'no token'" + url);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "HTTP 401"));
  const auto added = run_command(
      vigil + "silence add alertname=FixtureHigh -d 30m -a ana -c 'disk swap' --token-file " + dir + "/token" + url);
  REQUIRE(added.exit_code == 0);
  const std::string id = added.output.substr(0, added.output.find('\n'));
  const auto silences = run_command(vigil + "silence list" + url);
  CHECK(contains(silences.output, id));
  CHECK(contains(silences.output, "alertname=\"FixtureHigh\""));
  CHECK(contains(silences.output, "disk swap"));
  CHECK(run_command(with_token + "silence expire " + id + url).exit_code == 0);
  const auto acked = run_command(with_token + "ack " + fp + " -a bo -c looking -e 1h" + url);
  CHECK(acked.exit_code == 0);
  CHECK(contains(run_command(vigil + "alerts" + url).output, "acked by bo"));
  CHECK(run_command(with_token + "ack " + fp + " --remove" + url).exit_code == 0);
  CHECK(run_command(vigil + "alerts --url http://127.0.0.1:1").exit_code == 1);  // nothing listens there

  // The security dashboard's self-metrics: refusals by reason, changes by principal and action,
  // broad silences (one matching any alert at all).
  CHECK(
      run_command("VIGIL_API_TOKEN=wr0ng " + vigil + "silence add alertname=FixtureHigh -d 1h -c x" + url).exit_code ==
      1);
  const std::string two = R"([{"labels":{"alertname":"Extra","n":"1"}},{"labels":{"alertname":"Extra","n":"2"}}])";
  const auto posted = http_raw(agent.port(),
                               "POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
                               "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                   std::to_string(two.size()) + "\r\n\r\n" + two);
  CHECK(contains(posted, "HTTP/1.1 200"));
  const auto broad = run_command(with_token + "silence add alertname=Extra -d 1h -a cy -c 'two of three'" + url);
  INFO(broad.output);
  CHECK(broad.exit_code == 0);
  CHECK(agent.wait_for("/metrics", "vigil_silences_broad 1", 10s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "vigil_api_auth_failures_total{reason=\"missing\"} 1"));
  CHECK(contains(m, "vigil_api_auth_failures_total{reason=\"wrong\"} 1"));
  // Counted by the token used (api_token is "api"), whatever author the body named.
  CHECK(contains(m, "vigil_api_mutations_total{action=\"silence_create\",principal=\"token:api\"} 2"));
  CHECK(contains(m, "vigil_api_mutations_total{action=\"ack\",principal=\"token:api\"} 1"));
  CHECK(contains(m, "vigil_api_mutations_total{action=\"silence_expire\",principal=\"token:api\"} 1"));
  CHECK(contains(m, "vigil_api_mutations_total{action=\"alerts_post\",principal=\"token:api\"} 1"));
  CHECK(!contains(m, "principal=\"ana\""));
  CHECK(contains(m, "vigil_log_redactions_total "));
}

TEST_CASE("alerting: named tokens act within their scopes, and the audit names the token", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  write_file(dir + "/ops.token", "0ps-secret\n");
  std::filesystem::permissions(dir + "/ops.token",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string tokens =
      "[[http.tokens]]\nname = \"prometheus\"\ntoken = \"ingest-only\"\nscopes = [\"ingest\"]\n"
      "[[http.tokens]]\nname = \"ops\"\ntoken_file = \"" +
      dir + "/ops.token\"\nscopes = [\"read\", \"write\"]\n";
  const std::string path = config(dir, sink.url(), tokens);
  std::string text = read_file(path);
  text.replace(text.find("api_token = \"t0ken\""), 19, "read_requires_token = true");
  write_file(path, text);
  // What cannot work is refused before start: a shared secret, a token file others can read.
  {
    const std::string shared = dir + "/shared.toml";
    write_file(shared, text + "[[http.tokens]]\nname = \"copy\"\ntoken = \"ingest-only\"\nscopes = [\"read\"]\n");
    const auto r = run_command(build_dir() + "/vigil check --config " + shared);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, "[[http.tokens]] \"copy\" has the same token as \"prometheus\""));
    CHECK_FALSE(contains(r.output, "ingest-only"));
    std::filesystem::permissions(dir + "/ops.token", std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const auto readable = run_command(build_dir() + "/vigil check --config " + path);
    CHECK(readable.exit_code == 2);
    CHECK(contains(readable.output, "token_file"));
    CHECK(contains(readable.output, "can be read or written by others"));
    std::filesystem::permissions(dir + "/ops.token", std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::remove);
    CHECK(run_command(build_dir() + "/vigil check --config " + path).exit_code == 0);
  }
  AgentProcess agent(path);
  REQUIRE(agent.started());
  const int port = agent.port();
  const std::string alert = R"([{"labels":{"alertname":"Posted","n":"1"}}])";
  const std::string silence = R"({"matchers":[{"name":"alertname","value":"Posted","isRegex":false}],"duration":"1h",)"
                              R"("createdBy":"mallory","comment":"claims to be someone else"})";

  // ingest: may post alerts, nothing else.
  CHECK(call(port, "POST", "/api/v2/alerts", alert, "ingest-only").status == 200);
  const auto no_write = call(port, "POST", "/api/v1/silences", silence, "ingest-only");
  CHECK(no_write.status == 403);
  CHECK(json::parse(no_write.body).value("error", "") ==
        "the token \"prometheus\" lacks the scope \"write\" this call needs");
  CHECK(call(port, "GET", "/api/v1/alerts", "", "ingest-only").status == 403);
  // read + write (from a file): reads and changes, but not ingest.
  CHECK(call(port, "GET", "/api/v1/alerts", "", "0ps-secret").status == 200);
  CHECK(call(port, "POST", "/api/v2/alerts", alert, "0ps-secret").status == 403);
  CHECK(call(port, "POST", "/api/v1/silences", silence, "0ps-secret").status == 200);
  // Reads need a token here; a wrong one is refused like a missing one.
  CHECK(call(port, "GET", "/api/v1/alerts", "", "").status == 401);
  CHECK(call(port, "GET", "/api/v1/alerts", "", "t0ken").status == 401);
  CHECK(http_get(port, "/metrics").status == 200);  // /metrics is not the API

  const auto m = http_get(port, "/metrics").body;
  CHECK(contains(m, "vigil_api_mutations_total{action=\"alerts_post\",principal=\"token:prometheus\"} 1"));
  CHECK(contains(m, "vigil_api_mutations_total{action=\"silence_create\",principal=\"token:ops\"} 1"));
  CHECK(contains(m, "vigil_api_auth_failures_total{reason=\"scope\"} 3"));
  CHECK(!contains(m, "mallory"));
  const auto history = call(port, "GET", "/api/v1/history?kind=silence_created", "", "0ps-secret");
  CHECK(contains(history.body, "token:ops"));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("alerting: SIGHUP applies new receivers and templates", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  // The log notifier writes each title to vigil's log, where the test can see it.
  const auto with_log = [&](const std::string& receiver_extra) {
    const auto cfg = config(dir, sink.url(), receiver_extra);
    std::string text = read_file(cfg);
    const std::string from = "notifiers = [\"webhook\"]";
    text.replace(text.find(from), from.size(), "notifiers = [\"webhook\", \"log\"]");
    write_file(cfg, text + "\n[[notifiers.log]]\n");
    return cfg;
  };
  AgentProcess agent(with_log(""));
  REQUIRE(agent.started());
  REQUIRE(agent.wait_for_log("notification: [FIRING:1] FixtureHigh", 5s));
  with_log("title_template = \"NEW {{statusText}} {{reason}}\"\n");
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for_log("configuration reloaded", 5s));
  CHECK(call(agent.port(), "POST", "/api/v1/receivers/hook/test", "").status == 200);
  CHECK(agent.wait_for_log("notification: NEW FIRING:1 test notification", 5s));
  with_log("title_template = \"{{#unclosed}}\"\n");
  agent.signal(SIGHUP);
  CHECK(agent.wait_for_log("reload rejected", 5s));
}

TEST_CASE("alerting: an unwritable state directory is reported by readiness; alerts still flow", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  auto cfg = config(dir, sink.url());
  std::string text = read_file(cfg);
  text.replace(text.find("state_dir = \""), std::string("state_dir = \"" + dir + "/state\"").size(),
               "state_dir = \"/proc/vigil-no-such-dir\"");
  write_file(cfg, text);
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(sink.wait_for(1));  // delivered anyway
  const auto ready = http_get(agent.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(contains(ready.body, "state_dir"));
  CHECK(contains(ready.body, "kept in memory only"));
  CHECK(contains(http_get(agent.port(), "/metrics").body, "vigil_alerting_state_writable 0"));
}

TEST_CASE("alerting: alerting.db deleted while running is restored whole; one replaced is reported", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  const auto cfg = config(dir, sink.url());
  const std::string db = dir + "/state/alerting.db";
  std::string silence_id;
  {
    AgentProcess agent(cfg);
    REQUIRE(agent.started());
    REQUIRE(sink.wait_for(1));
    const auto created =
        call(agent.port(), "POST", "/api/v1/silences",
             R"({"matchers": ["alertname=Other"], "duration": "1h", "createdBy": "ana", "comment": "c"})");
    REQUIRE(created.status == 200);
    silence_id = json::parse(created.body)["data"]["silenceID"];
    std::filesystem::remove(db);  // an operator's rm, a cleanup job
    CHECK(agent.wait_for_log("the alerting database was deleted while open; restored", 5s));
    CHECK(std::filesystem::exists(db));
    CHECK(http_get(agent.port(), "/readyz").status == 200);
    // Written after the restore, kept too.
    CHECK(call(agent.port(), "POST", "/api/v1/silences",
               R"({"matchers": ["alertname=Later"], "duration": "1h", "createdBy": "bo", "comment": "c"})")
              .status == 200);
    agent.signal(SIGTERM);
    CHECK(agent.wait_exit(10s) == 0);
  }
  {
    AgentProcess agent(cfg);  // the restored file: silences and history from before and after
    REQUIRE(agent.started());
    const auto silences = http_get(agent.port(), "/api/v1/silences").body;
    CHECK(contains(silences, silence_id));
    INFO(silences);
    CHECK(contains(silences, "Later"));
    CHECK(contains(http_get(agent.port(), "/api/v1/history?kind=firing").body, "FixtureHigh"));
    // Replaced by another file while open: not ready, with what to do.
    write_file(db + ".other", "not the agent's database");
    std::filesystem::rename(db + ".other", db);
    CHECK(agent.wait_for("/readyz", "was replaced by another file while vigil had it open", 5s));
    CHECK(http_get(agent.port(), "/readyz").status == 503);
  }
}

TEST_CASE("alerting: when writes fail (a full disk), readiness is 503 and stays so", "[integration][hostile]") {
  HttpSink sink;
  const auto dir = temp_dir();
  auto cfg = config(dir, sink.url());
  {
    std::string t = read_file(cfg);
    t.replace(t.find("api_token = \"t0ken\""), 19, "api_token = \"t0ken\"\nmax_body_size = \"16MiB\"");
    write_file(cfg, t);
  }
  // The agent's files may not grow past 2 MiB: past that, every write fails as on a full disk.
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 2u << 20;
  setrlimit(RLIMIT_FSIZE, &small);
  AgentProcess agent(cfg);
  setrlimit(RLIMIT_FSIZE, &saved);
  REQUIRE(agent.started());
  const bool ready_before = agent.wait_for("/readyz", "\"ready\": true", 5s);
  INFO(http_get(agent.port(), "/readyz").body);
  REQUIRE(ready_before);
  // Alerts with large annotations until the database cannot grow.
  const std::string pad(3000, 'x');
  bool full = false;
  for (int b = 0; b < 60 && !full; ++b) {
    std::string body = "[";
    for (int i = 0; i < 200; ++i)
      body += std::string(i ? "," : "") + R"({"labels":{"alertname":"Big","i":")" + std::to_string(b * 200 + i) +
              R"("},"annotations":{"pad":")" + pad + "\"}}";
    body += "]";
    (void)call(agent.port(), "POST", "/api/v2/alerts", body);
    full = http_get(agent.port(), "/readyz").status == 503;
  }
  for (int i = 0; i < 30 && !full; ++i) {
    std::this_thread::sleep_for(200ms);
    full = http_get(agent.port(), "/readyz").status == 503;
  }
  REQUIRE(full);
  // Stable: 40 samples over 4 s, every one 503 with the reason.
  int ready = 0;
  std::string body;
  for (int i = 0; i < 40; ++i) {
    const auto r = http_get(agent.port(), "/readyz");
    if (r.status != 503) ++ready;
    body = r.body;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(ready == 0);
  INFO(body);
  // The failing check names the database (EFBIG reads as "disk I/O error", ENOSPC as "full").
  CHECK(contains(body, "state/alerting.db"));
  CHECK(contains(http_get(agent.port(), "/metrics").body, "vigil_alerting_state_writable 0"));
}

TEST_CASE("alerting: a flood of 10,000 alerts is batched into group messages, nothing lost", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  auto cfg = config(dir, sink.url());
  write_file(cfg, [&] {
    std::string t = read_file(cfg);
    t.replace(t.find("api_token = \"t0ken\""), 19, "api_token = \"t0ken\"\nmax_body_size = \"16MiB\"");
    return t;
  }());
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(sink.wait_for(1));  // the fixture rule's own notification
  const size_t before = sink.requests().size();
  for (int batch = 0; batch < 10; ++batch) {
    json alerts = json::array();
    for (int i = batch * 1000; i < (batch + 1) * 1000; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "Flood%03d", i % 100);
      alerts.push_back({{"labels", {{"alertname", name}, {"instance", "host-" + std::to_string(i)}}}});
    }
    REQUIRE(call(agent.port(), "POST", "/api/v2/alerts", alerts.dump()).status == 200);
  }
  // Every group arrives with all of its 100 alerts, in about one request per group.
  std::map<std::string, size_t> per_group;
  for (int wait = 0; wait < 300; ++wait) {
    per_group.clear();
    const auto reqs = sink.requests();
    for (size_t i = before; i < reqs.size(); ++i) {
      const json b = json::parse(reqs[i].body);
      const std::string name = b["groupLabels"].value("alertname", "");
      if (name.rfind("Flood", 0) == 0) per_group[name] = std::max(per_group[name], b["alerts"].size());
    }
    size_t full = 0;
    for (const auto& [name, n] : per_group) full += n == 100 ? 1 : 0;
    if (full == 100) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(per_group.size() == 100);
  size_t total = 0;
  for (const auto& [name, n] : per_group) total += n;
  CHECK(total == 10000);
  CHECK(sink.requests().size() - before <= 200);  // batched: not one request per alert
  CHECK(agent.wait_for("/metrics", "vigil_outbox_pending 0", 10s));
}

TEST_CASE("alerting: a real Prometheus server uses vigil as its Alertmanager", "[integration]") {
  VIGIL_REQUIRE_TOOL(run_command("command -v prometheus").exit_code == 0, "Debian's prometheus");
  HttpSink sink;
  const auto dir = temp_dir();
  AgentProcess agent(config(dir, sink.url()));
  REQUIRE(agent.started());
  write_file(dir + "/prom-rules.yml",
             "groups:\n  - name: p\n    interval: 1s\n    rules:\n      - alert: FromRealPrometheus\n"
             "        expr: vector(1)\n        labels:\n          severity: warning\n");
  write_file(dir + "/prometheus.yml", "global:\n  evaluation_interval: 1s\nrule_files: [\"" + dir +
                                          "/prom-rules.yml\"]\nalerting:\n  alertmanagers:\n    - api_version: v2\n"
                                          "      authorization:\n        credentials: t0ken\n"
                                          "      static_configs:\n        - targets: [\"127.0.0.1:" +
                                          std::to_string(agent.port()) + "\"]\n");
  // Alerts are re-sent every second: the first ones go out before Prometheus has found its
  // Alertmanagers and would otherwise wait the default minute.
  PrometheusServer prometheus(dir, dir + "/prometheus.yml", {"--rules.alert.resend-delay=1s"});
  const bool arrived = agent.wait_for("/api/v1/alerts", "FromRealPrometheus", 30s);
  prometheus.stop();
  INFO(prometheus.log().substr(0, 2000));
  REQUIRE(arrived);
  CHECK(sink.wait_for(2));  // the fixture rule's notification and Prometheus' alert's
  bool from_prometheus = false;
  for (const auto& r : sink.requests()) from_prometheus = from_prometheus || contains(r.body, "FromRealPrometheus");
  CHECK(from_prometheus);
}

TEST_CASE("alerting: two replicas on one Redis send each notification once", "[integration]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(free_port());
  HttpSink sink;
  const std::string shared = "[[caches.redis]]\nurl = \"redis://127.0.0.1:" + std::to_string(redis.port) +
                             "/0\"\n[cache]\nbackend = \"redis\"\n";
  const auto dir_a = temp_dir() + "/a", dir_b = temp_dir() + "/b";
  const auto cfg_a = config(dir_a, sink.url(), shared, "replica_dedup = true\n");
  const auto cfg_b = config(dir_b, sink.url(), shared, "replica_dedup = true\n");
  CHECK(run_command(build_dir() + "/vigil check --config " + cfg_a).exit_code == 0);
  AgentProcess a(cfg_a), b(cfg_b);
  REQUIRE(a.started());
  REQUIRE(b.started());
  // Both evaluate the rule and both produce the notification; one delivers it.
  REQUIRE(sink.wait_for(1));
  std::this_thread::sleep_for(3s);
  CHECK(sink.requests().size() == 1);
  auto peer_count = [](AgentProcess& p) {
    const auto m = http_get(p.port(), "/metrics").body;
    const std::string needle =
        "vigil_notifications_sent_by_peer_total{channel=\"webhook\",notifier=\"webhook\",receiver=\"hook\"} ";
    const auto at = m.find(needle);
    return at == std::string::npos ? -1 : std::atoi(m.c_str() + at + needle.size());
  };
  const int pa = peer_count(a), pb = peer_count(b);
  CHECK(pa + pb == 1);  // the other one saw it sent
  AgentProcess& quiet = pa == 1 ? a : b;
  const json history = json::parse(http_get(quiet.port(), "/api/v1/history?kind=notification").body);
  CHECK(contains(history.dump(), "sent by peer"));

  // Without the shared store, a replica still sends (a duplicate is better than silence).
  redis.stop();
  write_file(dir_a + "/rules/more.yml",
             "groups:\n  - name: more\n    interval: 200ms\n    rules:\n      - alert: FixtureLow\n"
             "        expr: fixture_value > 0\n");
  a.signal(SIGHUP);
  CHECK(a.wait_for_log("store shared with other replicas is unreachable", 10s));
  CHECK(sink.wait_for(2));
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == 0);
  CHECK(b.wait_exit(5s) == 0);
}

TEST_CASE("alerting: replica_dedup without a shared cache is refused", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir() + "/local";
  const auto cfg = config(dir, sink.url(), "[[caches.memory]]\n", "replica_dedup = true\n");
  const auto r = run_command(build_dir() + "/vigil check --config " + cfg);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.output, "replica_dedup = true needs a cache shared by the replicas"));
  CHECK(contains(r.output, "\"memory\", which lives in this process only"));
}

TEST_CASE("console: /ui/ serves compiled-in pages under a strict CSP; alerts reach it as data, never as markup",
          "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  AgentProcess agent(config(dir, sink.url()));
  REQUIRE(agent.started());
  const auto port = agent.port();

  const auto page = http_get(port, "/ui/");
  REQUIRE(page.status == 200);
  CHECK(contains(page.headers, "Content-Type: text/html; charset=utf-8"));
  CHECK(contains(page.headers, "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"));
  CHECK(contains(page.headers, "X-Content-Type-Options: nosniff"));
  CHECK(contains(page.headers, "X-Frame-Options: DENY"));
  // No inline script or style: every <script> has a src, no style attributes or elements.
  size_t scripts = 0, with_src = 0;
  for (size_t at = page.body.find("<script"); at != std::string::npos; at = page.body.find("<script", at + 1)) {
    ++scripts;
    if (page.body.compare(at, 13, "<script src=\"") == 0) ++with_src;
  }
  CHECK(scripts == 1);
  CHECK(with_src == scripts);
  CHECK_FALSE(contains(page.body, "style="));
  CHECK_FALSE(contains(page.body, "<style"));
  CHECK_FALSE(contains(page.body, "http://"));  // nothing from another origin
  CHECK_FALSE(contains(page.body, "https://"));

  const auto js = http_get(port, "/ui/console.js");
  REQUIRE(js.status == 200);
  CHECK(contains(js.headers, "Content-Type: text/javascript"));
  CHECK(contains(js.headers, "Content-Security-Policy:"));
  // Labels and annotations are set as text: the script has no way to parse markup.
  for (const char* sink_api : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("})
    CHECK_FALSE(contains(js.body, sink_api));
  CHECK(contains(js.body, "textContent"));
  CHECK(http_get(port, "/ui/console.css").status == 200);
  const auto redirect = http_get(port, "/ui");
  CHECK(redirect.status == 301);
  CHECK(contains(redirect.headers, "Location: /ui/"));
  CHECK(http_get(port, "/ui/missing.js").status == 404);

  // What the page reads: groups with an annotation holding markup, kept as text in the JSON.
  const std::string body = R"([{"labels":{"alertname":"Xss","severity":"warning"},)"
                           R"("annotations":{"summary":"<script>alert(1)</script>"}}])";
  const auto posted = http_raw(port,
                               "POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
                               "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(contains(posted, "HTTP/1.1 200"));
  REQUIRE(agent.wait_for("/api/v1/alerts/groups", "Xss", 10s));
  CHECK(contains(http_get(port, "/api/v1/alerts/groups").body, "\"summary\":\"<script>alert(1)</script>\""));
}

TEST_CASE("console API: groups filtered and paged on the server, acknowledgements, and the agent's status",
          "[integration]") {
  using nlohmann::json;
  HttpSink sink;
  const auto dir = temp_dir() + "/console-api";
  const auto cfg = config(dir, sink.url());
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  const auto port = agent.port();
  auto post = [port](const std::string& path, const std::string& body) {
    return http_raw(port, "POST " + path +
                              " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
                              "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  json alerts = json::array();
  for (int i = 0; i < 30; ++i)
    alerts.push_back({{"labels",
                       {{"alertname", "Load" + std::to_string(i % 3)},
                        {"instance", "host-" + std::to_string(i)},
                        {"severity", i % 2 ? "warning" : "critical"}}}});
  REQUIRE(contains(post("/api/v2/alerts", alerts.dump()), "HTTP/1.1 200"));
  auto groups = [port](const std::string& query) {
    const auto r = http_get(port, "/api/v1/alerts/groups?filter=alertname%3D~%22Load.%2A%22&" + query);
    INFO(query << " -> " << r.body.substr(0, 400));
    REQUIRE(r.status == 200);
    return json::parse(r.body)["data"];
  };
  json all;
  for (int i = 0; i < 50; ++i) {
    all = groups("");
    if (all["totals"]["alerts"] == 30) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(all["totals"]["alerts"] == 30);
  CHECK(all["totalGroups"] == 3);

  // Paging by group, a cap of alerts per group with the rest counted, one group shown whole.
  const json page1 = groups("limit=2"), page2 = groups("limit=2&offset=2");
  CHECK(page1["groups"].size() == 2);
  CHECK(page2["groups"].size() == 1);
  CHECK(page1["totalGroups"] == 3);
  const json capped = groups("alerts_per_group=4");
  for (const auto& g : capped["groups"]) {
    CHECK(g["alerts"].size() == 4);
    CHECK(g["alertsOmitted"] == 6);
    CHECK(g["counts"]["alerts"] == 10);
  }
  const std::string key = capped["groups"][0]["groupKey"];
  std::string encoded;
  for (unsigned char ch : key) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%%%02X", ch);
    encoded += std::isalnum(ch) ? std::string(1, static_cast<char>(ch)) : std::string(hex);
  }
  const json expanded = groups("alerts_per_group=4&expand=" + encoded);
  for (const auto& g : expanded["groups"]) CHECK(g["alerts"].size() == (g["groupKey"] == key ? 10u : 4u));
  const json one_group = groups("group=" + encoded);
  REQUIRE(one_group["groups"].size() == 1);
  CHECK(one_group["groups"][0]["groupKey"] == key);

  // Grouped by a label instead of by route: one group per value.
  const json by_severity = groups("group_by=severity");
  REQUIRE(by_severity["groups"].size() == 2);
  for (const auto& g : by_severity["groups"]) {
    CHECK(g["counts"]["alerts"] == 15);
    CHECK(g["labels"].contains("severity"));
  }

  // Label matchers and states narrow on the server; an unknown state is refused with the list.
  CHECK(groups("filter=severity%3D%22critical%22")["totals"]["alerts"] == 15);
  const std::string fp = all["groups"][0]["alerts"][0]["fingerprint"];
  CHECK(groups("fingerprint=" + fp)["totals"]["alerts"] == 1);
  REQUIRE(contains(post("/api/v1/alerts/" + fp + "/ack", R"({"author":"ada","comment":"on it"})"), "HTTP/1.1 200"));
  CHECK(groups("state=acked")["totals"]["alerts"] == 1);
  CHECK(groups("state=unacked&state=active")["totals"]["alerts"] == 29);
  CHECK(groups("state=silenced")["totals"]["alerts"] == 0);
  const auto bad = http_get(port, "/api/v1/alerts/groups?state=sleeping");
  CHECK(bad.status == 400);
  CHECK(contains(bad.body, "unknown state \\\"sleeping\\\""));

  // Path parameters are percent-decoded: a receiver's name may need encoding in a URL.
  CHECK(http_get(port, "/api/v1/receivers/ho%6Bk/log").status == 200);
  CHECK(http_get(port, "/api/v1/receivers/no%20such/log").body.find("notifications") != std::string::npos);

  const json acks = json::parse(http_get(port, "/api/v1/acks").body)["data"]["acks"];
  REQUIRE(acks.size() == 1);
  CHECK(acks[0]["author"] == "ada");
  CHECK(acks[0]["fingerprints"][0] == fp);

  // The status document: host ABI, plugins loaded, collectors, store; then a rejected reload.
  REQUIRE(agent.wait_for("/api/v1/status", "\"healthy\":true", 10s));
  const json status = json::parse(http_get(port, "/api/v1/status").body)["data"];
  CHECK(status["hostAbi"].get<std::string>().find('.') != std::string::npos);
  bool no_op = false;
  for (const auto& p : status["plugins"]) no_op = no_op || p["name"] == "no_op";
  CHECK(no_op);
  CHECK(status["collectors"][0]["plugin"] == "no_op");
  CHECK(status["alertingStore"]["ok"] == true);
  CHECK(status["lastReload"].is_null());
  write_file(cfg, read_file(cfg) + "\n[agent]\nbogus = 1\n");
  agent.signal(SIGHUP);
  REQUIRE(agent.wait_for("/api/v1/status", "\"applied\":false", 10s));
  const json after = json::parse(http_get(port, "/api/v1/status").body)["data"];
  REQUIRE(after["lastReload"]["problems"].size() >= 1);
}

TEST_CASE("api: with read_requires_token every read of the JSON API needs the token; the console's files do not",
          "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir() + "/reads-need-token";
  const auto cfg = config(dir, sink.url());
  std::string text = read_file(cfg);
  text.replace(text.find("api_token = \"t0ken\"\n"), 20, "api_token = \"t0ken\"\nread_requires_token = true\n");
  write_file(cfg, text);
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  const auto port = agent.port();
  auto get = [port](const std::string& path, const std::string& token) {
    return http_raw(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n" +
                              (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") +
                              "Connection: close\r\n\r\n");
  };
  for (const char* path : {"/api/v1/rules", "/api/v1/alerts", "/api/v1/alerts/groups", "/api/v1/silences",
                           "/api/v1/acks", "/api/v1/history", "/api/v1/receivers", "/api/v1/status",
                           "/api/v1/bench/runs", "/api/v1/bench/compare?baseline=a/b&current=a/c"}) {
    INFO(path);
    const auto without = get(path, "");
    CHECK(contains(without, "HTTP/1.1 401"));
    CHECK(contains(without, "this call needs a bearer token"));
    CHECK(contains(get(path, "wrong"), "HTTP/1.1 401"));
    const auto with = get(path, "t0ken");
    CHECK((contains(with, "HTTP/1.1 200") || contains(with, "HTTP/1.1 404")));  // compare: no such runs
  }
  CHECK(http_get(port, "/ui/").status == 200);
  CHECK(http_get(port, "/metrics").status == 200);
  CHECK(http_get(port, "/healthz").status == 200);
}

TEST_CASE("alerting: posted alerts over a limit are refused whole, said why and counted", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  const auto cfg = config(dir, sink.url(), "",
                          "alert_limit = 3\nalerts_per_request_limit = 50\nlabel_limit = 20\n"
                          "label_value_length_limit = 100\nannotations_size_limit = 200\n");
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  auto alert = [](const std::string& name, const std::string& extra = "") {
    return "{\"labels\":{\"alertname\":\"" + name + "\"" + extra + "}}";
  };
  std::string many_labels;
  for (int i = 0; i < 70; ++i) many_labels += ",\"l" + std::to_string(i) + "\":\"v\"";
  const auto labels = call(agent.port(), "POST", "/api/v2/alerts", "[" + alert("Wide", many_labels) + "]");
  CHECK(labels.status == 400);
  CHECK(contains(labels.body, "alert 0: 71 labels (the limit is 20, [alerting] label_limit)"));
  const auto value = call(agent.port(), "POST", "/api/v2/alerts",
                          "[" + alert("Long", ",\"x\":\"" + std::string(101, 'v') + "\"") + "]");
  CHECK(value.status == 400);
  CHECK(contains(value.body, "has a value of 101 bytes"));
  const auto notes = call(agent.port(), "POST", "/api/v2/alerts",
                          R"([{"labels":{"alertname":"N"},"annotations":{"d":")" + std::string(300, 'x') + "\"}}]");
  CHECK(notes.status == 400);
  CHECK(contains(notes.body, "annotations_size_limit"));
  std::string batch = "[";
  for (int i = 0; i < 51; ++i) batch += (i ? "," : "") + alert("B" + std::to_string(i));
  const auto big = call(agent.port(), "POST", "/api/v2/alerts", batch + "]");
  CHECK(big.status == 400);
  CHECK(contains(big.body, "51 alerts in one request"));
  CHECK(call(agent.port(), "POST", "/api/v2/alerts", R"([{"labels":{"a":"b"},"generatorURL":7}])").status == 400);
  // The rule's own alert is held too; two posted ones fill alert_limit = 3, a third is refused.
  REQUIRE(agent.wait_for("/api/v1/alerts", "FixtureHigh", 10s));
  CHECK(call(agent.port(), "POST", "/api/v2/alerts", "[" + alert("P1") + "," + alert("P2") + "]").status == 200);
  const auto full = call(agent.port(), "POST", "/api/v2/alerts", "[" + alert("P3") + "]");
  CHECK(full.status == 429);
  CHECK(contains(full.body, "vigil would hold 4 alerts (the limit is 3, [alerting] alert_limit)"));
  CHECK(call(agent.port(), "POST", "/api/v2/alerts", "[" + alert("P1") + "]").status == 200);  // held: an update
  // Published with the next tick of the alerting engine.
  CHECK(agent.wait_for("/metrics", "vigil_alerts_rejected_total{reason=\"alert_limit\"} 1", 5s));
  const auto m = http_get(agent.port(), "/metrics").body;
  CHECK(contains(m, "vigil_alerts_rejected_total{reason=\"label_limit\"} 1"));
  CHECK(contains(m, "vigil_alerts_rejected_total{reason=\"label_value_length\"} 1"));
  CHECK(contains(m, "vigil_alerts_rejected_total{reason=\"annotations_size\"} 1"));
  CHECK(contains(m, "vigil_alerts_rejected_total{reason=\"alerts_per_request\"} 51"));
  CHECK(contains(m, "vigil_alerts_rejected_total{reason=\"alert_limit\"} 1"));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("alerting: a receiver without notifiers gets every notifier, as documented", "[integration]") {
  HttpSink sink;
  const auto dir = temp_dir();
  auto cfg = config(dir, sink.url());
  // The same config with the receiver's notifiers key left out.
  std::string text;
  {
    std::ifstream in(cfg);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string key = "notifiers = [\"webhook\"]\n";
  REQUIRE(text.find(key) != std::string::npos);
  text.erase(text.find(key), key.size());
  write_file(cfg, text);
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  CHECK(sink.wait_for(1));
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
}

TEST_CASE("secrets never leave the process: canaries in every secret key, every delivery failing", "[integration]") {
  // A lying peer: it refuses everything and echoes what it was sent, secrets included.
  HttpSink peer;
  const std::string slack = "/services/T000CANARY/B000/CANARYSLACKSECRET";
  const std::string echo = "bad request to " + slack + " /cgi-bin/webhook/send?key=CANARYWECOMKEY" +
                           " /hook/CANARYWEBHOOKPATH Bearer CANARYBEARERTOKEN CANARYSCRAPEBEARER";
  peer.set_fallback(SinkReply{400, echo, {}, {}});
  const auto dir = temp_dir();
  std::filesystem::create_directories(dir + "/state");
  const std::string cfg_text =
      "[agent]\ninterval = \"200ms\"\ntimeout = \"150ms\"\nshutdown_timeout = \"2s\"\nstate_dir = \"" + dir +
      "/state\"\n[http]\nlisten = \"127.0.0.1:0\"\napi_token = \"CANARYAPITOKEN\"\nmetrics_snapshot = \"0s\"\n"
      "[[collectors.prometheus_scrape]]\nurl = \"" +
      peer.url("/metrics") +
      "\"\nheaders = { Authorization = \"Bearer CANARYSCRAPEBEARER\" }\n"
      "[[collectors.redis_info]]\nurl = \"redis://:CANARYREDISPASSWORD@127.0.0.1:1/0\"\n"
      "[[notifiers.slack]]\nurl = \"" +
      peer.url(slack) + "\"\n[[notifiers.wecom]]\nurl = \"" + peer.url("/cgi-bin/webhook/send?key=CANARYWECOMKEY") +
      "\"\n[[notifiers.webhook]]\nurl = \"" + peer.url("/hook/CANARYWEBHOOKPATH") +
      "\"\nhmac_secret = \"CANARYHMACSECRET\"\nheaders = { Authorization = \"Bearer CANARYBEARERTOKEN\" }\n"
      "[[notifiers.email]]\nsmtp_url = \"smtps://ops:CANARYSMTPURLPASSWORD@127.0.0.1:1\"\nfrom = \"a@b.c\"\n"
      "to = [\"d@e.f\"]\nusername = \"ops\"\npassword = \"CANARYSMTPPASSWORD\"\ntimeout = \"1s\"\n"
      "[alerting]\nretry_initial_interval = \"100ms\"\nretry_max_interval = \"200ms\"\nretry_max_age = \"2s\"\n"
      "[alerting.route]\nreceiver = \"all\"\ngroup_wait = \"100ms\"\n[[alerting.receivers]]\nname = \"all\"\n";
  const auto cfg = dir + "/vigil.toml";
  write_file(cfg, cfg_text);
  const auto check = run_command(build_dir() + "/vigil check --config " + cfg);
  INFO(check.output);
  REQUIRE(check.exit_code == 0);
  AgentProcess agent(cfg);
  REQUIRE(agent.started());
  REQUIRE(
      call(agent.port(), "POST", "/api/v2/alerts", R"([{"labels":{"alertname":"Canary"}}])", "CANARYAPITOKEN").status ==
      200);
  // Every notifier fails (permanently or until retry_max_age), and the collectors fail too.
  CHECK(agent.wait_for("/metrics", "vigil_notifications_dead_lettered_total{channel=\"email\"", 20s));
  CHECK(agent.wait_for("/api/v1/history", "dead", 20s));
  std::string everything = agent.log() + check.output;
  for (const char* path : {"/api/v1/acks", "/api/v1/alerts", "/api/v1/alerts/groups", "/api/v1/history",
                           "/api/v1/receivers", "/api/v1/receivers/all/log", "/api/v1/rules", "/api/v1/silences",
                           "/api/v1/status", "/api/v1/bench/runs", "/healthz", "/metrics", "/readyz"})
    everything += http_send(agent.port(), "GET", path, "", "CANARYAPITOKEN").body;
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(5s) == 0);
  everything += agent.log();
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/state")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    everything.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The failures were recorded (so the surfaces had something to leak), and no canary is in them.
  CHECK(contains(everything, "HTTP 400"));
  CHECK(contains(everything, "[secret]"));
  const auto at = everything.find("CANARY");
  INFO((at == std::string::npos ? std::string() : everything.substr(at > 200 ? at - 200 : 0, 400)));
  CHECK(at == std::string::npos);
}
