// NotifierInstance: one configured notifier plugin instance ([[notifiers.NAME]]). The host
// renders each notification (title, body, Alertmanager JSON) and hands batches to deliver();
// each notification comes back delivered, to be retried (VIGIL_E_UNAVAILABLE/E_TIMEOUT) or
// failed for good (any other code), with the plugin's reason.
//
// Threading: create/start/stop on the control thread; deliver() on one worker at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "alerting/notification.h"
#include "plugin_host/plugin_instance.h"

namespace vigil::plugin_host {

struct RenderedNotification {
  alerting::Notification notification;
  std::string title, body, json_body;
};

struct DeliveryResult {
  enum class Kind { delivered, retry, failed };
  Kind kind = Kind::delivered;
  std::string error;                         // the plugin's reason, for retry and failed
  std::chrono::milliseconds retry_after{0};  // the server asked to wait this long (HTTP Retry-After)
};

// What the alerting service holds: a notifier running inside the agent (NotifierInstance) or
// in a host process of its own (isolation::IsolatedNotifier).
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Status start() = 0;
  virtual void request_stop() = 0;
  virtual void stop() = 0;
  // One result per notification, in order.
  virtual std::vector<DeliveryResult> deliver(const std::vector<const RenderedNotification*>& batch,
                                              int64_t deadline_mono_ns) = 0;
  // What the plugin emitted through host->emit since the last take, each series once, with
  // notifier="<alias>" added (published on /metrics by the alerting service). Any thread.
  virtual std::vector<metrics::Sample> take_samples() = 0;
  virtual const config::InstanceSettings& settings() const = 0;
  virtual std::string describe() const = 0;
  const std::string& alias() const { return settings().alias; }
};

class NotifierInstance final : public Notifier {
 public:
  static Result<std::unique_ptr<NotifierInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                          const config::InstanceSettings& settings);

  Status start() override { return base_->start(); }
  void request_stop() override { base_->request_stop(); }
  void stop() override { base_->stop(); }
  std::vector<DeliveryResult> deliver(const std::vector<const RenderedNotification*>& batch,
                                      int64_t deadline_mono_ns) override;
  std::vector<metrics::Sample> take_samples() override { return base_->take_emitted("notifier", alias()); }
  const config::InstanceSettings& settings() const override { return base_->settings(); }
  std::string describe() const override { return base_->describe(); }

 private:
  NotifierInstance() = default;
  vigil_notifier_v1 table_{};
  std::unique_ptr<PluginInstance> base_;
};

}  // namespace vigil::plugin_host
