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
#include "plugin_host/plugin_instance.h"

namespace vigil::plugin_host {

struct CollectOutcome {
  enum class Result { ok, error, timeout };
  Result result = Result::ok;
  std::string error;                     // the plugin's message, with plugin and alias
  std::vector<metrics::Sample> samples;  // what the run emitted (valid samples only)
  uint64_t invalid_samples = 0;
  bool over_sample_limit = false;  // more samples than sample_limit: all dropped, result error
  double seconds = 0;
};

// A running collector instance as the scheduler sees it: in this process (CollectorInstance)
// or in a host process of its own (isolation::IsolatedCollector). Threading as above.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual Status start() = 0;
  virtual CollectOutcome collect(int64_t deadline_mono_ns) = 0;
  virtual void request_stop() = 0;
  virtual void stop() = 0;
  virtual const config::InstanceSettings& settings() const = 0;
  // "collector system (alias system, /usr/lib/vigil/plugins/system.so)"
  virtual std::string describe() const = 0;
  const std::string& plugin_name() const { return settings().plugin; }
  const std::string& alias() const { return settings().alias; }
};

class CollectorInstance final : public Collector {
 public:
  // Checks the table against the plugin's schema, then calls the plugin's create(). Every
  // problem is reported (file:line:col, plugin, reason).
  static Result<std::unique_ptr<CollectorInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                           const config::InstanceSettings& settings);
  Status start() override { return base_->start(); }
  CollectOutcome collect(int64_t deadline_mono_ns) override;
  void request_stop() override { base_->request_stop(); }  // makes should_stop() true for the plugin
  void stop() override { base_->stop(); }
  vigil_ctx* ctx() const { return base_->ctx(); }

  const config::InstanceSettings& settings() const override { return base_->settings(); }
  std::string describe() const override { return base_->describe(); }

 private:
  CollectorInstance() = default;
  vigil_collector_v1 table_{};  // the plugin's vtable copied into a zeroed host-sized struct
  std::unique_ptr<PluginInstance> base_;
};

}  // namespace vigil::plugin_host
