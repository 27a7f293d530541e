// IsolatedCollector: a collector instance running in a vigil-plugin-host process of its own
// (isolation = "process"), supervised from the agent. The same plugin file runs unchanged; a
// crash, abort, hang or runaway allocation in it ends its host, never the agent.
//
// Supervision:
//   - every call has a deadline: collect()'s own plus a grace of one second, create/start/stop
//     30 s; a host past it is killed (SIGKILL) and the run is a timeout;
//   - a host that dies (a signal, an exit, a broken protocol) is restarted at a later run, after
//     1 s, then twice as long for each crash in a row up to 5 minutes; 5 crashes within 10
//     minutes open a breaker: no restart for 10 minutes;
//   - every crash is logged with the signal, the call it interrupted and the host's last output
//     lines, and counted (vigil_plugin_host_crashes_total{signal}); restarts are counted, and
//     the host's RSS is a gauge after each run;
//   - samples from the host are validated again (metrics::normalize) and held to sample_limit.
//
// Threading: as plugin_host::Collector: create/start/stop on the control thread, collect() on
// one worker at a time, request_stop() from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "config/settings.h"
#include "plugin_host/collector_instance.h"

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

class IsolatedCollector final : public plugin_host::Collector {
 public:
  // Starts a host for `plugin_path` and creates the instance in it: the plugin's own refusal of
  // its settings comes back as the in-process create's would (file:line:col, plugin, reason).
  static Result<std::unique_ptr<IsolatedCollector>> create(const std::string& plugin_path,
                                                           const config::InstanceSettings& settings,
                                                           IsolationOptions options);
  ~IsolatedCollector() override;  // stop()
  IsolatedCollector(const IsolatedCollector&) = delete;
  IsolatedCollector& operator=(const IsolatedCollector&) = delete;

  Status start() override;
  plugin_host::CollectOutcome collect(int64_t deadline_mono_ns) override;
  void request_stop() override;  // SIGUSR1 to the host: should_stop() turns true inside
  void stop() override;
  const config::InstanceSettings& settings() const override { return settings_; }
  std::string describe() const override;

  // The host's pid, or -1 while there is none (for tests and `vigil plugins`).
  pid_t host_pid() const;
  // Crashes and restarts so far.
  uint64_t crashes() const { return crashes_; }
  uint64_t restarts() const { return restarts_; }

 private:
  IsolatedCollector(std::string plugin_path, config::InstanceSettings settings, IsolationOptions options);
  // Spawns a host and creates the instance in it (and starts it when `start`). "" or why not.
  std::string launch(bool start);
  // Ends the host after a failed call: kills it if still running, reaps it, logs and counts the
  // crash and schedules the restart. Returns the sentence for the run's error.
  std::string bury(const std::string& call, const std::string& what);
  // Sends one request and waits for its reply frame until the deadline. On any failure the host
  // is buried and `error` says why.
  bool call(uint16_t type, const std::string& payload, int64_t deadline_mono_ns, uint16_t reply_type,
            std::string& reply, std::string& error, const std::string& call_name);

  std::string plugin_path_;
  config::InstanceSettings settings_;
  IsolationOptions options_;
  mutable std::mutex proc_mu_;         // guards host_'s pid against reaping while signalled
  std::unique_ptr<HostProcess> host_;  // null while down
  bool want_started_ = false;
  int crashes_in_a_row_ = 0;
  std::chrono::steady_clock::time_point next_launch_{};
  std::deque<std::chrono::steady_clock::time_point> recent_crashes_;
  std::string last_crash_;
  uint64_t crashes_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace vigil::isolation
