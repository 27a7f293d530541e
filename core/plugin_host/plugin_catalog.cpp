#include "plugin_host/plugin_catalog.h"

#include <algorithm>
#include <filesystem>

#include "config/key_suggestion.h"

namespace vigil::plugin_host {

PluginCatalog PluginCatalog::scan(const std::vector<std::string>& dirs) {
  namespace fs = std::filesystem;
  PluginCatalog c;
  c.dirs_ = dirs;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".so") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto p = load_plugin(f);
      if (!p.ok()) {
        c.failures_.emplace_back(f, p.message());
        continue;
      }
      const auto& name = p.value()->name;
      if (auto it = c.plugins_.find(name); it != c.plugins_.end()) {
        // The first directory wins, so plugin_dirs can override bundled plugins.
        c.failures_.emplace_back(f, f + ": plugin \"" + name + "\" is also provided by " + it->second->path +
                                        ", which is used (remove one of them)");
        continue;
      }
      c.plugins_.emplace(name, std::move(p.value()));
    }
  }
  return c;
}

std::shared_ptr<const LoadedPlugin> PluginCatalog::find(const std::string& name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

std::string PluginCatalog::not_found_message(const std::string& name, const std::string& kind) const {
  std::vector<std::string> names;
  for (const auto& [n, p] : plugins_) names.push_back(n);
  std::string dirs;
  for (const auto& d : dirs_) dirs += (dirs.empty() ? "" : ", ") + d;
  std::string msg = "no " + kind + " plugin named \"" + name + "\" in the plugin directories (" + dirs + ")" +
                    config::did_you_mean(name, names) + "; `vigil plugins` lists what is available";
  for (const auto& [file, err] : failures_) msg += "\n  not loadable: " + err;
  return msg;
}

}  // namespace vigil::plugin_host
