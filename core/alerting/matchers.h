// Alertmanager's matcher syntax, as used in routes, inhibition rules, silences and API
// filters: `name="value"`, `name=~"regex"`, `name!=value`, `name!~"re"`, unquoted values, and
// the brace form `{a="b", c=~"d"}`. Regexes are RE2 and fully anchored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "base/status.h"
#include "metrics/label_matcher.h"

namespace vigil::alerting {

using Matchers = std::vector<metrics::LabelMatcher>;

// One string with one matcher, or several in braces; errors quote the text and the position.
Result<Matchers> parse_matchers(std::string_view text);
// All must match; an absent label matches as "".
bool matches(const Matchers& ms, const LabelSet& labels);
// {name="value",name=~"re"}: Alertmanager's Matchers.String(), used in route keys.
std::string matchers_text(const Matchers& ms);
const char* op_text(metrics::LabelMatcher::Op op);

}  // namespace vigil::alerting
