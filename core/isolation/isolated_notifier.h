// IsolatedNotifier: a notifier instance running in a vigil-plugin-host process of its own
// (isolation = "process"), supervised as supervised_host.h says. The same plugin file runs
// unchanged.
//
// Nothing is lost to a crash: a batch whose host dies, hangs past the deadline or answers
// nonsense comes back as "retry" for every notification in it, so the outbox keeps each one and
// delivers it again (at least once, as with a notifier inside the agent). A notification may
// thus reach its channel twice when the host died after sending it; its idempotency_key stays
// the same on every attempt, for channels that can drop repeats.
//
// Threading: as plugin_host::Notifier: start/stop on the control thread, deliver() on one worker
// at a time, request_stop() and take_samples() from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "isolation/supervised_host.h"
#include "plugin_host/notifier_instance.h"

namespace vigil::isolation {

class IsolatedNotifier final : public plugin_host::Notifier {
 public:
  // Starts a host for `plugin_path` and creates the instance in it: the plugin's own refusal of
  // its settings comes back as the in-process create's would.
  static Result<std::unique_ptr<IsolatedNotifier>> create(const std::string& plugin_path,
                                                          const config::InstanceSettings& settings,
                                                          IsolationOptions options);

  Status start() override { return host_.start(); }
  void request_stop() override { host_.request_stop(); }
  void stop() override { host_.stop(); }
  std::vector<plugin_host::DeliveryResult> deliver(const std::vector<const plugin_host::RenderedNotification*>& batch,
                                                   int64_t deadline_mono_ns) override;
  std::vector<metrics::Sample> take_samples() override;
  const config::InstanceSettings& settings() const override { return host_.settings(); }
  std::string describe() const override { return host_.describe(); }

  const SupervisedHost& host() const { return host_; }

 private:
  IsolatedNotifier(const std::string& plugin_path, const config::InstanceSettings& settings, IsolationOptions options)
      : host_(plugin_path, settings, std::move(options)) {}
  SupervisedHost host_;
  std::mutex samples_mu_;
  std::vector<metrics::Sample> samples_;  // emitted in the host since the last take
};

}  // namespace vigil::isolation
