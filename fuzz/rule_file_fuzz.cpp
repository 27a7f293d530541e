// Rule files in both formats (Prometheus' YAML and vigil's TOML), from their text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)vigil::rules::parse_rule_yaml(text, "fuzz.yml");
  (void)vigil::rules::parse_rule_toml(text, "fuzz.toml");
  return 0;
}
