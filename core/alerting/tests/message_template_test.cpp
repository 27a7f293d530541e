#include "alerting/message_template.h"

#include <catch2/catch_test_macros.hpp>

using namespace vigil::alerting;

namespace {
Notification sample() {
  Notification n;
  n.receiver = "team";
  n.reason = "first notification";
  n.group_labels = {{"alertname", "HighLatency"}};
  n.common_labels = {{"alertname", "HighLatency"}, {"job", "api"}, {"severity", "warning"}};
  n.external_url = "http://vigil:9479";
  n.group_key = "{}:{alertname=\"HighLatency\"}";
  NotifiedAlert a;
  a.alert.labels = {{"alertname", "HighLatency"}, {"instance", "a"}, {"job", "api"}, {"severity", "warning"}};
  a.alert.annotations = {{"summary", "p95 <2s> on a"}};
  a.alert.value = 2.5;
  Ack ack;
  ack.author = "ana";
  a.ack = ack;
  NotifiedAlert b = a;
  b.alert.labels[1].second = "b";
  b.ack.reset();
  b.firing = false;
  n.alerts = {a, b};
  return n;
}
}  // namespace

TEST_CASE("the default title and body follow Alertmanager's", "[alerting]") {
  const auto n = sample();
  CHECK(MessageTemplate::compile(kDefaultTitleTemplate).value()->render(n) == "[FIRING:1] HighLatency (api warning)");
  const auto body = MessageTemplate::compile(kDefaultBodyTemplate).value()->render(n);
  CHECK(body.find("[firing] HighLatency (warning): p95 <2s> on a\n") == 0);  // not HTML-escaped
  CHECK(body.find("  instance=a, job=api, severity=warning\n") != std::string::npos);
  CHECK(body.find("value 2.5, acknowledged by ana") != std::string::npos);
  CHECK(body.find("[resolved] HighLatency") != std::string::npos);
  // The group in the console, its key percent-encoded.
  CHECK(
      body.find("Open in vigil: http://vigil:9479/ui/#/alerts?group=%7B%7D%3A%7Balertname%3D%22HighLatency%22%7D\n") !=
      std::string::npos);
  auto resolved = n;
  resolved.alerts.erase(resolved.alerts.begin());
  CHECK(MessageTemplate::compile(kDefaultTitleTemplate).value()->render(resolved) ==
        "[RESOLVED] HighLatency (api warning)");
}

TEST_CASE("custom templates, and errors in them", "[alerting]") {
  auto t = MessageTemplate::compile(
      "{{receiver}}: {{#firing}}{{alertname}}@{{#labels}}{{name}}={{value}};{{/labels}} {{/firing}}");
  REQUIRE(t.ok());
  CHECK((*t)->render(sample()) == "team: HighLatency@alertname=HighLatency;instance=a;job=api;severity=warning; ");
  auto bad = MessageTemplate::compile("{{#alerts}}unclosed");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("invalid template: ") == 0);
}
