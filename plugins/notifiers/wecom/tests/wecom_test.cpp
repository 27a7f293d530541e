#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/http_service.hpp"
#include "../../../../tests/support/http_sink.hpp"

using vigil::testing::FakeHost;
using vigil::testing::HttpSink;
using vigil::testing::SinkReply;

namespace {
const SinkReply kOk{200, R"({"errcode":0,"errmsg":"ok"})", {}, {}};

struct Note {
  std::string title = "[FIRING:1] 磁盘将满", body;
  vigil_notification n{};
  explicit Note(size_t lines) {
    for (size_t i = 0; i < lines; ++i) body += "第 " + std::to_string(i) + " 行：磁盘 /data 使用率 97%\n";
    n.struct_size = sizeof n;
    n.status = VIGIL_ALERT_FIRING;
    n.severity = VIGIL_SEVERITY_CRITICAL;
    n.title = {title.data(), title.size()};
    n.body = {body.data(), body.size()};
  }
};

FakeHost& host_for(FakeHost& host, const HttpSink& sink) {
  host.provide_service(VIGIL_SERVICE_HTTP, &vigil::testing::kTestHttpService);
  host.set("url", sink.url("/cgi-bin/webhook/send?key=abc"));
  return host;
}
}  // namespace

TEST_CASE("markdown with colour and mentions; long messages split on line boundaries", "[wecom]") {
  HttpSink sink;
  sink.set_fallback(kOk);
  FakeHost host;
  host_for(host, sink).set("mentioned_list[0]", "zhangsan");
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note small(3);
  REQUIRE(host.deliver(inst, small.n) == VIGIL_OK);
  auto j = nlohmann::json::parse(sink.requests().at(0).body);
  CHECK(j["msgtype"] == "markdown");
  const std::string content = j["markdown"]["content"];
  CHECK(content.rfind("**<font color=\"warning\">[FIRING:1] 磁盘将满</font>**\n", 0) == 0);
  CHECK(content.find("<@zhangsan>") != std::string::npos);
  CHECK(sink.requests().at(0).target == "/cgi-bin/webhook/send?key=abc");

  Note big(300);  // about 12 KB
  REQUIRE(host.deliver(inst, big.n) == VIGIL_OK);
  const auto reqs = sink.requests();
  REQUIRE(reqs.size() >= 4);
  std::string joined;
  for (size_t i = 1; i < reqs.size(); ++i) {
    const std::string part = nlohmann::json::parse(reqs[i].body)["markdown"]["content"];  // valid UTF-8 JSON
    CHECK(part.size() <= 4096);
    CHECK(part.rfind("(" + std::to_string(i) + "/" + std::to_string(reqs.size() - 1) + ") ", 0) == 0);
    joined += part.substr(part.find(") ") + 2);
  }
  CHECK(joined.find("第 299 行") != std::string::npos);
  host.destroy(inst);
}

TEST_CASE("errcode decides: 0 delivered, 45009 retried, others permanent", "[wecom]") {
  HttpSink sink;
  sink.script({SinkReply{200, R"({"errcode":45009,"errmsg":"api freq out of limit"})", {}, {}},
               SinkReply{200, R"({"errcode":93000,"errmsg":"invalid webhook url"})", {}, {}},
               SinkReply{502, "", {}, {}}});
  FakeHost host;
  auto* inst = host_for(host, sink).create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note(1);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  CHECK(host.last_error().find("errcode 45009") != std::string::npos);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_INVALID);
  CHECK(host.last_error().find("invalid webhook url") != std::string::npos);
  CHECK(host.deliver(inst, note.n) == VIGIL_E_UNAVAILABLE);
  host.destroy(inst);
}

TEST_CASE("text messages carry mobile mentions; bad settings are config errors", "[wecom]") {
  HttpSink sink;
  sink.set_fallback(kOk);
  FakeHost host;
  host_for(host, sink).set("msgtype", "text");
  host.set("mentioned_mobile_list[0]", "13800001111");
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note(2);
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  auto j = nlohmann::json::parse(sink.requests().at(0).body);
  CHECK(j["text"]["mentioned_mobile_list"][0] == "13800001111");
  host.destroy(inst);

  FakeHost bad;
  bad.set("url", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send");
  CHECK(bad.create_notifier(vigil_plugin_entry) == nullptr);
  CHECK(bad.last_error().find("with its key") != std::string::npos);
}
