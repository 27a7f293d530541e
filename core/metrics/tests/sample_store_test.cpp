#include <catch2/catch_test_macros.hpp>

#include "metrics/agent_metrics.h"
#include "metrics/sample_store.h"

using namespace vigil::metrics;

namespace {
Sample gauge(std::string name, double v, std::vector<std::pair<std::string, std::string>> labels = {}) {
  Sample s;
  s.name = std::move(name);
  s.value = v;
  s.labels = std::move(labels);
  s.help = "test gauge";
  return s;
}
bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}
}  // namespace

TEST_CASE("metric and label names follow Prometheus rules", "[metrics]") {
  CHECK(validate_metric_name("node_load1").ok());
  CHECK(validate_metric_name("a:b_c").ok());
  CHECK_FALSE(validate_metric_name("1abc").ok());
  CHECK_FALSE(validate_metric_name("bad-name").ok());
  CHECK_FALSE(validate_metric_name("").ok());
  CHECK(validate_metric_name("bad-name").message().find("[a-zA-Z_:]") != std::string::npos);
  CHECK(validate_label_name("device").ok());
  CHECK_FALSE(validate_label_name("__name__").ok());
  CHECK_FALSE(validate_label_name("a:b").ok());
  Sample dup = gauge("x", 1, {{"a", "1"}, {"a", "2"}});
  CHECK_FALSE(normalize(dup).ok());
  Sample h;
  h.type = SampleType::histogram;
  h.name = "h";
  h.buckets = {{1, 5}, {0.5, 6}};
  CHECK_FALSE(normalize(h).ok());
}

TEST_CASE("a source's samples replace its previous set and extra labels are added", "[metrics]") {
  SampleStore store;
  AgentMetrics agent("test");
  store.replace("collector/fs", {gauge("fs_free", 1, {{"mount", "/"}}), gauge("fs_free", 2, {{"mount", "/data"}})},
                {{"env", "prod"}});
  auto text = agent.render(store);
  CHECK(contains(text, "fs_free{env=\"prod\",mount=\"/\"} 1"));
  CHECK(contains(text, "fs_free{env=\"prod\",mount=\"/data\"} 2"));
  store.replace("collector/fs", {gauge("fs_free", 3, {{"mount", "/"}})});
  text = agent.render(store);
  CHECK(contains(text, "fs_free{mount=\"/\"} 3"));
  CHECK_FALSE(contains(text, "/data"));
  store.remove("collector/fs");
  CHECK_FALSE(contains(agent.render(store), "fs_free"));
}

TEST_CASE("type conflicts and duplicate series across sources are dropped and counted", "[metrics]") {
  SampleStore store;
  AgentMetrics agent("test");
  Sample c = gauge("shared", 5);
  c.type = SampleType::counter;
  store.replace("a", {gauge("shared", 1), gauge("same", 1)});
  store.replace("b", {c, gauge("same", 2)});
  const auto text = agent.render(store);
  CHECK(contains(text, "# TYPE shared gauge"));
  CHECK(contains(text, "same 1"));
  CHECK_FALSE(contains(text, "same 2"));
  CHECK(store.conflicts() == 2);
}

TEST_CASE("histograms are rendered with an implied +Inf bucket", "[metrics]") {
  SampleStore store;
  AgentMetrics agent("test");
  Sample h;
  h.type = SampleType::histogram;
  h.name = "latency_seconds";
  h.help = "latency";
  h.buckets = {{0.1, 3}, {1, 7}};
  h.count = 9;
  h.sum = 4.5;
  store.replace("s", {h});
  const auto text = agent.render(store);
  CHECK(contains(text, "latency_seconds_bucket{le=\"0.1\"} 3"));
  CHECK(contains(text, "latency_seconds_bucket{le=\"+Inf\"} 9"));
  CHECK(contains(text, "latency_seconds_count 9"));
}

TEST_CASE("own metrics include build info, collector series and process figures", "[metrics]") {
  SampleStore store;
  AgentMetrics agent("1.2.3");
  auto& s = agent.collector("system", "system");
  (void)s;
  const auto text = agent.render(store);
  CHECK(contains(text, "vigil_build_info{abi=\"1\",version=\"1.2.3\"} 1"));
  CHECK(contains(text, "vigil_collector_runs_total{alias=\"system\",collector=\"system\"} 0"));
  CHECK(contains(text, "process_resident_memory_bytes "));
  CHECK(contains(text, "process_open_fds "));
  agent.remove_collector("system", "system");
  CHECK_FALSE(contains(agent.render(store), "alias=\"system\""));
}

