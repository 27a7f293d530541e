// Comparing secrets (tokens, password hashes) in time that does not depend on where they differ.
#pragma once

#include <string_view>

namespace vigil {

inline bool equal_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace vigil
