#include "plugin_host/plugin_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace vigil::plugin_host {
namespace {

bool trusted_owner(uid_t uid) {
  return uid == 0 || uid == ::geteuid();
}

std::string owner_fix(const std::string& p) {
  return "chown root '" + p + "' (or the user vigil runs as)";
}

}  // namespace

VettedPluginFile::VettedPluginFile(std::string path, std::string real_path, int fd)
    : path_(std::move(path)), real_path_(std::move(real_path)), fd_(fd) {}

VettedPluginFile::VettedPluginFile(VettedPluginFile&& other) noexcept
    : path_(std::move(other.path_)), real_path_(std::move(other.real_path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

VettedPluginFile::~VettedPluginFile() {
  if (fd_ >= 0) ::close(fd_);
}

void VettedPluginFile::pin() {
  fd_ = -1;  // deliberately never closed
}

std::string VettedPluginFile::load_path() const {
  return "/proc/self/fd/" + std::to_string(fd_);
}

Result<VettedPluginFile> vet_plugin_file(const std::string& path) {
  const std::string refuse = path + ": refusing to load the plugin: ";
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) {
    if (errno == ENOENT)
      return Status::error(path + ": plugin file not found (check the path and [agent] plugin_dirs)");
    return Status::error(path + ": cannot resolve the plugin's path: " + std::strerror(errno));
  }
  const std::string real(resolved);
  struct stat st {};
  if (::lstat(real.c_str(), &st) != 0)
    return Status::error(path + ": plugin file not found (check the path and [agent] plugin_dirs)");
  if (!S_ISREG(st.st_mode)) return Status::error(path + ": not a regular file");
  const std::string shown = real == path ? path : real + " (the target of " + path + ")";
  if (!trusted_owner(st.st_uid))
    return Status::error(refuse + shown + " is owned by uid " + std::to_string(st.st_uid) +
                         ", neither root nor the agent's user (fix with: " + owner_fix(real) + ")");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return Status::error(refuse + shown + " is writable by group or others (fix with: chmod go-w '" + real + "')");
  // Every directory up to /: a writer there could replace the entry below it.
  namespace fs = std::filesystem;
  for (fs::path dir = fs::path(real).parent_path();; dir = dir.parent_path()) {
    struct stat d {};
    if (::stat(dir.c_str(), &d) != 0)
      return Status::error(refuse + "cannot inspect directory " + dir.string() + ": " + std::strerror(errno));
    if (!trusted_owner(d.st_uid))
      return Status::error(refuse + "directory " + dir.string() + " is owned by uid " + std::to_string(d.st_uid) +
                           ", neither root nor the agent's user (fix with: " + owner_fix(dir.string()) + ")");
    // A sticky directory lets others add entries but not rename ours, whose owner is checked.
    if ((d.st_mode & (S_IWGRP | S_IWOTH)) && !(d.st_mode & S_ISVTX))
      return Status::error(refuse + "directory " + dir.string() +
                           " is writable by group or others, who could replace the plugin (fix with: chmod go-w '" +
                           dir.string() + "')");
    if (dir == dir.root_path()) break;
  }
  // Open what was checked, and make sure it is still that file.
  const int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::error(path + ": cannot open the plugin: " + std::strerror(errno));
  VettedPluginFile file(path, real, fd);
  struct stat opened {};
  if (::fstat(fd, &opened) != 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino ||
      !trusted_owner(opened.st_uid) || (opened.st_mode & (S_IWGRP | S_IWOTH)))
    return Status::error(refuse + real + " changed while it was checked; try again");
  return file;
}

}  // namespace vigil::plugin_host
