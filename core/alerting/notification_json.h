// Notifications as JSON: vigil's own complete form (what the outbox stores and the API shows)
// and Alertmanager's webhook v4 body (notify/webhook), byte-compatible in structure so every
// existing Alertmanager webhook consumer works: RFC 3339 times with the zero time as the end
// of firing alerts, label maps sorted by name, version "4", groupKey and truncatedAlerts.
#pragma once

#include <string>

#include "alerting/notification.h"
#include "base/status.h"

namespace vigil::alerting {

std::string notification_to_json(const Notification& n);
// One alert in the same form (labels, annotations, startsAt, endsAt, updatedAt, generatorURL,
// timeout, value).
std::string alert_to_json_text(const Alert& a);
Result<Alert> alert_from_json_text(const std::string& text);
Result<Notification> notification_from_json(const std::string& text);

// max_alerts > 0 keeps that many alerts (firing first) and reports the rest in truncatedAlerts.
std::string webhook_v4_body(const Notification& n, size_t max_alerts = 0);

// Go's RFC3339Nano: "2026-11-23T10:00:00.123Z", fraction without trailing zeros; the zero
// time is "0001-01-01T00:00:00Z".
std::string rfc3339(Time t);
Result<Time> parse_rfc3339(const std::string& text);

// "critical" > "warning" > "info" (and anything else); -1 when the label is absent.
int severity_rank(const std::string& severity);

}  // namespace vigil::alerting
