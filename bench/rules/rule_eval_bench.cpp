// Rule-engine figures for docs/performance.md: evaluation time of 1,000 alerting rules over
// 100,000 series on one core, memory per stored sample, and parse time of rule files.
//
// usage: vigil_rule_bench [--series-per-metric N] [RULE_FILE...]
//   100,000 series are split into metrics of N series each (default 100: every rule selects
//   100 series; 1000 makes every rule select 1,000). RULE_FILEs are parsed for the parse time.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "metrics/sample_store.h"
#include "metrics/series_store.h"
#include "rules/promql_parser.h"
#include "rules/rule_file.h"
#include "rules/rule_group.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSeries = 100000;
constexpr int kRules = 1000;
int kSeriesPerMetric = 100;  // 10 jobs x N/10 instances
int kMetrics = kSeries / kSeriesPerMetric;
constexpr int64_t kStepMs = 15000;  // scrape interval
constexpr int kSteps = 41;          // 10 minutes of history

// Resident memory of this process, in bytes.
double rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string metric(int m) {
  return "bench_requests_" + std::to_string(m) + "_total";
}

// Ten shapes public rules use, each over one metric's 1,000 series.
std::string rule_expr(int i) {
  const std::string m = metric(i % kMetrics);
  switch (i % 10) {
    case 0: return "rate(" + m + "[5m]) > 1000";
    case 1: return "sum by (job) (rate(" + m + "[5m])) > 10000";
    case 2: return "sum by (job) (rate(" + m + "{instance=~\"i1.*\"}[5m])) / sum by (job) (rate(" + m + "[5m])) > 0.9";
    case 3: return "increase(" + m + "[10m]) > 100000";
    case 4: return m + " > 1e9";
    case 5: return "avg_over_time(" + m + "[5m]) < 0";
    case 6: return "max by (instance) (rate(" + m + "[2m])) > 1000";
    case 7: return "absent(" + m + "{job=\"job3\"})";
    case 8: return "count by (job) (" + m + " > 1e9) > 5";
    default: return "(" + m + " - " + m + " offset 5m) < 0";
  }
}

}  // namespace

int main(int argc, char** argv) {
  int first_file = 1;
  if (argc > 2 && std::string(argv[1]) == "--series-per-metric") {
    kSeriesPerMetric = std::max(10, std::atoi(argv[2]));
    kMetrics = kSeries / kSeriesPerMetric;
    first_file = 3;
  }
  metrics::SeriesStoreLimits limits;
  limits.max_series = 200000;
  limits.max_bytes = 1ull << 30;
  limits.retention_ms = 11 * 60 * 1000;
  metrics::SeriesStore store(limits);

  const double rss0 = rss_bytes();
  const auto f0 = Clock::now();
  for (int step = 0; step < kSteps; ++step) {
    std::vector<metrics::Sample> batch;
    batch.reserve(kMetrics * kSeriesPerMetric);
    for (int m = 0; m < kMetrics; ++m)
      for (int s = 0; s < kSeriesPerMetric; ++s) {
        metrics::Sample smp;
        smp.type = metrics::SampleType::counter;
        smp.name = metric(m);
        smp.labels = {{"instance", "i" + std::to_string(s % (kSeriesPerMetric / 10))},
                      {"job", "job" + std::to_string(s / (kSeriesPerMetric / 10))}};
        smp.value = static_cast<double>(step * (1 + s % 7));
        batch.push_back(std::move(smp));
      }
    store.append_batch("bench", step * kStepMs, batch);
  }
  const double fill_ms = ms_since(f0);
  malloc_trim(0);  // return the freed batches, so resident memory is what the store holds
  const auto st = store.stats();
  const double rss = rss_bytes() - rss0;
  std::printf(
      "store: %zu series, %zu samples; accounted %.1f MiB = %.1f bytes/sample (16 per point + label text); "
      "resident %.1f MiB = %.1f bytes/sample with all container overhead; filled in %.0f ms (%.2f us/sample)\n",
      st.series, st.samples, st.bytes / 1048576.0, static_cast<double>(st.bytes) / st.samples, rss / 1048576.0,
      rss / st.samples, fill_ms, fill_ms * 1000 / st.samples);

  // 10 groups of 100 rules, as a rule pack would be split.
  std::vector<std::unique_ptr<rules::RuleGroup>> groups;
  for (int g = 0; g < 10; ++g) {
    rules::RuleGroupSpec spec;
    spec.name = "bench" + std::to_string(g);
    for (int r = g * 100; r < (g + 1) * 100; ++r) {
      rules::RuleSpec rule;
      rule.alert = "BenchAlert" + std::to_string(r);
      rule.expr_text = rule_expr(r);
      rule.expr = rules::parse_expr(rule.expr_text).value();
      rule.for_duration = std::chrono::minutes(5);
      rule.labels = {{"severity", "warning"}};
      rule.annotations = {{"summary", "{{ $labels.instance }} at {{ $value }}"}};
      spec.rules.push_back(std::move(rule));
    }
    groups.push_back(std::make_unique<rules::RuleGroup>(spec, std::chrono::seconds(30),
                                                        std::map<std::string, std::string>{}, 5 * 60 * 1000));
  }
  metrics::SampleStore samples;
  const int64_t now = (kSteps - 1) * kStepMs;
  std::vector<double> cycles;
  const int cycles_to_run = std::getenv("BENCH_CYCLES") ? std::atoi(std::getenv("BENCH_CYCLES")) : 5;
  for (int c = 0; c < cycles_to_run; ++c) {
    const auto t0 = Clock::now();
    for (auto& g : groups) g->evaluate(now, store, samples);
    cycles.push_back(ms_since(t0));
  }
  std::sort(cycles.begin(), cycles.end());
  size_t alerts = 0, errors = 0;
  for (auto& g : groups) {
    alerts += g->active_alerts().size();
    for (const auto& r : g->snapshot().rules) errors += r.health != "ok";
  }
  std::printf(
      "evaluation: %d rules (each over %d series) on %d series: median %.1f ms per cycle (min %.1f, max %.1f), %zu "
      "alerts active, %zu rule errors\n",
      kRules, kSeriesPerMetric, kMetrics * kSeriesPerMetric, cycles[cycles.size() / 2], cycles.front(), cycles.back(),
      alerts, errors);

  for (int i = first_file; i < argc; ++i) {
    const int kRuns = 50;
    size_t rule_count = 0;
    const auto t0 = Clock::now();
    for (int run = 0; run < kRuns; ++run) {
      auto r = rules::load_rule_file(argv[i]);
      if (!r.problems.empty()) {
        std::fprintf(stderr, "%s\n", r.problems[0].c_str());
        return 1;
      }
      rule_count = 0;
      for (const auto& g : r.groups) rule_count += g.rules.size();
    }
    std::printf("parse: %s: %zu rules in %.3f ms\n", argv[i], rule_count, ms_since(t0) / kRuns);
  }
  return 0;
}
