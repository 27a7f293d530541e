// The systemd notify protocol (sd_notify(3)), without libsystemd: one datagram per message to the
// unix socket named by $NOTIFY_SOCKET ('@' for the abstract namespace). A Type=notify unit learns
// that vigil is ready (READY=1), reloading (RELOADING=1 ... READY=1), stopping (STOPPING=1) and
// alive: WATCHDOG=1 at half of WatchdogSec when $WATCHDOG_USEC names this process. Outside
// systemd (no $NOTIFY_SOCKET) nothing is sent.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::app {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID; null when not run by systemd.
  static std::unique_ptr<ServiceNotifier> from_environment();
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Sends "KEY=VALUE\n..." as one datagram. [ts]
  Status send(std::string_view message);
  // How often to send WATCHDOG=1: half the watchdog timeout; zero without a watchdog.
  std::chrono::microseconds watchdog_interval() const { return watchdog_interval_; }
  const std::string& socket_path() const { return path_; }

 private:
  ServiceNotifier() = default;
  int fd_ = -1;
  std::string path_;
  std::chrono::microseconds watchdog_interval_{0};
};

// RELOADING=1 with the monotonic time systemd 253+ asks for.
std::string reloading_message();

}  // namespace vigil::app
