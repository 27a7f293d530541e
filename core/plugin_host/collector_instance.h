// CollectorInstance: one configured instance of a collector plugin. The public methods do the
// host's share (schema checks, timing, error capture, the exception barrier, sample hand-off)
// and then call the plugin.
//
// Threading: create/start/stop/destroy on the control thread; collect() on one worker at a
// time (the scheduler never overlaps runs); request_stop() from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "metrics/sample.h"
#include "plugin_host/plugin_loader.h"

struct vigil_ctx;

namespace vigil::plugin_host {

struct CollectOutcome {
  enum class Result { ok, error, timeout };
  Result result = Result::ok;
  std::string error;                     // the plugin's message, with plugin and alias
  std::vector<metrics::Sample> samples;  // what the run emitted (valid samples only)
  uint64_t invalid_samples = 0;
  double seconds = 0;
};

class CollectorInstance {
 public:
  // Checks the table against the plugin's schema, then calls the plugin's create(). Every
  // problem is reported (file:line:col, plugin, reason).
  static Result<std::unique_ptr<CollectorInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                           const config::InstanceSettings& settings);
  ~CollectorInstance();  // stop() then the plugin's destroy()
  CollectorInstance(const CollectorInstance&) = delete;
  CollectorInstance& operator=(const CollectorInstance&) = delete;

  Status start();
  CollectOutcome collect(int64_t deadline_mono_ns);
  void request_stop();  // makes should_stop() true for the plugin
  void stop();

  const config::InstanceSettings& settings() const { return settings_; }
  const std::string& plugin_name() const { return settings_.plugin; }
  const std::string& alias() const { return settings_.alias; }
  // "collector system (alias system, /usr/lib/vigil/plugins/system.so)"
  std::string describe() const;

 private:
  CollectorInstance(std::shared_ptr<const LoadedPlugin> plugin, config::InstanceSettings settings);

  std::shared_ptr<const LoadedPlugin> plugin_;
  config::InstanceSettings settings_;
  const vigil_collector_v1* vtable_ = nullptr;
  vigil_collector_v1 table_{};  // the plugin's vtable copied into a zeroed host-sized struct
  std::unique_ptr<vigil_ctx> ctx_;
  vigil_instance* instance_ = nullptr;
  bool started_ = false;
};

}  // namespace vigil::plugin_host
