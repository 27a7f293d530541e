#include "config/byte_size.h"

#include <cctype>
#include <cmath>
#include <string>

namespace vigil::config {

Result<uint64_t> parse_byte_size(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::error("invalid size \"" + std::string(text) + "\": " + std::string(why) +
                         " (write e.g. \"64MiB\", \"512KiB\", \"10MB\" or a number of bytes)");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return bad("it does not start with a number");
  const std::string num(text.substr(0, i));
  if (num.find('.') != num.rfind('.')) return bad("the number has two decimal points");
  size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;
  const std::string_view unit = text.substr(j);
  struct U {
    std::string_view name;
    double mult;
  };
  static constexpr U kUnits[] = {
      {"", 1},     {"B", 1},    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
      {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6},     {"GB", 1e9},        {"TB", 1e12}};
  for (const auto& u : kUnits) {
    if (u.name == unit) {
      const double v = std::round(std::strtod(num.c_str(), nullptr) * u.mult);
      if (!(v < 18446744073709551616.0)) return bad("it is too large");  // 2^64
      return static_cast<uint64_t>(v);
    }
  }
  return bad("unknown unit \"" + std::string(unit) + "\"");
}

}  // namespace vigil::config
