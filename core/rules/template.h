// Expansion of the Prometheus template dialect used in alert labels and annotations:
// {{ $labels.name }}, {{ .Labels.name }}, {{ $value }}, {{ .Value }}, {{ $externalLabels.name }},
// pipelines ({{ $value | humanize }}) and the functions public rules use: humanize,
// humanize1024, humanizePercentage, humanizeDuration, printf, toUpper, toLower, title,
// stripPort, reReplaceAll. An error never fails the rule: it shows up in the text.
#pragma once

#include <map>
#include <string>

namespace vigil::rules {

struct TemplateData {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> external_labels;
  double value = 0;
};

// Returns the expanded text; on error, "<error expanding template: ...>" and sets *error.
std::string expand_template(const std::string& text, const TemplateData& data, std::string* error = nullptr);

}  // namespace vigil::rules
