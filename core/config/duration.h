// Parsing and printing of human durations: "250ms", "10s", "5m", "1h30m", "1.5s".
// Units: ns, us (or µs), ms, s, m, h, d. A bare "0" is zero; other unitless numbers are errors.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::config {

Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
// Shortest exact form, e.g. 90s -> "1m30s", 250ms -> "250ms".
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace vigil::config
