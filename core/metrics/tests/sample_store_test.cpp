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
