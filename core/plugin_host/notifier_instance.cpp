#include "plugin_host/notifier_instance.h"

#include <algorithm>
#include <cstddef>

#include "alerting/notification_json.h"
#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

constexpr size_t kMinNotifierSize = offsetof(vigil_notifier_v1, deliver) + sizeof(void*);

vigil_str str(const std::string& s) {
  return {s.data(), s.size()};
}

template <class Pairs>
std::vector<vigil_label> labels(const Pairs& p) {
  std::vector<vigil_label> out;
  out.reserve(p.size());
  for (const auto& [k, v] : p) out.push_back({str(k), str(v)});
  return out;
}

int64_t unix_ms(alerting::Time t) {
  return t == alerting::Time{} ? 0 : alerting::to_ms(t);
}

// The C view of one notification; every pointer refers into `src` or this object.
struct CNotification {
  explicit CNotification(const RenderedNotification& src) {
    const auto& n = src.notification;
    group_labels = labels(n.group_labels);
    common_labels = labels(n.common_labels);
    common_annotations = labels(n.common_annotations);
    int severity = -1;
    for (const auto& na : n.alerts) {
      fingerprints.push_back(alerting::fingerprint_hex(na.alert.fp()));
      alert_labels.push_back(labels(na.alert.labels));
      alert_annotations.push_back(labels(na.alert.annotations));
      if (na.firing)
        if (const auto* s = na.alert.label("severity")) severity = std::max(severity, alerting::severity_rank(*s));
    }
    for (size_t i = 0; i < n.alerts.size(); ++i) {
      const auto& na = n.alerts[i];
      vigil_alert a{};
      a.struct_size = sizeof(vigil_alert);
      a.status = na.firing ? VIGIL_ALERT_FIRING : VIGIL_ALERT_RESOLVED;
      a.labels = alert_labels[i].data();
      a.n_labels = alert_labels[i].size();
      a.annotations = alert_annotations[i].data();
      a.n_annotations = alert_annotations[i].size();
      a.starts_unix_ms = unix_ms(na.alert.starts_at);
      a.ends_unix_ms = na.firing ? 0 : unix_ms(na.alert.ends_at);
      a.fingerprint = str(fingerprints[i]);
      a.generator_url = str(na.alert.generator_url);
      alerts.push_back(a);
    }
    c.struct_size = sizeof(vigil_notification);
    c.status = n.firing() ? VIGIL_ALERT_FIRING : VIGIL_ALERT_RESOLVED;
    c.severity = severity < 0 ? VIGIL_SEVERITY_INFO : severity;
    c.receiver = str(n.receiver);
    c.group_key = str(n.group_key);
    c.group_labels = group_labels.data();
    c.n_group_labels = group_labels.size();
    c.common_labels = common_labels.data();
    c.n_common_labels = common_labels.size();
    c.common_annotations = common_annotations.data();
    c.n_common_annotations = common_annotations.size();
    c.alerts = alerts.data();
    c.n_alerts = alerts.size();
    c.title = str(src.title);
    c.body = str(src.body);
    c.json_body = str(src.json_body);
    c.external_url = str(n.external_url);
    c.reason = str(n.reason);
    c.idempotency_key = str(n.idempotency_key);
    c.sequence = n.sequence;
    c.n_firing = n.firing_count();
  }
  std::vector<vigil_label> group_labels, common_labels, common_annotations;
  std::vector<std::string> fingerprints;
  std::vector<std::vector<vigil_label>> alert_labels, alert_annotations;
  std::vector<vigil_alert> alerts;
  vigil_notification c{};
};

}  // namespace

Result<std::unique_ptr<NotifierInstance>> NotifierInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                                   const config::InstanceSettings& settings) {
  std::unique_ptr<NotifierInstance> inst(new NotifierInstance());
  auto base =
      PluginInstance::create(plugin, settings, VIGIL_IFACE_NOTIFIER, "notifier", &inst->table_, kMinNotifierSize);
  if (!base.ok()) return base.status();
  inst->base_ = std::move(base.value());
  if (!inst->table_.deliver)
    return Status::error(settings.where + ": notifier \"" + settings.plugin + "\": " + plugin->path +
                         ": deliver is NULL");
  return inst;
}

std::vector<DeliveryResult> NotifierInstance::deliver(const std::vector<const RenderedNotification*>& batch,
                                                      int64_t deadline_mono_ns) {
  std::vector<DeliveryResult> out(batch.size());
  if (batch.empty()) return out;
  std::vector<CNotification> views;
  views.reserve(batch.size());
  std::vector<const vigil_notification*> ptrs;
  for (const auto* r : batch) {
    views.emplace_back(*r);
    ptrs.push_back(&views.back().c);
  }
  std::vector<vigil_status> results(batch.size(), VIGIL_E_INTERNAL);
  const vigil_status st = base_->call(
      [&]() -> vigil_status {
        return table_.deliver(base_->instance(), ptrs.data(), ptrs.size(), results.data(), deadline_mono_ns);
      },
      deadline_mono_ns, batch.size());
  const int64_t retry_after_ms = base_->last_retry_after_ms();
  const auto item_errors = base_->take_item_errors();  // before take_error(), which ends the read
  const std::string error = base_->take_error();
  for (size_t i = 0; i < batch.size(); ++i) {
    // A failed call (or an exception) fails every notification the plugin did not answer.
    vigil_status r = results[i];
    if (st != VIGIL_OK && r == VIGIL_E_INTERNAL) r = st;
    if (r == VIGIL_OK) continue;
    out[i].kind =
        (r == VIGIL_E_UNAVAILABLE || r == VIGIL_E_TIMEOUT) ? DeliveryResult::Kind::retry : DeliveryResult::Kind::failed;
    // The item's own reason (host->fail_item) when it gave one, else the call's.
    const auto own = item_errors.find(i);
    const std::string& reason = own != item_errors.end() && !own->second.error.empty() ? own->second.error : error;
    out[i].error = std::string(status_name(r)) + ": " + (reason.empty() ? "the notifier gave no reason" : reason);
    out[i].retry_after =
        std::chrono::milliseconds(own != item_errors.end() ? own->second.retry_after_ms : retry_after_ms);
  }
  return out;
}

}  // namespace vigil::plugin_host
