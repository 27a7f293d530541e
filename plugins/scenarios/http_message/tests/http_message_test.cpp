#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>
#include <vigil/testing/fake_host.hpp>
#include <vigil/testing/recorded_request.hpp>

using vigil::testing::FakeHost;

namespace {

using Built = vigil::testing::RecordedRequest;

struct Scenario : vigil::testing::ScenarioUnderTest {
  FakeHost& host;
  explicit Scenario(FakeHost& h) : ScenarioUnderTest(vigil_plugin_entry, h.table(), h.ctx()), host(h) {}
  Built build(uint64_t seq) {
    Built b;
    auto r = b.c_request();
    REQUIRE(vt->build_http(inst, seq, &r) == VIGIL_OK);
    return b;
  }
  vigil_status check(int status, const std::string& body) {
    vigil_http_reply reply{sizeof(vigil_http_reply), status, nullptr, 0, body.data(), body.size()};
    return vt->check_http(inst, 0, &reply);
  }
};

}  // namespace

TEST_CASE("http_message builds JSON messages from the template, the same for the same seed", "[scenario]") {
  FakeHost host;
  host.set("users", 10);
  host.set("conversations", 3);
  host.set("text_min", 30);
  host.set("text_max", 40);
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  REQUIRE(s.vt->transport == VIGIL_SCENARIO_HTTP);
  std::set<std::string> users;
  for (uint64_t seq = 0; seq < 200; ++seq) {
    const auto b = s.build(seq);
    CHECK(b.method == "POST");
    CHECK(b.target == "/api/messages");
    CHECK(b.tag == "send_message");
    const auto j = nlohmann::json::parse(b.body);
    CHECK(j["seq"] == seq);
    const std::string user = j["user"];
    CHECK(user.rfind("user-", 0) == 0);
    CHECK(std::stoi(user.substr(5)) < 10);
    users.insert(user);
    CHECK(std::stoi(j["conversation"].get<std::string>().substr(5)) < 3);
    const std::string t = j["text"];
    CHECK(t.size() >= 30);
    CHECK(t.size() <= 40);
  }
  CHECK(users.size() == 10);  // the population is used
  Scenario again(host);
  CHECK(again.build(17).body == s.build(17).body);
  FakeHost other;
  other.set("seed", 2);
  Scenario reseeded(other);
  CHECK(reseeded.build(17).body != s.build(17).body);
}

TEST_CASE("http_message checks status and fields of replies", "[scenario]") {
  FakeHost host;
  host.set("expect_fields[0]", "id");
  host.set("expect_fields[1]", "reply");
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  CHECK(s.check(200, R"({"id": 1, "reply": "hi"})") == VIGIL_OK);
  CHECK(s.check(200, R"({"id": 1})") == VIGIL_E_INVALID);
  CHECK(host.last_error() == "the reply lacks the field \"reply\"");
  CHECK(s.check(200, "not json") == VIGIL_E_INVALID);
  CHECK(host.last_error() == "the reply is not a JSON object");
  CHECK(s.check(201, R"({"id": 1, "reply": "hi"})") == VIGIL_OK);
  CHECK(s.check(302, "") == VIGIL_E_INVALID);
  CHECK(host.last_error() == "status 302, expected 2xx");
}

TEST_CASE("http_message refuses bad settings with the key and the fix", "[scenario]") {
  FakeHost a;
  a.set("body_template", "{\"q\": \"{{question}}\"}");
  Scenario sa(a);
  CHECK(sa.created == VIGIL_E_CONFIG);
  CHECK(a.last_error().find("uses {{question}}; the variables are") != std::string::npos);
  FakeHost b;
  b.set("path", "api");
  CHECK(Scenario(b).created == VIGIL_E_CONFIG);
  CHECK(b.last_error().find("\"path\" must start with '/'") != std::string::npos);
  FakeHost c;
  c.set("text_min", 50);
  c.set("text_max", 10);
  CHECK(Scenario(c).created == VIGIL_E_CONFIG);
  FakeHost d;
  d.set("expect_status", 42);
  CHECK(Scenario(d).created == VIGIL_E_CONFIG);
}
