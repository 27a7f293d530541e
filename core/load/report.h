// Reports of a run: JSON (complete and lossless: metadata, summary, errors, tags, timeline and
// every histogram's buckets, so runs can be merged or re-analysed), Markdown, the terminal
// summary, and the before/after comparison of two runs with goals.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "load/run_result.h"

namespace vigil::load {

std::string report_json(const RunResult& r);
Result<RunResult> parse_report_json(const std::string& text);  // errors name what is missing
std::string report_markdown(const RunResult& r);
// One self-contained HTML file (inline CSS and SVG, no scripts, no network): verdict first.
std::string report_html(const RunResult& r);
std::string summary_text(const RunResult& r);  // the table printed at the end of a run
// "open model, 500 requests/s offered, up to 10 connections, 2 threads": the load as run.
std::string load_text(const RunResult& r);

// One row of `vigil bench compare`: a metric of both runs, the change and the goal's verdict.
struct CompareRow {
  std::string metric, unit;
  double baseline = 0, current = 0;
  double change = 0;  // (current - baseline) / baseline; 0 when the baseline is 0
  std::string goal;   // "+50%", "-30%", "<=0.01" or "" (none)
  bool has_goal = false, passed = true;
};

// Goals: metric -> "+50%" (at least 50 % more), "-30%" (at least 30 % less), "<=X"/">=X" (an
// absolute bound). Metrics: rps, p50, p95, p99, error_rate, connections, cpu, rss.
Result<std::vector<CompareRow>> compare_runs(const RunResult& baseline, const RunResult& current,
                                             const std::map<std::string, std::string>& goals);
std::string compare_table(const std::vector<CompareRow>& rows);

}  // namespace vigil::load
