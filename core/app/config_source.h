// Loads the config the user named, or the embedded default when the path is empty.
#pragma once

#include <string>

#include "config/toml_loader.h"

namespace vigil::app {

inline constexpr const char* kEmbeddedConfigName = "<embedded vigil.toml>";
config::LoadResult load_config(const std::string& path);

}  // namespace vigil::app
