#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vigil/testing/fake_host.hpp>
#include <vigil/testing/recorded_request.hpp>

using vigil::testing::FakeHost;

namespace {

struct Scenario : vigil::testing::ScenarioUnderTest {
  FakeHost& host;
  explicit Scenario(FakeHost& h) : ScenarioUnderTest(vigil_plugin_entry, h.table(), h.ctx()), host(h) {}
};

}  // namespace

TEST_CASE("cache scenario: Zipf reads and writes through the host cache, misses filled", "[scenario]") {
  FakeHost host;
  host.set("keys", 1000);
  host.set("read_ratio", 1.0);
  Scenario s(host);
  REQUIRE(s.created == VIGIL_OK);
  REQUIRE(s.vt->transport == VIGIL_SCENARIO_CALL);
  REQUIRE(s.vt->call);
  int hits = 0, misses = 0;
  for (uint64_t seq = 0; seq < 20000; ++seq) {
    const vigil_status st = s.vt->call(s.inst, seq, 0);
    REQUIRE((st == VIGIL_OK || st == VIGIL_E_NOT_FOUND));
    (st == VIGIL_OK ? hits : misses)++;
  }
  CHECK(misses <= 1000);  // each key misses at most once: the miss writes it
  CHECK(misses > 100);
  CHECK(hits > 19000);
  // The hottest key is the first one a Zipf draw lands on most: it is cached.
  std::string got;
  vigil_writer w{&got, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                   static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                   return VIGIL_OK;
                 }};
  CHECK(host.table()->cache_get(host.ctx(), {"k0", 2}, &w) == VIGIL_OK);
  CHECK(got.size() == 100);
}

TEST_CASE("cache scenario: bad settings are refused", "[scenario]") {
  FakeHost a;
  a.set("read_ratio", 1.5);
  CHECK(Scenario(a).created == VIGIL_E_CONFIG);
  CHECK(a.last_error().find("\"read_ratio\" must be between 0 and 1") != std::string::npos);
  FakeHost b;
  b.set("keys", 0);
  CHECK(Scenario(b).created == VIGIL_E_CONFIG);
}
