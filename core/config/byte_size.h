// Parsing of sizes: "64MiB", "512KiB", "10MB", "1GiB", "4096" (bytes), "4096B".
// Binary units (KiB, MiB, GiB, TiB) are powers of 1024; decimal ones (kB, MB, GB, TB) of 1000.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace vigil::config {

Result<uint64_t> parse_byte_size(std::string_view text);

}  // namespace vigil::config
