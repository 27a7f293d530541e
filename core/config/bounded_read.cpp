#include "config/bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::config {
namespace {

std::string human(uint64_t bytes) {
  if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<std::string> read_bounded_file(const std::string& path, uint64_t max_bytes, std::string_view what,
                                      FileSource source, FileFacts* facts) {
  const std::string name = std::string(what) + " " + path;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Status::error(name + " cannot be opened: " + std::strerror(errno) + " (check the path)");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::error(name + " cannot be read: " + std::strerror(errno));
  const bool stream = source == FileSource::regular_or_stream && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
  if (!S_ISREG(st.st_mode) && !stream)
    return Status::error(name + " is not a regular file (devices, FIFOs and directories are refused)");
  if (stream) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // wait for the writer's data
  if (facts) *facts = FileFacts{st.st_uid, st.st_mode, S_ISREG(st.st_mode)};
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Status::error(name + " is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                         human(max_bytes) + " (is it the right file?)");
  std::string out;
  out.resize(static_cast<size_t>(st.st_size) + 1);  // one byte more notices a file that grew
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(name + " cannot be read: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got > max_bytes) return Status::error(name + " grew past the limit of " + human(max_bytes) + " while read");
    if (got == out.size() && got <= max_bytes) out.resize(std::min<uint64_t>(max_bytes + 1, out.size() * 2));
  }
  out.resize(got);
  return out;
}

}  // namespace vigil::config
