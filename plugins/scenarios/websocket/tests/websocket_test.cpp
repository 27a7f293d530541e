#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vigil/testing/fake_host.hpp>
#include <vigil/testing/recorded_request.hpp>

using vigil::testing::FakeHost;

namespace {

struct Scenario : vigil::testing::ScenarioUnderTest {
  FakeHost& host;
  explicit Scenario(FakeHost& h) : ScenarioUnderTest(vigil_plugin_entry, h.table(), h.ctx()), host(h) {}
  vigil_status build(uint64_t conn, uint64_t seq, std::string& out) {
    vigil_writer w{&out, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                     static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                     return VIGIL_OK;
                   }};
    int32_t binary = -1;
    const auto st = vt->build_ws_message(inst, conn, seq, &w, &binary);
    CHECK(binary == 0);
    return st;
  }
  vigil_status check(uint64_t conn, uint64_t seq, const std::string& msg) {
    const vigil_ws_message m{sizeof(vigil_ws_message), 0, msg.data(), msg.size()};
    return vt->check_ws_message(inst, conn, seq, &m);
  }
};

}  // namespace

TEST_CASE("websocket scenario: correlation ids in messages and replies", "[scenario]") {
  FakeHost host;
  host.set("text_size", 10);
  host.set("messages", 2);
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  REQUIRE(s.vt->transport == VIGIL_SCENARIO_WEBSOCKET);
  std::string m;
  REQUIRE(s.build(7, 1, m) == VIGIL_OK);
  const auto j = nlohmann::json::parse(m);
  CHECK(j["id"] == "7-1");
  CHECK(j["text"].get<std::string>().size() == 10);
  std::string none;
  CHECK(s.build(7, 2, none) == VIGIL_E_NOT_FOUND);  // two messages, then held
  CHECK(s.check(7, 1, R"({"id": "7-1", "reply": "echo"})") == VIGIL_OK);
  CHECK(s.check(7, 1, R"({"id": "7-0", "reply": "late"})") == VIGIL_E_NOT_FOUND);
  CHECK(s.check(7, 1, R"({"event": "typing"})") == VIGIL_E_NOT_FOUND);
  CHECK(s.check(7, 1, "welcome!") == VIGIL_E_NOT_FOUND);
  FakeHost bad;
  bad.set("text_size", -1);
  CHECK(Scenario(bad).created == VIGIL_E_CONFIG);
}
