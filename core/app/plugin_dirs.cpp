#include "app/plugin_dirs.h"

#include <unistd.h>

#include <filesystem>

namespace vigil::app {

std::vector<std::string> bundled_plugin_dirs() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path dir = exe.parent_path();
  std::vector<std::string> out{(dir / "plugins").string()};
  const fs::path installed = (dir / ".." / "lib" / "vigil" / "plugins").lexically_normal();
  out.push_back(installed.string());
  return out;
}

std::vector<std::string> plugin_search_path(const config::Settings& settings) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  const fs::path base = fs::path(settings.source_file).parent_path();
  for (const auto& d : settings.agent.plugin_dirs) {
    fs::path p(d);
    if (p.is_relative() && !base.empty()) p = base / p;
    out.push_back(p.lexically_normal().string());
  }
  for (auto& d : bundled_plugin_dirs()) out.push_back(std::move(d));
  return out;
}

}  // namespace vigil::app
