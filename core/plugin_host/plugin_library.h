// PluginLibrary: one loaded shared object (RAII over Boost.DLL, the only TU that includes it).
//
// Loaded with RTLD_NOW | RTLD_LOCAL: a missing symbol fails at load time, and plugin symbols
// never leak into each other or the host. Libraries are never unloaded while the agent runs:
// the catalog keeps every PluginLibrary alive until exit (code may still be referenced by
// threads a misbehaving plugin left behind).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace vigil::plugin_host {

class PluginLibrary {
 public:
  // Loads `load_path` (e.g. /proc/self/fd/N of a vetted file); `path` names it in messages.
  static Result<std::shared_ptr<PluginLibrary>> open(const std::string& load_path, const std::string& path);
  ~PluginLibrary();

  // The address of a data or function symbol, or nullptr when absent.
  const void* symbol(const char* name) const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  PluginLibrary(std::string path, std::unique_ptr<Impl> impl);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::plugin_host
