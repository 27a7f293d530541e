// The query string of a request URL: "a=1&b=x%20y&a=2" -> {a: 1, a: 2, b: "x y"}. '+' is a
// space and %XX a byte; keys may repeat (filter=...&filter=...).
#pragma once

#include <map>
#include <string>

namespace vigil::http {

std::multimap<std::string, std::string> query_params(const std::string& query);
// The first value of `key`; "" when absent.
std::string query_param(const std::multimap<std::string, std::string>& params, const std::string& key);

}  // namespace vigil::http
