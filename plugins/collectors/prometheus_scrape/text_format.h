// A parser for the Prometheus text exposition format (0.0.4), as applications serve it on
// /metrics. Histograms are reassembled into one sample per label set; summaries and untyped
// families come through as untyped samples under their own names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::scrape {

enum class Kind { gauge, counter, untyped, histogram };

struct ParsedSample {
  Kind kind = Kind::untyped;
  std::string name;
  std::string help;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  int64_t timestamp_ms = 0;
  std::vector<std::pair<double, uint64_t>> buckets;  // finite bounds, cumulative counts
  double sum = 0;
  uint64_t count = 0;
};

struct ParseResult {
  std::vector<ParsedSample> samples;
  std::vector<std::string> errors;  // "line N: what" for lines that were skipped
};

ParseResult parse_text_format(std::string_view text);

}  // namespace vigil::scrape
