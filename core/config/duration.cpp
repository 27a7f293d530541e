#include "config/duration.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vigil::config {
namespace {

struct Unit {
  std::string_view name;
  double ns;
};
constexpr Unit kUnits[] = {{"ns", 1.0}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6},
                           {"s", 1e9},  {"m", 60e9}, {"h", 3600e9},      {"d", 86400e9}};

Status bad(std::string_view text, std::string_view why) {
  return Status::error("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                       " (write a number with a unit, e.g. \"250ms\", \"10s\", \"5m\", \"1h30m\")");
}

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return bad(text, "it is empty");
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t num_start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == num_start) return bad(text, "expected a number at position " + std::to_string(i + 1));
    const std::string num(text.substr(num_start, i - num_start));
    if (num.find('.') != num.rfind('.')) return bad(text, "a number has two decimal points");
    const double value = std::strtod(num.c_str(), nullptr);
    const size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return bad(text, "the number " + num + " has no unit");
    const Unit* found = nullptr;
    for (const auto& u : kUnits)
      if (u.name == unit) found = &u;
    if (!found) return bad(text, "unknown unit \"" + std::string(unit) + "\"");
    total += value * found->ns;
  }
  // 2^63 as a double is the first value that does not fit; NaN/inf cannot arise from digits.
  if (!(total < 9223372036854775808.0)) return bad(text, "it is too large");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

std::string format_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns % 1000000000 != 0 && ns < 60LL * 1000000000) {
    if (ns % 1000000 == 0) return out + std::to_string(ns / 1000000) + "ms";
    if (ns % 1000 == 0) return out + std::to_string(ns / 1000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  const int64_t h = ns / 3600000000000LL;
  ns %= 3600000000000LL;
  const int64_t m = ns / 60000000000LL;
  ns %= 60000000000LL;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (ns) {
    if (ns % 1000000000 == 0) {
      out += std::to_string(ns / 1000000000) + "s";
    } else {
      out += std::to_string(ns / 1000000) + "ms";
    }
  }
  return out;
}

}  // namespace vigil::config
