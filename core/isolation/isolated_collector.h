// IsolatedCollector: a collector instance running in a vigil-plugin-host process of its own
// (isolation = "process"), supervised from the agent (supervised_host.h: deadlines, restarts
// with backoff, the breaker, crash reports). The same plugin file runs unchanged; a crash,
// abort, hang or runaway allocation in it ends its host, never the agent.
//
// A collect gets its own deadline plus a grace of one second; the host's samples are validated
// again (metrics::normalize) and held to sample_limit, since the host runs plugin code.
//
// Threading: as plugin_host::Collector: create/start/stop on the control thread, collect() on
// one worker at a time, request_stop() from any thread.
#pragma once

#include <memory>
#include <string>

#include "isolation/supervised_host.h"
#include "plugin_host/collector_instance.h"

namespace vigil::isolation {

class IsolatedCollector final : public plugin_host::Collector {
 public:
  // Starts a host for `plugin_path` and creates the instance in it: the plugin's own refusal of
  // its settings comes back as the in-process create's would (file:line:col, plugin, reason).
  static Result<std::unique_ptr<IsolatedCollector>> create(const std::string& plugin_path,
                                                           const config::InstanceSettings& settings,
                                                           IsolationOptions options);

  Status start() override { return host_.start(); }
  plugin_host::CollectOutcome collect(int64_t deadline_mono_ns) override;
  void request_stop() override { host_.request_stop(); }
  void stop() override { host_.stop(); }
  const config::InstanceSettings& settings() const override { return host_.settings(); }
  std::string describe() const override { return host_.describe(); }

  const SupervisedHost& host() const { return host_; }
  pid_t host_pid() const { return host_.host_pid(); }
  uint64_t crashes() const { return host_.crashes(); }
  uint64_t restarts() const { return host_.restarts(); }

 private:
  IsolatedCollector(const std::string& plugin_path, const config::InstanceSettings& settings, IsolationOptions options)
      : host_(plugin_path, settings, std::move(options)) {}
  SupervisedHost host_;
};

}  // namespace vigil::isolation
