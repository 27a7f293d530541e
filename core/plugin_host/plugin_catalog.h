// PluginCatalog: every plugin found in the plugin directories, by declared name. Files that
// fail to load are kept with their error, so a reference to a missing name can say why.
// Built once on the control thread; read-only afterwards. Never unloads anything.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin_host/plugin_loader.h"

namespace vigil::plugin_host {

class PluginCatalog {
 public:
  // Scans each directory (non-recursively) for *.so files. Missing directories are skipped.
  static PluginCatalog scan(const std::vector<std::string>& dirs);

  // nullptr when no loadable plugin has that name.
  std::shared_ptr<const LoadedPlugin> find(const std::string& name) const;
  // "no plugin named ... (hint)" with the list of files that failed to load.
  std::string not_found_message(const std::string& name, const std::string& kind) const;

  const std::map<std::string, std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  // path -> error, for files that are not loadable plugins, and duplicate names.
  const std::vector<std::pair<std::string, std::string>>& failures() const { return failures_; }
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  std::vector<std::string> dirs_;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<std::pair<std::string, std::string>> failures_;
};

}  // namespace vigil::plugin_host
