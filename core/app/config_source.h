// Loads the config the user named, or the embedded default when the path is empty.
#pragma once

#include <cstdint>
#include <string>

#include "config/toml_loader.h"

namespace vigil::app {

inline constexpr const char* kEmbeddedConfigName = "<embedded vigil.toml>";
config::LoadResult load_config(const std::string& path);
// FNV-1a 64 of the config's text (the file, or the embedded default), for vigil_config_hash;
// 0 when the file can not be read.
uint64_t config_text_hash(const std::string& path);

}  // namespace vigil::app
