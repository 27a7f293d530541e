// What a plugin file says it is, read from the file itself (ELF) without loading it: the fixed
// header of its vigil_plugin_entry (ABI version, entry size, name). dlopen() runs a library's
// constructors before any symbol can be looked up, so this read is what lets the host refuse an
// incompatible plugin, or a library that is no plugin at all, without running a byte of it.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace vigil::plugin_host {

struct EntryHeader {
  uint16_t abi_major = 0, abi_minor = 0;
  uint32_t struct_size = 0;
  std::string name;  // "?" when the file does not let it be read without loading
};

// Reads the header of `fd`'s vigil_plugin_entry. Errors name `path` and what the file is
// instead: not an ELF shared object for this machine, or no vigil_plugin_entry symbol.
Result<EntryHeader> read_entry_header(int fd, const std::string& path);

}  // namespace vigil::plugin_host
