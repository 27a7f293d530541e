// Alertmanager matchers (`alertname=~"Disk.*", env!="dev"`), from routes, silences and filters.
// Matchers that parse are printed and parsed again to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "alerting/matchers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = vigil::alerting::parse_matchers(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!m.ok() || m->empty()) return 0;
  const std::string text = vigil::alerting::matchers_text(*m);
  auto again = vigil::alerting::parse_matchers(text);
  if (!again.ok() || vigil::alerting::matchers_text(*again) != text) std::abort();
  return 0;
}
