#include "config/env_substitution.h"

#include <cctype>
#include <cstdlib>

namespace vigil::config {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::string> substitute_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      // The value itself is never echoed: it may hold a secret.
      return Status::error("unterminated \"${\" at character " + std::to_string(i + 1) +
                           " of the value (close it with \"}\", or write \"$$\" for a literal \"$\")");
    const std::string_view body = text.substr(i + 2, close - i - 2);
    const size_t sep = body.find(":-");
    const std::string name(body.substr(0, sep));
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
      return Status::error("invalid variable name \"" + name.substr(0, 64) + "\" at character " +
                           std::to_string(i + 1) +
                           " of the value (names are letters, digits and _, not starting with a digit)");
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
        return Status::error("invalid variable name \"" + name.substr(0, 64) + "\" at character " +
                             std::to_string(i + 1) + " of the value (names are letters, digits and _)");
    auto value = env(name);
    if (value && !(sep != std::string_view::npos && value->empty())) {
      out += *value;
    } else if (sep != std::string_view::npos) {
      out += body.substr(sep + 2);
    } else {
      return Status::error("environment variable " + name + " is not set (set it, or give a default: ${" + name +
                           ":-value})");
    }
    i = close;
  }
  return out;
}

}  // namespace vigil::config
