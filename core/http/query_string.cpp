#include "http/query_string.h"

#include "base/percent_encoding.h"

namespace vigil::http {

std::multimap<std::string, std::string> query_params(const std::string& query) {
  std::multimap<std::string, std::string> out;
  size_t i = 0;
  while (i < query.size()) {
    size_t amp = query.find('&', i);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(i, amp - i);
    const auto eq = pair.find('=');
    if (!pair.empty())
      out.emplace(percent_decode(pair.substr(0, eq)),
                  eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1)));
    i = amp + 1;
  }
  return out;
}

std::string query_param(const std::multimap<std::string, std::string>& params, const std::string& key) {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

}  // namespace vigil::http
