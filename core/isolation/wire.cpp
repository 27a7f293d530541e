#include "isolation/wire.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <limits>

namespace vigil::isolation {
namespace {

int64_t now_mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Waits until fd is ready for `events` or the deadline passes. 1: ready, 0: timeout, -1: error.
int wait_for(int fd, short events, int64_t deadline_mono_ns) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline_mono_ns != std::numeric_limits<int64_t>::max()) {
      const int64_t left = deadline_mono_ns - now_mono_ns();
      if (left <= 0) return 0;
      // Rounded up, so a wait never ends just before the deadline and spins.
      timeout_ms = static_cast<int>(std::min<int64_t>((left + 999'999) / 1'000'000, 1'000'000'000));
    }
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return 1;   // ready, or hung up / in error: the read or write that follows says which
    if (r == 0) continue;  // the deadline check above decides
    if (errno != EINTR) return -1;
  }
}

enum class Fill { done, closed_at_start, closed_inside, timeout, error };

// Reads exactly n bytes into p.
Fill read_exact(int fd, char* p, size_t n, int64_t deadline_mono_ns, std::string& error) {
  size_t got = 0;
  while (got < n) {
    const int w = wait_for(fd, POLLIN, deadline_mono_ns);
    if (w == 0) return Fill::timeout;
    if (w < 0) {
      error = std::strerror(errno);
      return Fill::error;
    }
    const ssize_t r = ::recv(fd, p + got, n - got, MSG_DONTWAIT);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      return got == 0 ? Fill::closed_at_start : Fill::closed_inside;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      if (errno == ECONNRESET) return got == 0 ? Fill::closed_at_start : Fill::closed_inside;
      error = std::strerror(errno);
      return Fill::error;
    }
  }
  return Fill::done;
}

}  // namespace

void Encoder::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out_.append(s.data(), s.size());
}

bool Decoder::str(std::string& v) {
  uint32_t n = 0;
  if (!u32(n)) return false;
  if (in_.size() - pos_ < n) {
    failed_ = true;
    return false;
  }
  v.assign(in_.data() + pos_, n);
  pos_ += n;
  return true;
}

bool Decoder::count(size_t& n, size_t min_item_size) {
  uint32_t c = 0;
  if (!u32(c)) return false;
  if (min_item_size > 0 && c > (in_.size() - pos_) / min_item_size) {
    failed_ = true;
    return false;
  }
  n = c;
  return true;
}

ReadOutcome read_frame(int fd, size_t max_payload, int64_t deadline_mono_ns) {
  ReadOutcome out;
  char header[kFrameHeaderSize];
  switch (read_exact(fd, header, sizeof header, deadline_mono_ns, out.error)) {
    case Fill::done: break;
    case Fill::closed_at_start:
      out.kind = ReadOutcome::Kind::closed;
      out.error = "the plugin host closed the connection";
      return out;
    case Fill::closed_inside:
      out.kind = ReadOutcome::Kind::malformed;
      out.error = "the plugin host closed the connection inside a frame header";
      return out;
    case Fill::timeout:
      out.kind = ReadOutcome::Kind::timeout;
      out.error = "no answer from the plugin host before the deadline";
      return out;
    case Fill::error:
      out.kind = ReadOutcome::Kind::io_error;
      out.error = "reading from the plugin host failed: " + out.error;
      return out;
  }
  uint32_t length = 0;
  uint16_t type = 0, reserved = 0;
  std::memcpy(&length, header, 4);
  std::memcpy(&type, header + 4, 2);
  std::memcpy(&reserved, header + 6, 2);
  if (reserved != 0 || length > max_payload) {
    out.kind = ReadOutcome::Kind::malformed;
    out.error = reserved != 0 ? "a frame header with its reserved field set (not the plugin host's protocol)"
                              : "a frame of " + std::to_string(length) + " bytes, more than the limit of " +
                                    std::to_string(max_payload);
    return out;
  }
  out.frame.type = type;
  out.frame.payload.resize(length);
  switch (read_exact(fd, out.frame.payload.data(), length, deadline_mono_ns, out.error)) {
    case Fill::done: return out;
    case Fill::closed_at_start:
    case Fill::closed_inside:
      out.kind = ReadOutcome::Kind::malformed;
      out.error = "the plugin host closed the connection inside a frame";
      break;
    case Fill::timeout:
      out.kind = ReadOutcome::Kind::timeout;
      out.error = "a frame from the plugin host did not arrive whole before the deadline";
      break;
    case Fill::error:
      out.kind = ReadOutcome::Kind::io_error;
      out.error = "reading from the plugin host failed: " + out.error;
      break;
  }
  out.frame = {};
  return out;
}

std::string write_frame(int fd, uint16_t type, std::string_view payload, int64_t deadline_mono_ns) {
  if (payload.size() > std::numeric_limits<uint32_t>::max()) return "a frame too large to send";
  char header[kFrameHeaderSize] = {};
  const auto length = static_cast<uint32_t>(payload.size());
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &type, 2);
  const std::string_view parts[2] = {std::string_view(header, sizeof header), payload};
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const int w = wait_for(fd, POLLOUT, deadline_mono_ns);
      if (w == 0) return "the plugin host did not take a frame before the deadline";
      if (w < 0) return std::string("writing to the plugin host failed: ") + std::strerror(errno);
      // MSG_NOSIGNAL: a peer that is gone is an error here, never a SIGPIPE. MSG_DONTWAIT: a
      // blocking socket takes what fits and returns, so the deadline holds for a large frame.
      const ssize_t r = ::send(fd, part.data(), part.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (r >= 0) {
        part.remove_prefix(static_cast<size_t>(r));
      } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        return std::string("writing to the plugin host failed: ") + std::strerror(errno);
      }
    }
  }
  return "";
}

}  // namespace vigil::isolation
