// PluginInstance: the host's side of one configured plugin instance, whatever its kind: the
// schema check, create/start/stop/destroy with the exception barrier, and the instance
// context the host services answer from. CollectorInstance and NotifierInstance add their
// kind's calls on top.
//
// Threading: create/start/stop/destroy on the control thread; call() on one worker at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <vigil/plugin.h>

#include "base/status.h"
#include "config/settings.h"
#include "metrics/sample.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/plugin_loader.h"

struct vigil_ctx;

namespace vigil::plugin_host {

const char* status_name(vigil_status st);

class PluginInstance {
 public:
  // Finds interface `iface` (whose vtable starts with vigil_lifecycle and is at least
  // min_size bytes in the host's layout), checks the table against the plugin's schema and
  // calls create(). `vtable` receives the plugin's table copied into a zeroed host-sized struct.
  static Result<std::unique_ptr<PluginInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                        const config::InstanceSettings& settings, const char* iface,
                                                        const char* kind, void* vtable, size_t min_size);
  ~PluginInstance();  // stop() then destroy()
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  Status start();
  void request_stop();
  void stop();

  // Runs plugin code behind the exception barrier, as one call with its own deadline and error
  // slot (a CallFrame on this thread); an escaped exception is E_INTERNAL with a message saying
  // so. The call's message is then read with take_error() on the same thread. A batch call
  // names its item count, so the plugin can give each item its own reason (host->fail_item),
  // read with take_item_errors().
  template <class F>
  vigil_status call(F&& f, int64_t deadline_mono_ns = INT64_MAX, size_t batch_items = 0);

  vigil_instance* instance() const { return instance_; }
  vigil_ctx* ctx() const { return ctx_.get(); }
  // The message the last call() on this thread into this instance recorded ("" when none).
  std::string take_error();
  // What the last batch call() on this thread recorded per item, by index.
  std::map<size_t, CallFrame::ItemError> take_item_errors();
  // Samples the plugin emitted since the last take (outside a collector's collect()), each
  // series once (its latest value), with label `label`="value" added to each.
  std::vector<metrics::Sample> take_emitted(const std::string& label, const std::string& value);
  // The Retry-After the last call() on this thread saw in an HTTP reply (0 when none).
  int64_t last_retry_after_ms() const;
  const config::InstanceSettings& settings() const { return settings_; }
  // "collector system (alias system, /usr/lib/vigil/plugins/system.so)"
  std::string describe() const;

 private:
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, config::InstanceSettings settings, const char* kind);
  vigil_status guard(vigil_status (*fn)(void*), void* arg, int64_t deadline_mono_ns, size_t batch_items);

  std::shared_ptr<const LoadedPlugin> plugin_;
  config::InstanceSettings settings_;
  std::string kind_;
  vigil_lifecycle life_{};
  std::unique_ptr<vigil_ctx> ctx_;
  vigil_instance* instance_ = nullptr;
  bool started_ = false;
};

template <class F>
vigil_status PluginInstance::call(F&& f, int64_t deadline_mono_ns, size_t batch_items) {
  return guard([](void* p) -> vigil_status { return (*static_cast<F*>(p))(); }, &f, deadline_mono_ns, batch_items);
}

}  // namespace vigil::plugin_host
