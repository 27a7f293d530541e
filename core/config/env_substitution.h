// ${VAR} and ${VAR:-default} substitution inside config string values (never in raw text, so
// a variable can not inject TOML structure). "$$" is a literal "$". A variable that is unset
// and has no default is an error naming it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
EnvLookup process_environment();

Result<std::string> substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace vigil::config
