// Evaluator: computes a parsed PromQL expression at one instant over a SeriesStore, with
// Prometheus semantics: 5-minute lookback and staleness for instant selectors, extrapolated
// rate/increase/delta with counter resets, vector matching with cardinality errors, and the
// aggregations and functions of vigil's subset.
//
// Thread-compatible: one Evaluator per evaluating thread; the store is shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "metrics/series_store.h"
#include "rules/promql_ast.h"

namespace vigil::rules {

using metrics::LabelSet;

struct InstantSample {
  LabelSet labels;  // sorted, may include __name__
  double value = 0;
  int64_t t_ms = 0;
};

struct Value {
  ValueType type = ValueType::scalar;
  double scalar = 0;
  std::vector<InstantSample> vector;
  std::vector<metrics::SeriesData> matrix;
  std::string string;
};

class Evaluator {
 public:
  explicit Evaluator(const metrics::SeriesStore& store, int64_t lookback_ms = 5 * 60 * 1000)
      : store_(store), lookback_ms_(lookback_ms) {}

  // Errors (cardinality, duplicate label sets, invalid regex) name what went wrong.
  Result<Value> eval(const Expr& e, int64_t t_ms) const;

 private:
  const metrics::SeriesStore& store_;
  int64_t lookback_ms_;
};

}  // namespace vigil::rules
