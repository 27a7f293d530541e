// Private to the config module: the toml++ view of a PluginTable and location formatting.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/plugin_table.h"

namespace vigil::config {

struct PluginTable::Impl {
  std::shared_ptr<const toml::table> root;  // keeps `table` alive
  const toml::table* table = nullptr;       // the instance's table inside root
  std::vector<std::string> hidden_keys;     // host keys, not the plugin's
  std::string where;
  std::string fingerprint;
  // A table rebuilt from entries() (table == nullptr): the values by concrete path, and
  // keys() as the original reported it.
  std::map<std::string, Entry, std::less<>> flat;
  std::vector<std::string> flat_order;  // the paths in the order entries() gave them
  std::vector<KeyInfo> flat_keys;
};

inline std::string location_of(const toml::source_region& src) {
  std::string file = src.path ? *src.path : std::string("<config>");
  return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}
inline std::string location_of(const toml::node& n) {
  return location_of(n.source());
}

}  // namespace vigil::config
