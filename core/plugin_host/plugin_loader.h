// Loading one plugin file: the file vetted (plugin_file.h) and loaded as the very file that was
// vetted, then the entry symbol, ABI negotiation and descriptor validation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <vigil/plugin.h>

#include "base/status.h"
#include "plugin_host/plugin_elf.h"
#include "plugin_host/plugin_library.h"

namespace vigil::plugin_host {

struct LoadedPlugin {
  LoadedPlugin() = default;
  ~LoadedPlugin();  // deinit(), when init() succeeded
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  std::string path;
  std::shared_ptr<PluginLibrary> library;  // keeps entry alive
  const vigil_plugin_entry_t* entry = nullptr;
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> provides;
  // The entry copied into a zeroed host-sized struct, so fields a plugin built against an
  // older minor lacks read as NULL.
  vigil_plugin_entry_t descriptor{};
  bool initialised = false;  // init() returned OK: deinit() is owed
};

Result<std::shared_ptr<const LoadedPlugin>> load_plugin(const std::string& path);

// What a plugin file declares (vetted, read from the file; nothing of it runs).
Result<EntryHeader> peek_plugin(const std::string& path);

}  // namespace vigil::plugin_host
