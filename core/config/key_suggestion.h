// "Did you mean" for unknown names: the closest candidate by edit distance, if close enough.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace vigil::config
