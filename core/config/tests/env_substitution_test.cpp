#include "config/env_substitution.h"

#include <catch2/catch_test_macros.hpp>
#include <map>

using vigil::config::substitute_env;

namespace {
vigil::config::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("variables, defaults and escapes are substituted", "[config]") {
  auto env = fake_env({{"HOST", "db1"}, {"EMPTY", ""}});
  CHECK(substitute_env("http://${HOST}:80/", env).value() == "http://db1:80/");
  CHECK(substitute_env("${PORT:-6379}", env).value() == "6379");
  CHECK(substitute_env("${HOST:-x}", env).value() == "db1");
  CHECK(substitute_env("${EMPTY:-fallback}", env).value() == "fallback");
  CHECK(substitute_env("${EMPTY}", env).value() == "");
  CHECK(substitute_env("cost $$5 and $x", env).value() == "cost $5 and $x");
}

TEST_CASE("unset variables and malformed references are errors", "[config]") {
  auto env = fake_env({});
  auto r = substitute_env("${API_TOKEN}", env);
  REQUIRE_FALSE(r.ok());
  CHECK(r.message().find("API_TOKEN is not set") != std::string::npos);
  CHECK(r.message().find("${API_TOKEN:-value}") != std::string::npos);
  CHECK_FALSE(substitute_env("${OPEN", env).ok());
  CHECK_FALSE(substitute_env("${9BAD}", env).ok());
  CHECK_FALSE(substitute_env("${BAD-NAME}", env).ok());
}
