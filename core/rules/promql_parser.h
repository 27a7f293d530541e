// Parses and type-checks an expression in vigil's PromQL subset. Anything outside the subset is
// an error that quotes the expression with a caret under the position and says what is
// supported, e.g.
//   1:10: unknown function "holt_winters" (supported: abs, absent, ...)
//     rate(x[5m]) + holt_winters(y[1h], 0.5, 0.5)
//                   ^
#pragma once

#include <string_view>

#include "base/status.h"
#include "rules/promql_ast.h"

namespace vigil::rules {

Result<ExprPtr> parse_expr(std::string_view input);

// Durations as PromQL writes them: "5m", "1h30m", "250ms" (units ms s m h d w y).
Result<std::chrono::milliseconds> parse_promql_duration(std::string_view text);

}  // namespace vigil::rules
