#include "plugin_host/plugin_elf.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include <vigil/plugin.h>

namespace vigil::plugin_host {
namespace {

// Reads exactly n bytes at off; false past the end of the file or on an error.
bool read_at(int fd, uint64_t off, void* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, static_cast<char*>(out) + got, n - got, static_cast<off_t>(off + got));
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

template <class T>
std::optional<std::vector<T>> read_table(int fd, uint64_t off, uint64_t count, uint64_t file_size) {
  if (count > file_size / sizeof(T) || off > file_size || count * sizeof(T) > file_size - off) return std::nullopt;
  std::vector<T> v(count);
  if (count && !read_at(fd, off, v.data(), count * sizeof(T))) return std::nullopt;
  return v;
}

constexpr uint32_t kRelativeRelocations[] = {R_X86_64_RELATIVE, R_AARCH64_RELATIVE};
constexpr uint16_t kMaxTables = 4096;  // sections or program headers

}  // namespace

Result<EntryHeader> read_entry_header(int fd, const std::string& path) {
  const auto not_shared = [&](const std::string& why) {
    return Status::error(path + ": not a shared library for this machine (" + why +
                         "); a plugin is built with vigil_add_plugin() from the VigilPluginApi package");
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return not_shared("cannot be read");
  const auto size = static_cast<uint64_t>(st.st_size);
  Elf64_Ehdr eh{};
  if (!read_at(fd, 0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return not_shared("no ELF header");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_DYN)
    return not_shared("not a 64-bit little-endian shared object");
#if defined(__x86_64__)
  if (eh.e_machine != EM_X86_64) return not_shared("built for another CPU");
#elif defined(__aarch64__)
  if (eh.e_machine != EM_AARCH64) return not_shared("built for another CPU");
#endif
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_phentsize != sizeof(Elf64_Phdr))
    return not_shared("unexpected ELF table sizes");
  // Real libraries have a few dozen of each; a crafted file must not make the reader loop.
  if (eh.e_shnum > kMaxTables || eh.e_phnum > kMaxTables) return not_shared("too many ELF sections");
  const auto sections = read_table<Elf64_Shdr>(fd, eh.e_shoff, eh.e_shnum, size);
  const auto segments = read_table<Elf64_Phdr>(fd, eh.e_phoff, eh.e_phnum, size);
  if (!sections || !segments) return not_shared("damaged ELF tables");

  // Where a virtual address lies in the file (file-backed part of a loaded segment).
  const auto file_offset = [&](uint64_t vaddr, uint64_t n) -> std::optional<uint64_t> {
    for (const auto& ph : *segments) {
      if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr) continue;
      const uint64_t off = vaddr - ph.p_vaddr;
      if (off <= ph.p_filesz && n <= ph.p_filesz - off) return ph.p_offset + off;
    }
    return std::nullopt;
  };

  // The entry symbol, in the dynamic symbol table (the one dlsym() would search).
  // Only the first one counts, as for the dynamic loader; each table is read once.
  std::optional<uint64_t> entry_vaddr;
  const auto dynsym = std::find_if(sections->begin(), sections->end(), [](const Elf64_Shdr& sh) {
    return sh.sh_type == SHT_DYNSYM && sh.sh_entsize == sizeof(Elf64_Sym);
  });
  if (dynsym != sections->end() && dynsym->sh_link < sections->size()) {
    const auto syms = read_table<Elf64_Sym>(fd, dynsym->sh_offset, dynsym->sh_size / sizeof(Elf64_Sym), size);
    const auto strtab =
        read_table<char>(fd, (*sections)[dynsym->sh_link].sh_offset, (*sections)[dynsym->sh_link].sh_size, size);
    if (!syms || !strtab) return not_shared("damaged symbol table");
    constexpr std::string_view kName = VIGIL_PLUGIN_ENTRY_SYMBOL;
    for (const auto& sym : *syms) {
      if (sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab->size() || strtab->size() - sym.st_name <= kName.size())
        continue;
      if (std::string_view(strtab->data() + sym.st_name, kName.size() + 1) ==
          std::string_view(kName.data(), kName.size() + 1)) {
        entry_vaddr = sym.st_value;
        break;
      }
    }
  }
  if (!entry_vaddr)
    return Status::error(path +
                         ": no \"vigil_plugin_entry\" symbol; not a vigil plugin, or built without "
                         "VIGIL_EXPORT (build it with vigil_add_plugin() from the VigilPluginApi package)");
  struct {
    uint16_t major, minor;
    uint32_t size;
  } head{};
  static_assert(sizeof head == offsetof(vigil_plugin_entry_t, name));
  const auto at = file_offset(*entry_vaddr, sizeof head + sizeof(uint64_t));
  if (!at || !read_at(fd, *at, &head, sizeof head)) return not_shared("the entry symbol lies outside the file");
  EntryHeader out{head.major, head.minor, head.size, "?"};

  // The name is a pointer, filled in by a relative relocation at load time: its target is the
  // relocation's addend (or, without one, the value stored in place).
  const uint64_t name_slot = *entry_vaddr + offsetof(vigil_plugin_entry_t, name);
  uint64_t name_vaddr = 0;
  if (!read_at(fd, *at + offsetof(vigil_plugin_entry_t, name), &name_vaddr, sizeof name_vaddr)) name_vaddr = 0;
  int rela_tables = 0;
  bool found = false;
  for (const auto& sh : *sections) {
    if (found || sh.sh_type != SHT_RELA || sh.sh_entsize != sizeof(Elf64_Rela) || ++rela_tables > 8) continue;
    const auto relocs = read_table<Elf64_Rela>(fd, sh.sh_offset, sh.sh_size / sizeof(Elf64_Rela), size);
    if (!relocs) continue;
    for (const auto& r : *relocs) {
      if (r.r_offset != name_slot) continue;
      for (uint32_t type : kRelativeRelocations)
        if (ELF64_R_TYPE(r.r_info) == type) name_vaddr = static_cast<uint64_t>(r.r_addend), found = true;
      if (found) break;
    }
  }
  if (name_vaddr) {
    char name[65] = {};
    for (size_t n = 64; n > 0; n /= 2) {  // the string may end near the end of its segment
      if (const auto off = file_offset(name_vaddr, n); off && read_at(fd, *off, name, n)) {
        name[n] = '\0';
        out.name = std::string(name, ::strnlen(name, n));
        break;
      }
    }
  }
  return out;
}

}  // namespace vigil::plugin_host
