#include "../text_format.h"

#include <catch2/catch_test_macros.hpp>
#include <cmath>

using namespace vigil::scrape;

TEST_CASE("the text format: types, help, labels with escapes, special values, timestamps", "[scrape]") {
  const auto r = parse_text_format(
      "# HELP chat_messages_total Messages sent.\n"
      "# TYPE chat_messages_total counter\n"
      "chat_messages_total{room=\"a \\\"b\\\"\",path=\"C:\\\\x\"} 1027 1764100000000\n"
      "# TYPE ws_connections gauge\n"
      "ws_connections 42\n"
      "no_type_here +Inf\n"
      "nan_value NaN\r\n"
      "# a plain comment\n"
      "\n");
  REQUIRE(r.errors.empty());
  REQUIRE(r.samples.size() == 4);
  const auto& c = r.samples[0];
  CHECK(c.kind == Kind::counter);
  CHECK(c.help == "Messages sent.");
  CHECK(c.labels[0] == std::make_pair(std::string("room"), std::string("a \"b\"")));
  CHECK(c.labels[1].second == "C:\\x");
  CHECK(c.value == 1027);
  CHECK(c.timestamp_ms == 1764100000000);
  CHECK(r.samples[1].kind == Kind::gauge);
  CHECK(r.samples[2].kind == Kind::untyped);
  CHECK(std::isinf(r.samples[2].value));
  CHECK(std::isnan(r.samples[3].value));
}

TEST_CASE("histograms are reassembled per label set; summaries stay untyped", "[scrape]") {
  const auto r = parse_text_format(
      "# TYPE req_seconds histogram\n"
      "req_seconds_bucket{route=\"/a\",le=\"0.1\"} 3\n"
      "req_seconds_bucket{route=\"/a\",le=\"1\"} 7\n"
      "req_seconds_bucket{route=\"/a\",le=\"+Inf\"} 9\n"
      "req_seconds_sum{route=\"/a\"} 4.5\n"
      "req_seconds_count{route=\"/a\"} 9\n"
      "req_seconds_bucket{route=\"/b\",le=\"0.1\"} 1\n"
      "req_seconds_bucket{route=\"/b\",le=\"+Inf\"} 1\n"
      "# TYPE rpc summary\n"
      "rpc{quantile=\"0.5\"} 0.2\n"
      "rpc_sum 10\n"
      "rpc_count 50\n");
  REQUIRE(r.errors.empty());
  REQUIRE(r.samples.size() == 5);
  const auto& a = r.samples[3];
  CHECK(a.kind == Kind::histogram);
  CHECK(a.name == "req_seconds");
  CHECK(a.labels.size() == 1);
  CHECK(a.buckets == std::vector<std::pair<double, uint64_t>>{{0.1, 3}, {1, 7}});
  CHECK(a.count == 9);
  CHECK(a.sum == 4.5);
  CHECK(r.samples[4].count == 1);  // no _count line: taken from the +Inf bucket
  CHECK(r.samples[0].name == "rpc");
  CHECK(r.samples[0].kind == Kind::untyped);
  CHECK(r.samples[2].name == "rpc_count");
}

TEST_CASE("malformed lines are skipped and reported with their number", "[scrape]") {
  const auto r = parse_text_format("good 1\nbad{x=1} 2\nworse{x=\"1} 3\nnovalue\n{} 1\nalso_good 2 abc\nfine 3\n");
  CHECK(r.samples.size() == 2);
  REQUIRE(r.errors.size() == 5);
  CHECK(r.errors[0] == "line 2: label value must be quoted");
  CHECK(r.errors[4] == "line 6: invalid timestamp");
}

TEST_CASE("histogram counts that are no counts are errors, not undefined casts", "[scrape][hostile]") {
  // Found by fuzzing: a bucket of 2.4e105 was cast to a 64-bit count (UBSan).
  const auto r = parse_text_format(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2.4e105\nh_bucket{le=\"+Inf\"} -1\nh_count NaN\nh_sum 1e300\n"
      "h_bucket{le=\"2\"} 3\n");
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0] == "line 2: h_bucket is not a count (a whole number from 0 to 2^64)");
  CHECK(r.errors[1] == "line 3: h_bucket is not a count (a whole number from 0 to 2^64)");
  CHECK(r.errors[2] == "line 4: h_count is not a count (a whole number from 0 to 2^64)");
}
