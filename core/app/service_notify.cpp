#include "app/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vigil::app {

std::unique_ptr<ServiceNotifier> ServiceNotifier::from_environment() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return nullptr;
  std::unique_ptr<ServiceNotifier> n(new ServiceNotifier());
  n->path_ = path;
  n->fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  const bool ours = !pid || !*pid || std::strtoll(pid, nullptr, 10) == static_cast<long long>(::getpid());
  if (usec && *usec && ours) {
    const long long us = std::strtoll(usec, nullptr, 10);
    if (us > 0) n->watchdog_interval_ = std::chrono::microseconds(us / 2);
  }
  return n;
}

ServiceNotifier::~ServiceNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

Status ServiceNotifier::send(std::string_view message) {
  if (fd_ < 0) return Status::error("notify socket: " + std::string(std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path || (path_[0] != '/' && path_[0] != '@'))
    return Status::error("NOTIFY_SOCKET \"" + path_ + "\" is not a socket path or an abstract name");
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  if (path_[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  if (::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len) < 0)
    return Status::error("cannot notify systemd at " + path_ + ": " + std::strerror(errno));
  return {};
}

std::string reloading_message() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace vigil::app
