// SupervisedHost: one plugin instance in a vigil-plugin-host process of its own, and everything
// the agent does to keep that process honest. IsolatedCollector and IsolatedNotifier are thin
// layers over it that turn their calls into requests (protocol.h).
//
// Supervision:
//   - every call has a deadline (the caller's; create/start 30 s, stop 10 s); a host past it is
//     killed (SIGKILL);
//   - a host that dies (a signal, an exit, a broken protocol) is restarted at a later call, after
//     1 s, then twice as long for each crash in a row up to 5 minutes; 5 crashes within 10
//     minutes open a breaker: no restart for 10 minutes;
//   - every crash is logged with the signal, the call it interrupted and the host's last output
//     lines, counted (vigil_plugin_host_crashes_total{kind,plugin,alias,signal}) and kept in the
//     instance's crash history; restarts are counted, and the host's RSS is a gauge;
//   - the host's stdout and stderr are the instance's log lines in the agent's log.
//
// Threading: launch/start/stop on the control thread; call() from one thread at a time (the
// instance's worker); request_stop() and host_pid() from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"

namespace vigil::metrics {
class AgentMetrics;
}

namespace vigil::isolation {

struct HostProcess;

struct IsolationOptions {
  std::string host_path;  // the vigil-plugin-host executable
  std::string log_level = "info";
  uint64_t memory_limit = 0;  // bytes of address space for the host; 0: no limit
  metrics::AgentMetrics* metrics = nullptr;
  std::chrono::nanoseconds first_backoff = std::chrono::seconds(1);
  std::chrono::nanoseconds max_backoff = std::chrono::minutes(5);
  int breaker_crashes = 5;
  std::chrono::nanoseconds breaker_window = std::chrono::minutes(10);
  std::chrono::nanoseconds breaker_open = std::chrono::minutes(10);
};

// The vigil-plugin-host beside the running executable ("" when there is none).
std::string default_host_path();

// One crash of a host, as kept in the instance's history (newest last, at most 20).
struct HostCrash {
  std::chrono::system_clock::time_point at;
  std::string call;    // "collect", "deliver", ...
  std::string reason;  // what the agent saw: a timeout, a closed socket, a broken frame
  std::string host;    // how the process ended: "killed by signal 11 (SIGSEGV)"
  std::string signal;  // "SIGSEGV", or "none"
  std::string last_output;
};

class SupervisedHost {
 public:
  // `kind` is settings.kind ("collector", "notifier"); nothing runs until launch().
  SupervisedHost(std::string plugin_path, config::InstanceSettings settings, IsolationOptions options);
  ~SupervisedHost();  // stop()
  SupervisedHost(const SupervisedHost&) = delete;
  SupervisedHost& operator=(const SupervisedHost&) = delete;

  // Spawns a host and creates the instance in it (and starts it when `start`). "" or why not:
  // the plugin's own refusal of its settings reads as the in-process create's would.
  std::string launch(bool start);
  Status start();
  // Before a call: a host that is down is restarted once its backoff has passed. "" when a host
  // runs; else why not ("... restart in 3 s"). Restarts are logged and counted.
  std::string ensure_running();
  // Sends one request and waits for its reply frame of `reply_type` until the deadline. On any
  // failure the host is buried and `error` says why.
  bool call(uint16_t type, const std::string& payload, int64_t deadline_mono_ns, uint16_t reply_type,
            std::string& reply, std::string& error, const std::string& call_name);
  // Ends the host after a failed call: kills it if still running, reaps it, logs, counts and
  // records the crash and schedules the restart. Returns the sentence for the call's error.
  std::string bury(const std::string& call, const std::string& what);
  // The call went through: the crash streak ends and the host's RSS is published.
  void call_succeeded();
  void request_stop();  // SIGUSR1 to the host: should_stop() turns true inside
  void stop();

  const config::InstanceSettings& settings() const { return settings_; }
  const std::string& plugin_path() const { return plugin_path_; }
  std::string describe() const;
  pid_t host_pid() const;  // -1 while there is none
  uint64_t crashes() const;
  uint64_t restarts() const;
  std::vector<HostCrash> crash_history() const;

 private:
  std::string plugin_path_;
  config::InstanceSettings settings_;
  IsolationOptions options_;
  mutable std::mutex proc_mu_;         // guards host_'s pid against reaping while signalled, and the counters
  std::unique_ptr<HostProcess> host_;  // null while down
  bool want_started_ = false;
  int crashes_in_a_row_ = 0;
  std::chrono::steady_clock::time_point next_launch_{};
  std::deque<std::chrono::steady_clock::time_point> recent_crashes_;
  std::deque<HostCrash> history_;
  std::string last_crash_;
  uint64_t crashes_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace vigil::isolation
