// Vetting a plugin file before any of its code can run, the way sudo and OpenSSH vet what they
// trust: the file and every directory above it (after resolving symlinks) are owned by root or
// by the agent's own user, and no one else can replace them. The vetted file is then opened
// once, and that open file (not the path, which could be swapped meanwhile) is what is loaded.
#pragma once

#include <string>

#include "base/status.h"

namespace vigil::plugin_host {

class VettedPluginFile {
 public:
  VettedPluginFile(VettedPluginFile&& other) noexcept;
  VettedPluginFile& operator=(VettedPluginFile&&) = delete;
  VettedPluginFile(const VettedPluginFile&) = delete;
  ~VettedPluginFile();

  // The path as configured, for messages.
  const std::string& path() const { return path_; }
  // The file's real path (symlinks resolved).
  const std::string& real_path() const { return real_path_; }
  // A path naming the open file itself ("/proc/self/fd/N"), for dlopen().
  std::string load_path() const;
  int fd() const { return fd_; }
  // Keeps the descriptor open for the life of the process, once dlopen() took the file: the
  // loader knows a library by the path it was opened with, so were N reused, a later
  // dlopen("/proc/self/fd/N") would return this library again. Libraries are never unloaded.
  void pin();

 private:
  friend Result<VettedPluginFile> vet_plugin_file(const std::string& path);
  VettedPluginFile(std::string path, std::string real_path, int fd);
  std::string path_, real_path_;
  int fd_ = -1;
};

// Refuses, with the component at fault and the command that fixes it: a missing or non-regular
// file; a file or directory owned by another user; one writable by group or others (a
// world-writable directory with the sticky bit, such as /tmp, is accepted above an entry owned
// by root or the agent's user, since nobody else can rename that entry).
Result<VettedPluginFile> vet_plugin_file(const std::string& path);

}  // namespace vigil::plugin_host
