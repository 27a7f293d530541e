#include "plugin_host/plugin_loader.h"

#include <sys/stat.h>

#include <cctype>
#include <cstring>
#include <filesystem>

#include "plugin_host/instance_context.h"
#include "plugin_host/plugin_elf.h"
#include "plugin_host/plugin_file.h"
#include "plugin_host/plugin_instance.h"

namespace vigil::plugin_host {
namespace {

std::string abi_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Smallest entry the host can use: everything up to and including get_interface.
constexpr size_t kMinEntrySize = offsetof(vigil_plugin_entry_t, get_interface) + sizeof(void*);

}  // namespace

LoadedPlugin::~LoadedPlugin() {
  if (initialised && descriptor.deinit) {
    try {
      descriptor.deinit();
    } catch (...) {
    }
  }
}

Result<EntryHeader> peek_plugin(const std::string& path) {
  auto file = vet_plugin_file(path);
  if (!file.ok()) return file.status();
  return read_entry_header(file->fd(), path);
}

Result<std::shared_ptr<const LoadedPlugin>> load_plugin(const std::string& path) {
  auto file = vet_plugin_file(path);
  if (!file.ok()) return file.status();
  // Everything that decides whether to load is read from the file first: an incompatible
  // plugin, or a library that is no plugin, is refused before its constructors could run.
  auto header = read_entry_header(file->fd(), path);
  if (!header.ok()) return header.status();
  const EntryHeader& h = header.value();
  if (h.abi_major != VIGIL_ABI_MAJOR)
    return Status::error(path + ": plugin \"" + h.name + "\" was built for ABI " + abi_text(h.abi_major, h.abi_minor) +
                         ", but this vigil provides ABI " + abi_text(VIGIL_ABI_MAJOR, VIGIL_ABI_MINOR) +
                         " (rebuild the plugin against this vigil's plugin-api headers)");
  if (h.abi_minor > VIGIL_ABI_MINOR)
    // A plugin built against newer headers may call host functions this host does not have;
    // a minor is only ever added to, so an older plugin is fine and a newer one is refused.
    return Status::error(path + ": plugin \"" + h.name + "\" was built for ABI " + abi_text(h.abi_major, h.abi_minor) +
                         ", newer than this vigil's ABI " + abi_text(VIGIL_ABI_MAJOR, VIGIL_ABI_MINOR) +
                         " (upgrade vigil, or rebuild the plugin against this vigil's plugin-api headers)");
  if (h.struct_size < kMinEntrySize)
    return Status::error(path + ": entry struct_size " + std::to_string(h.struct_size) + " is smaller than " +
                         std::to_string(kMinEntrySize) + ", the minimum for ABI " + abi_text(VIGIL_ABI_MAJOR, 0) +
                         " (set struct_size = sizeof(vigil_plugin_entry_t))");
  auto lib = PluginLibrary::open(file->load_path(), path);
  if (!lib.ok()) return lib.status();
  file->pin();
  const auto* entry = static_cast<const vigil_plugin_entry_t*>(lib.value()->symbol(VIGIL_PLUGIN_ENTRY_SYMBOL));
  if (!entry || entry->abi_major != h.abi_major || entry->abi_minor != h.abi_minor ||
      entry->struct_size != h.struct_size)
    return Status::error(path + ": the loaded entry differs from the file's (a library that rewrites itself " +
                         "when loaded is not a vigil plugin)");
  auto out = std::make_shared<LoadedPlugin>();
  std::memcpy(&out->descriptor, entry, std::min<size_t>(entry->struct_size, sizeof(vigil_plugin_entry_t)));
  const auto& d = out->descriptor;
  if (!d.name || !*d.name) return Status::error(path + ": the plugin entry has no name");
  for (const char* c = d.name; *c; ++c)
    if (!(std::islower(static_cast<unsigned char>(*c)) || std::isdigit(static_cast<unsigned char>(*c)) || *c == '_'))
      return Status::error(path + ": plugin name \"" + d.name + "\" must use a-z, 0-9 and _ only");
  if (!d.get_interface) return Status::error(path + ": plugin \"" + d.name + "\" has no get_interface function");
  if (!d.provides || !d.provides[0])
    return Status::error(path + ": plugin \"" + d.name + "\" provides no interface (fill `provides`)");
  if (d.init) {
    // init() runs once per load, as a call without an instance: host->fail(NULL, ...) names why
    // it failed. deinit() runs when the last user of the plugin is gone (a clean exit).
    vigil_status st = VIGIL_E_INTERNAL;
    std::string why;
    {
      ScopedCall call(nullptr, INT64_MAX);
      try {
        st = d.init(host_table());
      } catch (...) {
        call.frame().error = "an exception escaped init() (a plugin bug: catch exceptions inside callbacks)";
      }
      why = std::move(call.frame().error);
    }
    if (st != VIGIL_OK)
      return Status::error(path + ": plugin \"" + d.name + "\" failed to initialise (" + status_name(st) +
                           "): " + (why.empty() ? "the plugin gave no reason" : why));
    out->initialised = true;
  }
  out->path = path;
  out->library = std::move(lib.value());
  out->entry = entry;
  out->name = d.name;
  out->version = d.version ? d.version : "";
  out->description = d.description ? d.description : "";
  for (const char* const* p = d.provides; *p; ++p) out->provides.emplace_back(*p);
  return std::shared_ptr<const LoadedPlugin>(std::move(out));
}

}  // namespace vigil::plugin_host
