// Durations ("1h30m") and sizes ("64MiB") of the config. A duration that parses is printed and
// parsed again to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/byte_size.h"
#include "config/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = vigil::config::parse_duration(text); d.ok()) {
    const auto again = vigil::config::parse_duration(vigil::config::format_duration(*d));
    if (!again.ok() || again.value() != d.value()) std::abort();  // format_duration must print what parses back
  }
  (void)vigil::config::parse_byte_size(text);
  return 0;
}
