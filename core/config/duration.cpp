#include "config/duration.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vigil::config {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};
constexpr Unit kUnits[] = {{"ns", 1},
                           {"us", 1'000},
                           {"\xC2\xB5s", 1'000},
                           {"ms", 1'000'000},
                           {"s", 1'000'000'000},
                           {"m", 60'000'000'000},
                           {"h", 3'600'000'000'000},
                           {"d", 86'400'000'000'000}};

Status bad(std::string_view text, std::string_view why) {
  return Status::error("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                       " (write a number with a unit, e.g. \"250ms\", \"10s\", \"5m\", \"1h30m\")");
}

void append(std::string& out, int64_t n, const char* unit) {
  if (n) out += std::to_string(n) + unit;
}

}  // namespace

// Whole numbers are summed exactly in 64-bit integers (a double would round away nanoseconds
// beyond 2^53, about 104 days), so every duration format_duration prints parses back to itself.
// A fraction adds less than one of its unit, computed in double and rounded to the nanosecond.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return bad(text, "it is empty");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t num_start = i;
    int64_t whole = 0;
    bool too_large = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      too_large = too_large || __builtin_mul_overflow(whole, 10, &whole) ||
                  __builtin_add_overflow(whole, text[i] - '0', &whole);
      ++i;
    }
    double fraction = 0;
    if (i < text.size() && text[i] == '.') {
      double scale = 0.1;
      for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, scale /= 10)
        fraction += (text[i] - '0') * scale;
    }
    const std::string num(text.substr(num_start, i - num_start));
    if (num.empty() || num == ".") return bad(text, "expected a number at position " + std::to_string(num_start + 1));
    if (i < text.size() && text[i] == '.') return bad(text, "a number has two decimal points");
    const size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return bad(text, "the number " + num + " has no unit");
    const Unit* found = nullptr;
    for (const auto& u : kUnits)
      if (u.name == unit) found = &u;
    if (!found) return bad(text, "unknown unit \"" + std::string(unit) + "\"");
    int64_t part = 0;
    too_large = too_large || __builtin_mul_overflow(whole, found->ns, &part) ||
                __builtin_add_overflow(part, static_cast<int64_t>(std::llround(fraction * found->ns)), &part) ||
                __builtin_add_overflow(total, part, &total);
    if (too_large) return bad(text, "it is too large");
  }
  return std::chrono::nanoseconds(total);
}

std::string format_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    // The most negative value has no positive counterpart; one nanosecond more is printed.
    ns = ns == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -ns;
  }
  if (ns % 1'000'000'000 != 0 && ns < 60'000'000'000) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  append(out, ns / 3'600'000'000'000, "h");
  ns %= 3'600'000'000'000;
  append(out, ns / 60'000'000'000, "m");
  ns %= 60'000'000'000;
  append(out, ns / 1'000'000'000, "s");
  ns %= 1'000'000'000;
  // What is left below a second, exactly: 1h0.25s is "1h250ms", 1h3us is "1h3us".
  if (ns % 1'000'000 == 0)
    append(out, ns / 1'000'000, "ms");
  else if (ns % 1'000 == 0)
    append(out, ns / 1'000, "us");
  else
    append(out, ns, "ns");
  return out;
}

}  // namespace vigil::config
