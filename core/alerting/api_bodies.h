// The bodies of the alerting API's changes (POST /api/v2/alerts, silences, acks), parsed and
// checked. Input comes from anyone who holds a token: every function answers malformed input
// (wrong types, missing fields, bad times) with an error that names the field and never throws.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/matchers.h"
#include "alerting/silences.h"
#include "base/status.h"

namespace vigil::alerting {

// Alertmanager's POST /api/v2/alerts body. The error is for a body that is not a JSON array;
// `problems` names each alert that is not valid ("alert 3: …"), and the caller takes none then.
struct PostedAlerts {
  std::vector<Alert> alerts;
  Problems problems;
};
Result<PostedAlerts> parse_posted_alerts(const std::string& body);

// Matchers as Alertmanager's objects {name, value, isRegex, isEqual} or as matcher strings.
Result<Matchers> matchers_from_json(const nlohmann::json& j);

// The RFC 3339 time at `key`; `fallback` when absent or null.
Result<Time> time_from_json(const nlohmann::json& j, const char* key, Time fallback);

// A new silence from a request object: matchers, startsAt (default now), endsAt or duration,
// and optionally id, createdBy, comment and a recurring schedule.
Result<Silence> silence_from_request(const nlohmann::json& body, Time now);

// An acknowledgement's fields: author, comment, and expiresAt (a time) or expiresIn (a duration
// such as "2h"); expires_at is zero when neither is given.
struct AckRequest {
  std::string author;
  std::string comment;
  std::string group_key;
  Time expires_at{};
};
Result<AckRequest> ack_from_request(const nlohmann::json& body, Time now);

}  // namespace vigil::alerting
