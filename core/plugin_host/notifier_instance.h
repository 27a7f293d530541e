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

class NotifierInstance {
 public:
  static Result<std::unique_ptr<NotifierInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                          const config::InstanceSettings& settings);

  Status start() { return base_->start(); }
  void request_stop() { base_->request_stop(); }
  void stop() { base_->stop(); }
  // One result per notification, in order.
  std::vector<DeliveryResult> deliver(const std::vector<const RenderedNotification*>& batch, int64_t deadline_mono_ns);

  // What the plugin emitted through host->emit since the last take, each series once, with
  // notifier="<alias>" added (published on /metrics by the alerting service).
  std::vector<metrics::Sample> take_samples() { return base_->take_emitted("notifier", alias()); }
  const config::InstanceSettings& settings() const { return base_->settings(); }
  const std::string& alias() const { return settings().alias; }
  std::string describe() const { return base_->describe(); }

 private:
  NotifierInstance() = default;
  vigil_notifier_v1 table_{};
  std::unique_ptr<PluginInstance> base_;
};

}  // namespace vigil::plugin_host
