// PluginCatalog: plugins in the plugin directories, by declared name. Files that fail to load
// are kept with their error, so a reference to a missing name can say why.
//
// Loading is lazy: find("x") first tries the file x.so in each directory (a hint only: the
// entry's declared name must match), and otherwise reads the name every file declares without
// loading it (plugin_elf.h), loading only the one that matches. So an agent loads just the
// plugins its config uses and never runs an unrelated library. Each file is loaded at most
// once; nothing is ever unloaded. Control thread only.
#pragma once

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "plugin_host/plugin_loader.h"

namespace vigil::plugin_host {

class PluginCatalog {
 public:
  explicit PluginCatalog(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}
  // A catalog with every *.so of every directory loaded (for `vigil plugins`).
  static PluginCatalog scan(const std::vector<std::string>& dirs);

  // nullptr when no loadable plugin has that name.
  std::shared_ptr<const LoadedPlugin> find(const std::string& name);
  // The file that declares plugin `name`, read without loading it ("" when none does): for an
  // isolated instance, whose plugin only its host process loads.
  std::string locate(const std::string& name);
  // "no plugin named ... (hint)" with the list of files that failed to load.
  std::string not_found_message(const std::string& name, const std::string& kind) const;
  // Why no plugin of that name could be used, for metrics: the failure of its file NAME.so
  // ("abi", "permissions", "not_a_plugin", "init", "invalid"), else "not_found".
  std::string refusal_reason(const std::string& name) const;

  const std::map<std::string, std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  // path -> error, for files that are not loadable plugins, and duplicate names.
  const std::vector<std::pair<std::string, std::string>>& failures() const { return failures_; }
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  void load_file(const std::string& path);
  void scan_all();
  // Every *.so of the directories: directory order, then file name.
  std::vector<std::string> plugin_files() const;

  std::vector<std::string> dirs_;
  std::set<std::string> loaded_paths_;
  bool scanned_ = false;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
  std::vector<std::pair<std::string, std::string>> failures_;
  std::set<std::string> declared_;  // names read from files that were not loaded, for did-you-mean
};

}  // namespace vigil::plugin_host
