// Where plugins are looked for: the config's plugin_dirs (relative ones against the config
// file's directory), then the bundled directories beside the executable:
// <exe dir>/plugins (build tree) and <exe dir>/../lib/vigil/plugins (installed).
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace vigil::app {

std::vector<std::string> plugin_search_path(const config::Settings& settings);
std::vector<std::string> bundled_plugin_dirs();

}  // namespace vigil::app
