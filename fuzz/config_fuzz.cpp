// The agent's TOML config, through vigil's loader (toml++ included): what `vigil check` and
// `vigil run` read. ${VAR} references resolve to a fixed value, so substitution runs too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "config/toml_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "UNSET") return std::nullopt;
    return "value-of-" + name;
  };
  (void)vigil::config::load_config_text(text, "fuzz.toml", env);
  return 0;
}
