#pragma once
// toml++ and the code that walks its tables recurse once per level of nesting, so a hostile file
// ("a.a.a.…" 40,000 times) would overflow the stack. This scan runs before the parser and refuses
// such a file with the place where it goes too deep; the limit is far above what a real
// configuration needs. (yaml-cpp bounds its own recursion: it throws YAML::DeepRecursion.)

#include <optional>
#include <string>
#include <string_view>

namespace vigil::config {

inline constexpr int kMaxNesting = 64;

// "NAME:LINE:COL: ..." when a TOML document nests more than kMaxNesting levels deep, counting
// a table header's keys, dotted keys and arrays/inline tables together; nullopt otherwise.
std::optional<std::string> toml_too_deep(std::string_view text, const std::string& name);

}  // namespace vigil::config
