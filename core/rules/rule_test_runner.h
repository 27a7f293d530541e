// `vigil test rules`: runs unit-test files in promtool's format (rule_files, evaluation_interval,
// group_eval_order, external_labels, tests with input_series in the expanding notation,
// alert_rule_test and promql_expr_test) and reports like promtool: "SUCCESS" or "FAILED:" with
// expected and actual alerts or samples.
#pragma once

#include <ostream>
#include <string>

namespace vigil::rules {

// Returns true when every test in the file passed; problems are printed to `out`.
bool run_rule_test_file(const std::string& path, std::ostream& out);

}  // namespace vigil::rules
