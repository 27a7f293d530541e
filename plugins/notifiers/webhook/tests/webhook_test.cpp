#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch_test_macros.hpp>
#include <cstdio>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/http_sink.hpp"
#include "../../../../tests/support/http_service.hpp"

using vigil::testing::FakeHost;
using vigil::testing::HttpSink;
using vigil::testing::SinkReply;

namespace {

vigil_str s(const std::string& v) {
  return {v.data(), v.size()};
}

struct Note {
  std::string body = R"({"version":"4","status":"firing"})";
  std::string key = "abc-1";
  vigil_notification n{};
  Note() {
    n.struct_size = sizeof n;
    n.json_body = s(body);
    n.idempotency_key = s(key);
  }
};

}  // namespace

TEST_CASE("posts the Alertmanager JSON with an idempotency key and a signature", "[webhook]") {
  HttpSink sink;
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url());
  host.set("hmac_secret", "s3cret");
  host.set("headers.Authorization", "Bearer t");
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  auto reqs = sink.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/hook");
  CHECK(reqs[0].body == note.body);
  CHECK(reqs[0].headers["content-type"] == "application/json");
  CHECK(reqs[0].headers["idempotency-key"] == "abc-1");
  CHECK(reqs[0].headers["authorization"] == "Bearer t");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), "s3cret", 6, reinterpret_cast<const unsigned char*>(note.body.data()), note.body.size(), mac,
       &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", mac[i]);
    hex += b;
  }
  CHECK(reqs[0].headers["x-vigil-signature"] == "sha256=" + hex);
  CHECK(reqs[1].connection == reqs[0].connection);  // the pooled connection was reused
  host.destroy(inst);
}

TEST_CASE("5xx and 429 are retryable, other 4xx are permanent", "[webhook]") {
  HttpSink sink;
  sink.script({SinkReply{503, "busy", {}, {}}, SinkReply{429, "slow down", {{"Retry-After", "7"}}, {}},
               SinkReply{400, "invalid_payload", {}, {}}});
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url());
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  CHECK(host.last_error().find("HTTP 503 from the webhook: busy") != std::string::npos);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_INVALID);
  CHECK(host.last_error().find("HTTP 400 from the webhook: invalid_payload (a permanent failure") != std::string::npos);
  host.destroy(inst);
}

TEST_CASE("each notification of a batch reports its own failure", "[webhook]") {
  HttpSink sink;
  sink.script(
      {SinkReply{503, "busy", {}, {}}, SinkReply{200, "ok", {}, {}}, SinkReply{400, "invalid_payload", {}, {}}});
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url());
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note a, b, c;
  auto out = host.deliver_batch(inst, {&a.n, &b.n, &c.n});
  REQUIRE(out.size() == 3);
  CHECK(out[0].status == VIGIL_E_UNAVAILABLE);
  CHECK(out[0].error == "HTTP 503 from the webhook: busy");
  CHECK(out[1].status == VIGIL_OK);
  CHECK(out[2].status == VIGIL_E_INVALID);
  CHECK(out[2].error.find("HTTP 400 from the webhook: invalid_payload") == 0);
  host.destroy(inst);
}

TEST_CASE("a bad url is a config error", "[webhook]") {
  FakeHost host;
  host.set("url", "ftp://x");
  CHECK(host.create_notifier(vigil_plugin_entry) == nullptr);
  CHECK(host.last_error().find("\"url\" must be an http:// or https:// URL") != std::string::npos);
}

TEST_CASE("a stalled receiver times out (retried), and payload = body sends the rendered body", "[webhook]") {
  HttpSink sink;
  sink.script({SinkReply{200, "ok", {}, std::chrono::milliseconds(1500)}});
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url());
  host.set_duration("timeout", std::chrono::milliseconds(200));
  host.set("payload", "body");
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  const std::string rendered = R"({"title": "[FIRING:1] Down"})";
  note.n.body = s(rendered);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_TIMEOUT);
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  const auto reqs = sink.requests();
  REQUIRE_FALSE(reqs.empty());
  CHECK(reqs.back().body == rendered);
  CHECK(reqs.back().headers.at("content-type") == "text/plain; charset=utf-8");
  host.destroy(inst);
}
