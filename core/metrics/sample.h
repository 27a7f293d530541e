// Sample: one metric value as emitted by a plugin, owned by the host (copied off the ABI).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::metrics {

enum class SampleType { gauge, counter, untyped, histogram };

struct Sample {
  SampleType type = SampleType::gauge;
  std::string name;
  std::string help;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
  double value = 0;
  int64_t unix_ms = 0;  // 0: stamped by the scraper
  // histogram: finite upper bounds with cumulative counts; +Inf is `count`.
  std::vector<std::pair<double, uint64_t>> buckets;
  double sum = 0;
  uint64_t count = 0;
};

// Prometheus naming rules: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]* and
// not starting with "__" (reserved). The message names the offending name and the rule.
Status validate_metric_name(std::string_view name);
Status validate_label_name(std::string_view name);
// A gauge, counter or untyped sample, for code that publishes its own figures.
Sample make_sample(SampleType type, std::string name, double value,
                   std::vector<std::pair<std::string, std::string>> labels, std::string help);

// Validates names, label uniqueness, that label values are valid UTF-8 (Prometheus rejects a
// whole scrape for one invalid byte) and histogram bucket order; sorts labels and replaces
// invalid UTF-8 in the help text with U+FFFD.
Status normalize(Sample& s);

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view text);
// `text` with each invalid byte sequence replaced by U+FFFD.
std::string utf8_lossy(std::string_view text);
// HELP text as the exposition format writes it: backslash and line feed escaped.
std::string escape_help(std::string_view help);

// Adds each extra label the sample does not already have (the sample's own label wins) and
// keeps the labels sorted.
void add_missing_labels(Sample& s, const std::vector<std::pair<std::string, std::string>>& extra);

// The shortest decimal text that reads back as v, as Prometheus writes values and `le` labels:
// "0.1", "1e+06", "+Inf", "-Inf", "NaN".
std::string format_float(double v);

}  // namespace vigil::metrics
