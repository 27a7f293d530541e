// Prometheus' text exposition format, as prometheus_scrape reads it from an application.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)vigil::scrape::parse_text_format(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
