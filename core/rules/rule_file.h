// Rule files in Prometheus' own YAML format (groups -> rules with alert/record, expr, for,
// keep_firing_for, labels, annotations; group interval, limit, query_offset and labels), loaded
// as is, or the same structure in TOML (a file name ending in .toml). Every problem is reported
// with file:line:col, including PromQL errors inside `expr`.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rules/promql_ast.h"

namespace vigil::rules {

struct RuleSpec {
  std::string alert;   // alerting rule name, or ""
  std::string record;  // recording rule metric name, or ""
  std::string expr_text;
  ExprPtr expr;
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  std::string where;  // file:line:col of the rule
};

struct RuleGroupSpec {
  std::string name;
  std::string file;
  std::chrono::milliseconds interval{0};      // 0 = the global evaluation interval
  std::chrono::milliseconds query_offset{0};  // rules see the data as of (evaluation time - offset)
  int64_t limit = 0;                          // 0 = no limit on alerts/series per rule
  std::vector<RuleSpec> rules;
};

struct RuleFileResult {
  std::vector<RuleGroupSpec> groups;
  Problems problems;
};

RuleFileResult load_rule_file(const std::string& path);
// Every file matching the globs (relative ones against base_dir), in name order. A glob that
// matches nothing is a problem, so a typo does not silently disable alerting.
RuleFileResult load_rule_files(const std::vector<std::string>& globs, const std::string& base_dir);
RuleFileResult parse_rule_yaml(const std::string& text, const std::string& name);
RuleFileResult parse_rule_toml(const std::string& text, const std::string& name);

}  // namespace vigil::rules
