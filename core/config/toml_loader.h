// Loads a vigil TOML config into Settings: parses the file and any config_dir includes,
// substitutes ${VAR} in string values, checks types and unknown keys (with did-you-mean), and
// reports EVERY problem found, each as "file:line:col: what is wrong (how to fix it)".
// Plugin-specific keys are left in each instance's PluginTable for the plugin host to check.
#pragma once

#include <string>

#include "base/status.h"
#include "config/env_substitution.h"
#include "config/settings.h"

namespace vigil::config {

struct LoadResult {
  Settings settings;
  Problems problems;  // empty when the config is valid
  bool ok() const { return problems.empty(); }
};

LoadResult load_config_file(const std::string& path, const EnvLookup& env = process_environment());
// For tests and the embedded default: `name` is used in locations.
LoadResult load_config_text(const std::string& text, const std::string& name,
                            const EnvLookup& env = process_environment());

}  // namespace vigil::config
