#include "plugin_host/plugin_library.h"

#define BOOST_DLL_USE_STD_FS 1
#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>

namespace vigil::plugin_host {

struct PluginLibrary::Impl {
  boost::dll::shared_library lib;
};

PluginLibrary::PluginLibrary(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

PluginLibrary::~PluginLibrary() = default;

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const std::string& load_path, const std::string& path) {
  auto impl = std::make_unique<Impl>();
  boost::dll::fs::error_code ec;
  // RTLD_NODELETE: the code stays mapped even if a handle is closed, because a hung plugin
  // thread may still be running in it at shutdown.
  const auto mode = static_cast<boost::dll::load_mode::type>(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  impl->lib.load(load_path, ec, mode);
  if (ec) {
    // Boost's error_code loses the loader's text; ask dlopen once more for it.
    std::string detail = ec.message();
    if (void* h = dlopen(load_path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) {
      dlclose(h);
    } else if (const char* e = dlerror()) {
      detail = e;
    }
    if (const auto at = detail.find(load_path); at != std::string::npos) detail.replace(at, load_path.size(), path);
    return Status::error(path + ": cannot load the library: " + detail +
                         " (is it a shared library built for this machine, with all its dependencies installed?)");
  }
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(path, std::move(impl)));
}

const void* PluginLibrary::symbol(const char* name) const {
  if (!impl_->lib.has(name)) return nullptr;
  return &impl_->lib.get<const char>(name);
}

}  // namespace vigil::plugin_host
