// AlertingConfig: the [alerting] section, Alertmanager's configuration in TOML form: the
// routing tree, receivers (each a list of [[notifiers.NAME]] instances by alias), inhibition
// rules and named time intervals. Every problem names file:line:col and what to write instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerting/matchers.h"
#include "alerting/route.h"
#include "alerting/time_interval.h"
#include "base/status.h"
#include "config/plugin_table.h"

namespace vigil::alerting {

struct InhibitRule {
  std::string name;
  Matchers source, target;
  std::vector<std::string> equal;
};

struct ReceiverConfig {
  std::string name;
  std::vector<std::string> notifiers;  // aliases of [[notifiers.NAME]] instances
  bool send_resolved = true;
  std::string title_template, body_template;  // Mustache; "" = the defaults
  size_t max_alerts = 0;                      // alerts in one message (rest counted as truncated); 0 = all
  std::string where;
};

struct AlertingConfig {
  Duration resolve_timeout = std::chrono::minutes(5);  // end of alerts posted without one
  std::string external_url;                            // links back to vigil in messages
  bool notify_resolved_when_silenced = true;           // a silenced alert's resolution is still sent
  // Delivery and history ([alerting] keys of the same names).
  Duration retry_initial_interval = std::chrono::seconds(1);
  Duration retry_max_interval = std::chrono::minutes(5);
  Duration retry_max_age = std::chrono::hours(24);  // then a notification is a dead letter
  Duration delivery_timeout = std::chrono::seconds(30);
  Duration history_retention = std::chrono::hours(24 * 30);
  int64_t history_max_events = 1'000'000;
  // Replicas pointed at one shared cache (Redis) claim each notification there, so that at most
  // one of them sends it (runtime/replica_log.h).
  bool replica_dedup = false;
  // What the API takes ([alerting] keys of the same names), after Prometheus' scrape limits:
  // a request over one is refused whole (400; 429 for alert_limit) and counted in
  // vigil_alerts_rejected_total. Alerts from rules are never refused by these.
  size_t alert_limit = 200'000;  // alerts held at once
  size_t alerts_per_request_limit = 10'000;
  size_t label_limit = 128;                 // labels of one alert
  size_t label_name_length_limit = 1024;    // bytes
  size_t label_value_length_limit = 16384;  // bytes
  size_t annotations_size_limit = 65536;    // bytes of one alert's annotation names and values
  std::shared_ptr<const Route> route;       // never null after parsing
  std::vector<ReceiverConfig> receivers;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<TimeInterval> time_intervals;

  const ReceiverConfig* receiver(const std::string& name) const;
  const TimeInterval* time_interval(const std::string& name) const;
};

struct AlertingConfigResult {
  AlertingConfig config;
  Problems problems;
};

// `table` is the [alerting] table (empty: the defaults, one receiver "default" with the
// notifiers in `default_notifiers`). `notifier_aliases` are the configured notifier instances,
// which receivers may name.
AlertingConfigResult parse_alerting_config(const config::PluginTable& table,
                                           const std::vector<std::string>& notifier_aliases);

}  // namespace vigil::alerting
