#include "alerting/api_bodies.h"

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "alerting/notification_json.h"

using namespace std::chrono_literals;
using namespace vigil::alerting;
using nlohmann::json;

namespace {

const Time now = Time(std::chrono::seconds(1'795'000'000));  // 2026-11-18

bool says(const vigil::Status& s, const std::string& what) {
  return s.message().find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("API bodies: wrong types are errors naming the field, never exceptions", "[alerting][hostile]") {
  CHECK(says(matchers_from_json(json::array({{{"name", 1}, {"value", "x"}}})).status(), "matcher"));
  CHECK(says(matchers_from_json(json::object()).status(), "\"matchers\" must be a non-empty array"));
  auto s = silence_from_request(json{{"matchers", {"a=b"}}, {"duration", 5}, {"createdBy", "x"}}, now);
  CHECK(says(s.status(), "\"duration\" must be a duration string"));
  CHECK(says(silence_from_request(json{{"matchers", {"a=b"}}, {"createdBy", {1}}}, now).status(), "createdBy"));
  CHECK(says(ack_from_request(json{{"expiresAt", 12}}, now).status(), "\"expiresAt\" must be an RFC 3339"));
  CHECK(says(ack_from_request(json::array(), now).status(), "a JSON object"));
  CHECK(says(parse_posted_alerts("{\"labels\":{}}").status(), "JSON array"));
  auto posted = parse_posted_alerts(R"([{"labels":{"a":1}},{"labels":{"alertname":"X"},"startsAt":7}])");
  REQUIRE(posted.ok());
  CHECK(posted->problems.size() == 2);
}

TEST_CASE("API bodies: times and durations past what Time holds are refused, not overflowed", "[alerting][hostile]") {
  // Found by fuzzing: a silence starting in 5580 overflowed the nanosecond clock (UBSan).
  CHECK(says(parse_rfc3339("5580-01-01T00:00:00Z").status(), "outside the years 1678 to 2261"));
  CHECK(says(parse_rfc3339("1500-01-01T00:00:00Z").status(), "outside the years 1678 to 2261"));
  CHECK(says(parse_rfc3339("2026-01-01T-1:00:00Z").status(), "not an RFC 3339 time"));
  CHECK(parse_rfc3339("2261-12-31T23:59:59Z").ok());
  const json base{{"matchers", {"a=b"}}, {"createdBy", "x"}, {"comment", "y"}};
  auto far = base;
  far["startsAt"] = "5580-01-01T00:00:00Z";
  far["endsAt"] = "2027-01-01T00:00:00Z";
  CHECK(says(silence_from_request(far, now).status(), "outside the years"));
  auto longest = base;
  longest["duration"] = "106751d";  // fits in 64 bits of nanoseconds, but not after now
  CHECK(says(silence_from_request(longest, now).status(), "\"duration\" ends after 2261"));
  CHECK(says(ack_from_request(json{{"expiresIn", "9223372036854775807ns"}}, now).status(),
             "\"expiresIn\" ends after 2261"));
  auto fine = base;
  fine["duration"] = "2h";
  REQUIRE(silence_from_request(fine, now).ok());
  CHECK(silence_from_request(fine, now)->ends_at == now + 2h);
}
