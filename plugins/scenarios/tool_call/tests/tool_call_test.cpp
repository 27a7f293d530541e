#include <catch2/catch_test_macros.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <vigil/testing/fake_host.hpp>
#include <vigil/testing/recorded_request.hpp>

using nlohmann::json;
using vigil::testing::FakeHost;

namespace {

using Built = vigil::testing::RecordedRequest;

struct Scenario : vigil::testing::ScenarioUnderTest {
  FakeHost& host;
  explicit Scenario(FakeHost& h) : ScenarioUnderTest(vigil_plugin_entry, h.table(), h.ctx()), host(h) {}
  vigil_status setup(uint32_t step, Built& b) {
    auto r = b.c_request();
    return vt->build_setup(inst, step, &r);
  }
  Built build(uint64_t seq) {
    Built b;
    auto r = b.c_request();
    REQUIRE(vt->build_http(inst, seq, &r) == VIGIL_OK);
    return b;
  }
  vigil_status reply(uint32_t step_or_seq, bool setup, int status, const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::vector<vigil_label> hs;
    for (auto& [k, v] : headers) hs.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
    vigil_http_reply r{sizeof(vigil_http_reply), status, hs.data(), hs.size(), body.data(), body.size()};
    return setup ? vt->check_setup(inst, step_or_seq, &r) : vt->check_http(inst, step_or_seq, &r);
  }
};

void two_tools(FakeHost& h) {
  h.set("tools[0].name", "search");
  h.set("tools[0].arguments", R"({"query": "status"})");
  h.set("tools[0].weight", 3);
  h.set("tools[1].name", "fail");
}

}  // namespace

TEST_CASE("tool_call opens an MCP session, then calls tools from the weighted mix with it", "[scenario]") {
  FakeHost host;
  two_tools(host);
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  Built init;
  REQUIRE(s.setup(0, init) == VIGIL_OK);
  const json ij = json::parse(init.body);
  CHECK(ij["method"] == "initialize");
  CHECK(ij["params"]["protocolVersion"] == "2025-03-26");
  CHECK(init.target == "/mcp");
  CHECK(init.header("Mcp-Session-Id").empty());
  REQUIRE(s.reply(0, true, 200, R"({"jsonrpc":"2.0","id":0,"result":{"capabilities":{}}})",
                  {{"Mcp-Session-Id", "abc123"}}) == VIGIL_OK);
  Built note;
  REQUIRE(s.setup(1, note) == VIGIL_OK);
  CHECK(json::parse(note.body)["method"] == "notifications/initialized");
  CHECK(note.header("Mcp-Session-Id") == "abc123");
  CHECK(s.reply(1, true, 202, "") == VIGIL_OK);
  Built none;
  CHECK(s.setup(2, none) == VIGIL_E_NOT_FOUND);

  std::map<std::string, int> seen;
  for (uint64_t seq = 0; seq < 4000; ++seq) {
    const auto b = s.build(seq);
    const json j = json::parse(b.body);
    CHECK(j["method"] == "tools/call");
    CHECK(j["id"] == seq + 1);
    CHECK(b.header("Mcp-Session-Id") == "abc123");
    CHECK(b.tag == "tools/call " + j["params"]["name"].get<std::string>());
    ++seen[j["params"]["name"]];
    if (j["params"]["name"] == "search") CHECK(j["params"]["arguments"]["query"] == "status");
  }
  CHECK(seen["search"] > 2800);  // 3 of 4
  CHECK(seen["search"] < 3200);
}

TEST_CASE("tool_call counts JSON-RPC errors and isError results as failures", "[scenario]") {
  FakeHost host;
  two_tools(host);
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  CHECK(s.reply(4, false, 200, R"({"jsonrpc":"2.0","id":5,"result":{"content":[],"isError":false}})") == VIGIL_OK);
  CHECK(s.reply(4, false, 200, R"({"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"unknown tool"}})") ==
        VIGIL_E_INVALID);
  CHECK(host.last_error() == "JSON-RPC error -32602: unknown tool");
  CHECK(s.reply(4, false, 200,
                R"({"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"boom"}],"isError":true}})") ==
        VIGIL_E_INVALID);
  CHECK(host.last_error().find("reported an error: boom") != std::string::npos);
  CHECK(s.reply(4, false, 200, R"({"jsonrpc":"2.0","id":9,"result":{}})") == VIGIL_E_INVALID);
  CHECK(s.reply(4, false, 500, "") == VIGIL_E_INVALID);
  CHECK(host.last_error() == "HTTP 500");
  // The same result as an SSE stream.
  CHECK(s.reply(4, false, 200, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}\n\n",
                {{"Content-Type", "text/event-stream"}}) == VIGIL_OK);
  // A refused initialize ends the run with the server's reason.
  CHECK(s.reply(0, true, 200, R"({"jsonrpc":"2.0","id":0,"error":{"code":-32600,"message":"bad version"}})") ==
        VIGIL_E_INVALID);
  CHECK(host.last_error() == "initialize was refused: bad version");
  CHECK(s.reply(0, true, 404, "") == VIGIL_E_INVALID);
}

TEST_CASE("tool_call refuses a config without tools or with bad arguments", "[scenario]") {
  FakeHost none;
  CHECK(Scenario(none).created == VIGIL_E_CONFIG);
  CHECK(none.last_error().find("no tools") != std::string::npos);
  FakeHost bad;
  bad.set("tools[0].name", "x");
  bad.set("tools[0].arguments", "[1, 2]");
  CHECK(Scenario(bad).created == VIGIL_E_CONFIG);
  CHECK(bad.last_error().find("\"tools[0].arguments\" must be a JSON object") != std::string::npos);
  FakeHost weight;
  weight.set("tools[0].name", "x");
  weight.set("tools[0].weight", 0);
  CHECK(Scenario(weight).created == VIGIL_E_CONFIG);
}