// ---- A poisoned sample never spoils the exposition (Prometheus rejects a whole scrape for one
// bad line, so every hostile byte is refused or escaped here).

TEST_CASE("invalid UTF-8 in a label value is refused at emit time", "[metrics][hostile]") {
  for (const std::string& bad : {std::string("\xff"), std::string("ok\xc3"), std::string("\xc0\xaf"),
                                 std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80")}) {
    Sample s = gauge("m", 1, {{"path", bad}});
    auto st = normalize(s);
    REQUIRE_FALSE(st.ok());
    CHECK(contains(st.message(), "label \"path\" of m is not valid UTF-8"));
  }
  Sample fine = gauge("m", 1, {{"city", "Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x94\xa5"}});
  CHECK(normalize(fine).ok());
}

TEST_CASE("HELP text and label values are escaped, so no line can be injected", "[metrics][hostile]") {
  SampleStore store;
  AgentMetrics agent("test");
  Sample s = gauge("app_temp", 1, {{"note", "a\"b\\c\nup 0"}});
  s.help = "first line\nnode_filesystem_readonly{mountpoint=\"/\"} 1\n# TYPE up gauge\\";
  REQUIRE(normalize(s).ok());
  store.replace("collector/x", {s});
  const auto text = agent.render(store);
  CHECK(contains(text,
                 "# HELP app_temp first line\\nnode_filesystem_readonly{mountpoint=\"/\"} 1\\n# TYPE up gauge\\\\\n"));
  CHECK(contains(text, "app_temp{note=\"a\\\"b\\\\c\\nup 0\"} 1"));
  // Every line is a comment, a sample of a declared family, or empty: nothing forged.
  size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto line = text.substr(start, end - start);
    CHECK_FALSE(line.rfind("node_filesystem_readonly", 0) == 0);
    CHECK_FALSE(line.rfind("up ", 0) == 0);
    CHECK_FALSE(line.rfind("# TYPE up", 0) == 0);
    start = end == std::string::npos ? text.size() : end + 1;
  }
}

TEST_CASE("invalid UTF-8 in HELP is replaced, and a stored bad label value is dropped at render",
          "[metrics][hostile]") {
  SampleStore store;
  AgentMetrics agent("test");
  Sample s = gauge("app_a", 1);
  s.help = "caf\xe9 menu";
  Sample bad = gauge("app_b", 2, {{"k", "\xff\xfe"}});  // bypassing normalize, as core code could
  store.replace("collector/x", {s, bad});
  const auto text = agent.render(store);
  CHECK(contains(text, "# HELP app_a caf\xef\xbf\xbd menu\n"));
  CHECK_FALSE(contains(text, "app_b{"));
  CHECK(contains(text, "vigil_metrics_conflicts{reason=\"invalid_utf8\"} 1"));
}

TEST_CASE("a source's family named like one of vigil's own joins it instead of repeating HELP and TYPE",
          "[metrics][hostile]") {
  SampleStore store;
  AgentMetrics agent("test");
  Sample app = gauge("process_cpu_seconds_total", 12.5, {{"job", "app"}});
  app.type = SampleType::counter;
  app.help = "the app's own words";
  Sample clash = gauge("process_cpu_seconds_total", 1);  // the same series as vigil's own
  clash.type = SampleType::counter;
  Sample other_type = gauge("vigil_build_info", 3, {{"x", "y"}});  // vigil's gauge, as a counter
  other_type.type = SampleType::counter;
  store.replace("collector/prometheus_scrape/app", {app, clash, other_type});
  const auto text = agent.render(store);
  size_t helps = 0;
  for (size_t p = text.find("# HELP process_cpu_seconds_total "); p != std::string::npos;
       p = text.find("# HELP process_cpu_seconds_total ", p + 1))
    ++helps;
  CHECK(helps == 1);
  CHECK(contains(text, "process_cpu_seconds_total{job=\"app\"} 12.5"));
  CHECK_FALSE(contains(text, "the app's own words"));
  CHECK_FALSE(contains(text, "vigil_build_info{x=\"y\"}"));
  CHECK(contains(text, "vigil_metrics_conflicts{reason=\"duplicate_series\"} 1"));
  CHECK(contains(text, "vigil_metrics_conflicts{reason=\"type_mismatch\"} 1"));
}
