#include <catch2/catch_test_macros.hpp>

#include "alerting/alert.h"
#include "alerting/matchers.h"
#include "alerting/time_interval.h"

using namespace vigil::alerting;
using namespace std::chrono_literals;

namespace {
Time at(int64_t unix_seconds) {
  return Time(std::chrono::seconds(unix_seconds));
}
// 2026-11-23 is a Monday.
Time utc(int day, int hour, int minute) {
  return at(1795392000 + (day - 23) * 86400 + hour * 3600 + minute * 60);
}
}  // namespace

TEST_CASE("fingerprints are Alertmanager's FNV-1a over sorted labels", "[alerting]") {
  CHECK(fingerprint_hex(fingerprint({})) == "cbf29ce484222325");
  CHECK(fingerprint_hex(fingerprint({{"a", "b"}})) == "d2b371819297f98a");
  CHECK(fingerprint_hex(fingerprint(
            {{"alertname", "InstanceDown"}, {"instance", "db1:9100"}, {"job", "node"}, {"severity", "page"}})) ==
        "7c6f788c00d1c7fa");
  CHECK(label_set_text({{"alertname", "X"}, {"q", "say \"hi\""}}) == "{alertname=\"X\", q=\"say \\\"hi\\\"\"}");
}

TEST_CASE("merging two reports of an alert follows Alertmanager", "[alerting]") {
  Alert a;
  a.labels = {{"alertname", "A"}};
  a.starts_at = at(100);
  a.updated_at = at(100);
  a.ends_at = at(500);
  Alert b = a;
  b.starts_at = at(200);
  b.updated_at = at(300);
  b.ends_at = at(400);
  b.timeout = true;
  b.annotations = {{"summary", "newer"}};
  const auto m = merge(a, b, at(350));
  CHECK(m.starts_at == at(100));  // earliest start
  CHECK(m.ends_at == at(500));    // a later explicit end wins over a timeout
  CHECK(m.annotations == b.annotations);
  CHECK(merge(b, a, at(350)).annotations == b.annotations);  // argument order does not matter
  Alert r1 = a, r2 = b;
  r1.ends_at = at(320);
  r2.ends_at = at(310);
  r2.timeout = false;
  CHECK(merge(r1, r2, at(1000)).ends_at == at(320));  // both resolved: the later end
  CHECK(a.resolved(at(500)));
  CHECK_FALSE(a.resolved(at(499)));
}

TEST_CASE("matchers in Alertmanager's syntax", "[alerting]") {
  auto ms = parse_matchers("{severity=\"critical\", team=~\"db|web\", env!=prod, host!~\"test-.*\"}");
  REQUIRE(ms.ok());
  REQUIRE(ms->size() == 4);
  CHECK(matchers_text(*ms) == "{severity=\"critical\",team=~\"db|web\",env!=\"prod\",host!~\"test-.*\"}");
  CHECK(matches(*ms, {{"severity", "critical"}, {"team", "db"}, {"host", "prod-1"}}));
  CHECK_FALSE(matches(*ms, {{"severity", "critical"}, {"team", "dbx"}}));  // anchored
  CHECK_FALSE(matches(*ms, {{"severity", "critical"}, {"team", "db"}, {"env", "prod"}}));
  auto single = parse_matchers("alertname = Instance Down");
  REQUIRE(single.ok());
  CHECK((*single)[0].value() == "Instance Down");
  auto quoted = parse_matchers(R"(summary="a \"b\", c")");
  REQUIRE(quoted.ok());
  CHECK((*quoted)[0].value() == "a \"b\", c");
  CHECK(parse_matchers("severity==x").message().find("use = (not ==)") != std::string::npos);
  CHECK(parse_matchers("{}").message().find("empty matcher list") != std::string::npos);
  CHECK(parse_matchers("a=~\"(\"").message().find("invalid regular expression") != std::string::npos);
  CHECK(parse_matchers("=x").message().find("column 1: expected a label name") != std::string::npos);
  CHECK(parse_matchers("a=\"x").message().find("unterminated quoted value") != std::string::npos);
  CHECK(parse_matchers("a=b c=d").ok());  // unquoted values run to "," or "}"
  CHECK(parse_matchers("{a=b} x").message().find("unexpected text after the matcher") != std::string::npos);
}

TEST_CASE("time intervals: times, weekdays, days of month, months, years, time zones", "[alerting]") {
  TimeIntervalText business;
  business.times = {{"09:00", "17:00"}};
  business.weekdays = {"monday:friday"};
  auto b = parse_time_interval(business);
  REQUIRE(b.ok());
  CHECK(b->contains(utc(23, 9, 0)));         // Monday 09:00
  CHECK_FALSE(b->contains(utc(23, 17, 0)));  // end exclusive
  CHECK_FALSE(b->contains(utc(29, 12, 0)));  // Saturday
  TimeIntervalText end_of_month;
  end_of_month.days_of_month = {"-2:-1"};
  end_of_month.months = {"november"};
  end_of_month.years = {"2026"};
  auto e = parse_time_interval(end_of_month);
  REQUIRE(e.ok());
  CHECK(e->contains(utc(29, 0, 0)));  // November has 30 days: 29 and 30
  CHECK(e->contains(utc(30, 23, 59)));
  CHECK_FALSE(e->contains(utc(28, 23, 59)));
  TimeIntervalText berlin;
  berlin.times = {{"00:00", "01:00"}};
  berlin.location = "Europe/Berlin";  // UTC+1 in November
  auto z = parse_time_interval(berlin);
  REQUIRE(z.ok());
  CHECK(z->contains(utc(23, 23, 30)));  // 00:30 in Berlin
  CHECK_FALSE(z->contains(utc(23, 0, 30)));
  TimeIntervalText bad;
  bad.weekdays = {"funday"};
  CHECK(parse_time_interval(bad).message().find("weekdays: \"funday\" is not a day of the week") != std::string::npos);
  bad = {};
  bad.times = {{"18:00", "09:00"}};
  CHECK(parse_time_interval(bad).message().find("must be before end_time") != std::string::npos);
  bad = {};
  bad.location = "Mars/Olympus";
  CHECK(parse_time_interval(bad).message().find("unknown time zone \"Mars/Olympus\"") != std::string::npos);
}
