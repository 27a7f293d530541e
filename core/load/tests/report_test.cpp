#include <catch2/catch_test_macros.hpp>
#include <cmath>

#include "load/report.h"
#include "load/thresholds.h"

using namespace vigil::load;

namespace {

RunResult sample_run(double scale) {
  RunResult r;
  r.scenario = "http_message";
  r.target = "http://127.0.0.1:8080";
  r.model = "closed";
  r.started_at = "2026-11-26T05:00:00Z";
  r.connections = 8;
  r.threads = 2;
  r.duration_s = 10;
  r.options["path"] = "/api/messages";
  r.goals["rps"] = "+50%";
  for (int i = 1; i <= 1000; ++i) r.latency.record(static_cast<int64_t>(i * 100 * scale));  // 0.1 .. 100 ms
  r.service = r.latency;
  r.connect.record(150);
  r.requests = 1010;
  r.ok = 1000;
  r.errors["http_5xx"] = 10;
  r.error_examples["http_5xx"] = "HTTP 500 from POST /api/messages";
  r.tags["send_message"].requests = 1010;
  r.tags["send_message"].latency = r.latency;
  r.timeline.push_back({0, 100, 101, 1, 0, 50000, 95000, 99000});
  r.warnings.push_back("the load generator used 95 % of a core");
  r.max_connections_open = 8;
  return r;
}

}  // namespace

TEST_CASE("thresholds parse like k6 and judge the run", "[load]") {
  const auto r = sample_run(1);
  auto t = parse_threshold("p95 < 200ms");
  REQUIRE(t.ok());
  CHECK(t.value().metric == "p");
  CHECK(t.value().percentile == 95);
  CHECK(evaluate(r, t.value()).passed);
  CHECK(std::abs(evaluate(r, t.value()).actual - 95.0) < 0.1);  // within the bucket of 95 ms
  CHECK(parse_threshold("p(99.9)<=1s").value().value == 1000);
  CHECK(parse_threshold("avg<50").value().value == 50);  // bare numbers are ms
  CHECK(parse_threshold("max < 800us").value().value == 0.8);
  CHECK_FALSE(evaluate(r, parse_threshold("p99 < 50ms").value()).passed);
  CHECK(evaluate(r, parse_threshold("error_rate < 0.01").value()).passed);  // 10 of 1010
  CHECK_FALSE(evaluate(r, parse_threshold("error_rate < 0.5%").value()).passed);
  CHECK(evaluate(r, parse_threshold("rps >= 100").value()).passed);
  CHECK(evaluate(r, parse_threshold("dropped == 0").value()).passed);

  CHECK(parse_threshold("p95 200ms").message().find("no comparison") != std::string::npos);
  CHECK(parse_threshold("latency < 2").message().find("unknown metric \"latency\"") != std::string::npos);
  CHECK(parse_threshold("p95 < fast").message().find("must be a number") != std::string::npos);
  CHECK(parse_threshold("p95 < 2h").message().find("unknown unit \"h\"") != std::string::npos);
  CHECK(parse_threshold("p0 < 2").message().find("above 0 and at most 100") != std::string::npos);
  CHECK(parse_threshold("rps > 5ms").message().find("takes a plain number") != std::string::npos);
}

TEST_CASE("a JSON report reads back as the same run, histograms included", "[load]") {
  auto r = sample_run(1);
  r.thresholds.push_back(evaluate(r, parse_threshold("p95 < 200ms").value()));
  r.target_cpu_seconds = 1.5;
  const std::string text = report_json(r);
  auto back = parse_report_json(text);
  INFO((back.ok() ? std::string() : back.message()));
  REQUIRE(back.ok());
  const auto& b = back.value();
  CHECK(b.scenario == r.scenario);
  CHECK(b.options == r.options);
  CHECK(b.goals == r.goals);
  CHECK(b.latency.buckets() == r.latency.buckets());
  CHECK(b.latency.percentile(99) == r.latency.percentile(99));
  CHECK(b.tags.at("send_message").latency.count() == 1000);
  CHECK(b.errors == r.errors);
  CHECK(b.timeline.size() == 1);
  CHECK(b.timeline[0].p95_us == 95000);
  CHECK(b.thresholds.size() == 1);
  CHECK(b.thresholds[0].passed);
  CHECK(b.target_cpu_seconds == 1.5);
  // Stable from then on (the first reading keeps bucket values, not the exact ones recorded).
  const std::string again = report_json(b);
  CHECK(report_json(parse_report_json(again).value()) == again);

  CHECK(parse_report_json("{}").message().find("not a vigil benchmark report") != std::string::npos);
  CHECK(parse_report_json("{\"format\": \"vigil-bench-report/1\"}").message().find("not valid") != std::string::npos);

  const auto md = report_markdown(r);
  CHECK(md.find("**Verdict: passed**") != std::string::npos);
  CHECK(md.find("| send_message | 1010 | 0 |") != std::string::npos);
  CHECK(md.find("| http_5xx | 10 | HTTP 500 from POST /api/messages |") != std::string::npos);
  CHECK(summary_text(r).find("p95 95.0") != std::string::npos);
}

TEST_CASE("compare prints the target table and judges goals", "[load]") {
  auto base = sample_run(1);
  auto cur = sample_run(0.5);  // twice as fast
  base.ok = 1000;
  cur.ok = 1600;  // +60 % throughput
  auto rows = compare_runs(base, cur, {{"rps", "+50%"}, {"p95", "-30%"}, {"error_rate", "<=0.02"}});
  REQUIRE(rows.ok());
  const auto& r = rows.value();
  auto row = [&](const std::string& m) {
    for (const auto& x : r)
      if (x.metric == m) return x;
    FAIL("no row " << m);
    return CompareRow{};
  };
  CHECK(row("rps").passed);
  CHECK(row("rps").change > 0.59);
  CHECK(row("p95").passed);
  CHECK(row("p95").change < -0.49);
  CHECK(row("error_rate").passed);
  CHECK_FALSE(row("p50").has_goal);
  auto worse = compare_runs(cur, base, {{"rps", "+50%"}});
  CHECK_FALSE(worse.value()[0].passed);
  const auto table = compare_table(r);
  CHECK(table.find("| rps | 100.000 req/s | 160.000 req/s | +60.0% | +50% | pass |") != std::string::npos);
  CHECK(compare_runs(base, cur, {{"speed", "+5%"}}).message().find("unknown metric") != std::string::npos);
  CHECK(compare_runs(base, cur, {{"rps", "fast"}}).message().find("write a change") != std::string::npos);
}

TEST_CASE("the HTML report is self-contained, verdict first, and escapes what it shows", "[load]") {
  auto r = sample_run(1);
  r.model = "open";
  r.rate = 100;
  r.tags["<script>alert(1)</script>"].requests = 1;
  r.thresholds.push_back(evaluate(r, parse_threshold("p99 < 50ms").value()));
  const std::string html = report_html(r);
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("✘ Failed: a threshold did not hold") < html.find("<h2>Summary</h2>"));
  CHECK(html.find("<code>p99 &lt; 50ms</code>") != std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);                   // no scripts at all
  CHECK(html.find("http://") == html.find("http://127.0.0.1:8080"));  // no network resources
  CHECK(html.find("default-src 'none'") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("Latency by percentile") != std::string::npos);
  CHECK(html.find("The numbers may not be trusted") != std::string::npos);
  CHECK(html.find("HTTP 500 from POST /api/messages") != std::string::npos);
}
