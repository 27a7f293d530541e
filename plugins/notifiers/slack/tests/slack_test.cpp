#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/http_service.hpp"
#include "../../../../tests/support/http_sink.hpp"

using vigil::testing::FakeHost;
using vigil::testing::HttpSink;
using vigil::testing::SinkReply;

namespace {
struct Note {
  std::string title = "[FIRING:2] HighLatency (api)", body, reason = "first notification", url = "http://vigil:9479";
  vigil_notification n{};
  Note() {
    for (int i = 0; i < 400; ++i) body += "line " + std::to_string(i) + " of the body\n";
    n.struct_size = sizeof n;
    n.status = VIGIL_ALERT_FIRING;
    n.severity = VIGIL_SEVERITY_CRITICAL;
    n.n_alerts = 3;
    n.n_firing = 2;
    n.title = {title.data(), title.size()};
    n.body = {body.data(), body.size()};
    n.reason = {reason.data(), reason.size()};
    n.external_url = {url.data(), url.size()};
  }
};
}  // namespace

TEST_CASE("posts one coloured attachment with the title, a clipped body and fields", "[slack]") {
  HttpSink sink;
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url("/services/T/B/X"));
  host.set("channel", "#ops");
  host.set("max_text_bytes", 1000);
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  const auto req = sink.requests().at(0);
  CHECK(req.target == "/services/T/B/X");
  const auto j = nlohmann::json::parse(req.body);
  CHECK(j["text"] == note.title);
  CHECK(j["channel"] == "#ops");
  const auto& att = j["attachments"][0];
  CHECK(att["color"] == "danger");
  CHECK(att["title_link"] == "http://vigil:9479");
  CHECK(att["footer"] == "vigil · first notification");
  CHECK(att["fields"][1]["value"] == "2 firing, 1 resolved");
  const std::string text = att["text"];
  CHECK(text.size() <= 1000);
  CHECK(text.find("more line(s)") != std::string::npos);
  note.n.status = VIGIL_ALERT_RESOLVED;
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  CHECK(nlohmann::json::parse(sink.requests().at(1).body)["attachments"][0]["color"] == "good");
  host.destroy(inst);
}

TEST_CASE("429 and 5xx are retried, invalid_payload is permanent", "[slack]") {
  HttpSink sink;
  sink.script({SinkReply{429, "rate_limited", {{"Retry-After", "1"}}, {}}, SinkReply{500, "rollup_error", {}, {}},
               SinkReply{400, "invalid_payload", {}, {}}});
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url());
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_INVALID);
  CHECK(host.last_error().find("invalid_payload") != std::string::npos);
  host.destroy(inst);
}
