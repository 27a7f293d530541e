// Thresholds in k6's spirit: "p95 < 200ms", "p(99)<=1s", "avg<50", "error_rate < 0.01",
// "rps > 1000", "dropped == 0". Latencies are compared in milliseconds (a bare number is ms,
// as in k6); "us" and "s" units are accepted. Metrics: p<N> or p(N), avg, min, max, med,
// rps, error_rate, errors, dropped, requests.
#pragma once

#include <string>

#include "base/status.h"
#include "load/run_result.h"

namespace vigil::load {

struct Threshold {
  std::string expression;  // as written
  std::string metric;      // "p", "avg", "rps", ...
  double percentile = 0;   // for "p"
  std::string op;          // < <= > >= == !=
  double value = 0;        // in ms for latencies
  bool latency = false;
};

// Errors name the expression and what was expected, e.g. `"p95 < fast": the value must be a
// number with an optional unit (200ms, 1.5s, 800us)`.
Result<Threshold> parse_threshold(const std::string& text);
// The metric's value in the run (latencies in ms).
double metric_value(const RunResult& r, const Threshold& t);
ThresholdOutcome evaluate(const RunResult& r, const Threshold& t);

}  // namespace vigil::load
