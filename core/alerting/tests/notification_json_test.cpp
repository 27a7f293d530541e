#include "alerting/notification_json.h"

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

using namespace vigil::alerting;
using namespace std::chrono_literals;

namespace {
const Time t0 = Time(std::chrono::seconds(1795392000));

Notification sample() {
  Notification n;
  n.receiver = "team-db";
  n.group_key = "{}/{team=\"db\"}:{alertname=\"InstanceDown\"}";
  n.group_labels = {{"alertname", "InstanceDown"}};
  n.reason = "first notification";
  n.external_url = "http://vigil:9479";
  n.sequence = 3;
  n.idempotency_key = "0123456789abcdef-3";
  n.created_at = t0;
  NotifiedAlert a;
  a.alert.labels = {{"alertname", "InstanceDown"}, {"instance", "db1:9100"}, {"job", "node"}, {"severity", "critical"}};
  a.alert.annotations = {{"summary", "Instance db1:9100 down"}};
  a.alert.starts_at = t0 + 123ms;
  a.alert.ends_at = t0 + 4min;
  a.alert.generator_url = "http://vigil:9479/api/v1/rules";
  NotifiedAlert b = a;
  b.alert.labels[1].second = "db2:9100";
  b.firing = false;
  b.alert.ends_at = t0 + 2min;
  b.silenced_by = {"s-1"};
  n.alerts = {a, b};
  n.common_labels = {{"alertname", "InstanceDown"}, {"job", "node"}, {"severity", "critical"}};
  n.common_annotations = {};
  return n;
}
}  // namespace

TEST_CASE("RFC 3339 times as Go prints them", "[alerting]") {
  CHECK(rfc3339(Time{}) == "0001-01-01T00:00:00Z");
  CHECK(rfc3339(t0) == "2026-11-23T00:00:00Z");
  CHECK(rfc3339(t0 + 120ms) == "2026-11-23T00:00:00.12Z");
  CHECK(parse_rfc3339("2026-11-23T00:00:00.12Z").value() == t0 + 120ms);
  CHECK(parse_rfc3339("2026-11-23T01:00:00+01:00").value() == t0);
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z").value() == Time{});
  CHECK(parse_rfc3339("yesterday").message().find("not an RFC 3339 time") != std::string::npos);
}

TEST_CASE("the webhook body is Alertmanager's v4 JSON", "[alerting]") {
  const auto body = nlohmann::ordered_json::parse(webhook_v4_body(sample()));
  CHECK(body["version"] == "4");
  CHECK(body["status"] == "firing");
  CHECK(body["receiver"] == "team-db");
  CHECK(body["groupKey"] == "{}/{team=\"db\"}:{alertname=\"InstanceDown\"}");
  CHECK(body["truncatedAlerts"] == 0);
  CHECK(body["externalURL"] == "http://vigil:9479");
  CHECK(body["notification_reason"] == "first notification");
  CHECK(body["groupLabels"] == nlohmann::ordered_json{{"alertname", "InstanceDown"}});
  REQUIRE(body["alerts"].size() == 2);
  const auto& a = body["alerts"][0];
  CHECK(a["status"] == "firing");
  CHECK(a["endsAt"] == "0001-01-01T00:00:00Z");  // firing alerts carry the zero time
  CHECK(a["startsAt"] == "2026-11-23T00:00:00.123Z");
  CHECK(a["fingerprint"].get<std::string>().size() == 16);
  CHECK(body["alerts"][1]["status"] == "resolved");
  CHECK(body["alerts"][1]["endsAt"] == "2026-11-23T00:02:00Z");
  // The exact key set of Alertmanager's message and alerts.
  std::vector<std::string> keys;
  for (const auto& [k, v] : body.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"receiver", "status", "alerts", "groupLabels", "commonLabels",
                                         "commonAnnotations", "externalURL", "version", "groupKey", "truncatedAlerts",
                                         "notification_reason"});
  keys.clear();
  for (const auto& [k, v] : a.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
                                         "fingerprint"});

  const auto truncated = nlohmann::json::parse(webhook_v4_body(sample(), 1));
  CHECK(truncated["alerts"].size() == 1);
  CHECK(truncated["truncatedAlerts"] == 1);
  CHECK(truncated["commonLabels"]["instance"] == "db1:9100");  // common to what was sent
}

TEST_CASE("notifications round-trip through their stored JSON", "[alerting]") {
  const auto n = sample();
  auto back = notification_from_json(notification_to_json(n));
  REQUIRE(back.ok());
  CHECK(back->receiver == n.receiver);
  CHECK(back->group_key == n.group_key);
  CHECK(back->sequence == 3);
  CHECK(back->idempotency_key == n.idempotency_key);
  REQUIRE(back->alerts.size() == 2);
  CHECK(back->alerts[0].alert.labels == n.alerts[0].alert.labels);
  CHECK(back->alerts[0].alert.starts_at == n.alerts[0].alert.starts_at);
  CHECK_FALSE(back->alerts[1].firing);
  CHECK(back->alerts[1].silenced_by == std::vector<std::string>{"s-1"});
  CHECK(notification_from_json("{").message().find("not valid JSON") != std::string::npos);
  CHECK(severity_rank("critical") > severity_rank("warning"));
}
