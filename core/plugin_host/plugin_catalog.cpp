#include "plugin_host/plugin_catalog.h"

#include <algorithm>
#include <filesystem>

#include "config/key_suggestion.h"

namespace vigil::plugin_host {

void PluginCatalog::load_file(const std::string& f) {
  if (!loaded_paths_.insert(f).second) return;
  auto p = load_plugin(f);
  if (!p.ok()) {
    failures_.emplace_back(f, p.message());
    return;
  }
  const auto& name = p.value()->name;
  if (auto it = plugins_.find(name); it != plugins_.end()) {
    failures_.emplace_back(f, f + ": plugin \"" + name + "\" is also provided by " + it->second->path +
                                  ", which is used (remove one of them)");
    return;
  }
  plugins_.emplace(name, std::move(p.value()));
}

void PluginCatalog::scan_all() {
  if (scanned_) return;
  scanned_ = true;
  // Directory order decides which file wins a duplicate name, so plugin_dirs can override
  // bundled plugins.
  for (const auto& f : plugin_files()) load_file(f);
}

std::vector<std::string> PluginCatalog::plugin_files() const {
  namespace fs = std::filesystem;
  std::vector<std::string> all;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".so") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    all.insert(all.end(), files.begin(), files.end());
  }
  return all;
}

PluginCatalog PluginCatalog::scan(const std::vector<std::string>& dirs) {
  PluginCatalog c(dirs);
  c.scan_all();
  return c;
}

std::shared_ptr<const LoadedPlugin> PluginCatalog::find(const std::string& name) {
  namespace fs = std::filesystem;
  if (auto it = plugins_.find(name); it != plugins_.end()) return it->second;
  for (const auto& dir : dirs_) {
    const fs::path hint = fs::path(dir) / (name + ".so");
    std::error_code ec;
    if (!fs::exists(hint, ec)) continue;
    // The file name is only a hint: a file declaring another name is not loaded for this one.
    if (auto header = peek_plugin(hint.string()); header.ok() && header->name != name) continue;
    load_file(hint.string());
    if (auto it = plugins_.find(name); it != plugins_.end()) return it->second;
  }
  // A plugin whose file is named otherwise: found by the name its file declares, read without
  // loading, so looking up one plugin never runs another library's code.
  for (const auto& f : plugin_files()) {
    if (loaded_paths_.count(f)) continue;
    auto header = peek_plugin(f);
    if (!header.ok()) {
      loaded_paths_.insert(f);
      failures_.emplace_back(f, header.message());
      continue;
    }
    declared_.insert(header->name);
    if (header->name != name) continue;
    load_file(f);
    if (auto it = plugins_.find(name); it != plugins_.end()) return it->second;
  }
  return nullptr;
}

std::string PluginCatalog::locate(const std::string& name) {
  namespace fs = std::filesystem;
  if (auto it = plugins_.find(name); it != plugins_.end()) return it->second->path;
  for (const auto& dir : dirs_) {
    const fs::path hint = fs::path(dir) / (name + ".so");
    std::error_code ec;
    if (!fs::exists(hint, ec)) continue;
    if (auto header = peek_plugin(hint.string()); header.ok() && header->name == name) return hint.string();
  }
  for (const auto& f : plugin_files()) {
    auto header = peek_plugin(f);
    if (!header.ok()) continue;
    declared_.insert(header->name);
    if (header->name == name) return f;
  }
  return "";
}

std::string PluginCatalog::refusal_reason(const std::string& name) const {
  for (const auto& [file, err] : failures_) {
    if (std::filesystem::path(file).stem().string() != name) continue;
    if (err.find("was built for ABI") != std::string::npos || err.find("struct_size") != std::string::npos)
      return "abi";
    if (err.find("refusing to load") != std::string::npos) return "permissions";
    if (err.find("no \"vigil_plugin_entry\" symbol") != std::string::npos) return "not_a_plugin";
    if (err.find("failed to initialise") != std::string::npos) return "init";
    return "invalid";
  }
  return "not_found";
}

std::string PluginCatalog::not_found_message(const std::string& name, const std::string& kind) const {
  std::vector<std::string> names(declared_.begin(), declared_.end());
  for (const auto& [n, p] : plugins_) names.push_back(n);
  std::string dirs;
  for (const auto& d : dirs_) dirs += (dirs.empty() ? "" : ", ") + d;
  std::string msg = "no " + kind + " plugin named \"" + name + "\" in the plugin directories (" + dirs + ")" +
                    config::did_you_mean(name, names) + "; `vigil plugins` lists what is available";
  for (const auto& [file, err] : failures_) msg += "\n  not loadable: " + err;
  return msg;
}

}  // namespace vigil::plugin_host
