// End-to-end alerting: the real agent, rules on collected samples, notifications to a loopback
// webhook sink, the API with its token, and the durable outbox across kill -9.
#include <signal.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/http_sink.hpp"
#include "agent_process.h"

using namespace std::chrono_literals;
using namespace vigil::testing;
using nlohmann::json;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

HttpReply call(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
               const std::string& token = "t0ken") {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string raw = http_raw(port, req);
  HttpReply r;
  if (raw.rfind("HTTP/1.1 ", 0) != 0) return r;
  r.status = std::stoi(raw.substr(9, 3));
  const auto split = raw.find("\r\n\r\n");
  r.headers = raw.substr(0, split);
  r.body = split == std::string::npos ? "" : raw.substr(split + 4);
  return r;
}

// A config with one rule that fires on the no_op fixture and a webhook receiver.
std::string config(const std::string& dir, const std::string& hook_url, const std::string& extra = "") {
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
      "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\napi_token = \"t0ken\"\n"
      "[rules]\nfiles = [\"rules/*.yml\"]\n"
      "[[collectors.no_op]]\nvalue = 3\n"
      "[[notifiers.webhook]]\nurl = \"" +
      hook_url +
      "\"\n"
      "[alerting]\nretry_initial_interval = \"200ms\"\nretry_max_interval = \"500ms\"\n"
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
