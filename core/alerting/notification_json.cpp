#include "alerting/notification_json.h"

#include <date/date.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace vigil::alerting {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

template <class Pairs>
json pairs_json(const Pairs& p) {
  json j = json::object();  // std::map inside: keys sorted, as Go encodes maps
  for (const auto& [k, v] : p) j[k] = v;
  return j;
}

template <class Pairs>
Pairs pairs_of(const json& j) {
  Pairs out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out.emplace_back(k, v.template get<std::string>());
  return out;
}

json alert_json(const Alert& a) {
  json j{{"labels", pairs_json(a.labels)},
         {"annotations", pairs_json(a.annotations)},
         {"startsAt", rfc3339(a.starts_at)},
         {"endsAt", rfc3339(a.ends_at)},
         {"updatedAt", rfc3339(a.updated_at)},
         {"generatorURL", a.generator_url},
         {"timeout", a.timeout}};
  if (a.value) j["value"] = *a.value;
  return j;
}

Alert alert_of(const json& j) {
  Alert a;
  a.labels = pairs_of<LabelSet>(j.at("labels"));
  a.annotations = pairs_of<Annotations>(j.value("annotations", json::object()));
  a.starts_at = parse_rfc3339(j.at("startsAt").get<std::string>()).value();
  a.ends_at = parse_rfc3339(j.at("endsAt").get<std::string>()).value();
  a.updated_at = parse_rfc3339(j.value("updatedAt", std::string("0001-01-01T00:00:00Z"))).value();
  a.generator_url = j.value("generatorURL", "");
  a.timeout = j.value("timeout", false);
  if (j.contains("value")) a.value = j["value"].get<double>();
  return a;
}

}  // namespace

std::string rfc3339(Time t) {
  if (t == Time{}) return "0001-01-01T00:00:00Z";
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t).time_since_epoch().count();
  const auto day = date::floor<date::days>(date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
  const date::year_month_day ymd{day};
  const int64_t in_day = ms - std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count();
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(in_day / 3600000), static_cast<int>(in_day / 60000 % 60),
                        static_cast<int>(in_day / 1000 % 60));
  if (const int frac = static_cast<int>(in_day % 1000); frac) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%03d", frac);
    while (buf[n - 1] == '0') --n;  // Go trims trailing zeros of the fraction
  }
  return std::string(buf, static_cast<size_t>(n)) + "Z";
}

Result<Time> parse_rfc3339(const std::string& text) {
  if (text.empty() || text.rfind("0001-01-01T00:00:00", 0) == 0) return Time{};
  const auto bad = [&] {
    return Status::error("\"" + text + "\" is not an RFC 3339 time such as 2026-11-23T10:00:00Z");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
    return bad();
  size_t i = static_cast<size_t>(used);
  int64_t nanos = 0;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits)
      if (digits < 9) nanos = nanos * 10 + (text[i] - '0');
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offset_min = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-') && text[i + 3] == ':') {
    const int oh = std::atoi(text.substr(i + 1, 2).c_str());
    const int om = std::atoi(text.substr(i + 4, 2).c_str());
    offset_min = (text[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return bad();
  }
  const date::year_month_day ymd{date::year(y), date::month(static_cast<unsigned>(mo)),
                                 date::day(static_cast<unsigned>(d))};
  if (i != text.size() || !ymd.ok() || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return bad();
  // Time counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11.
  if (y < 1678 || y > 2261)
    return Status::error("\"" + text + "\" is outside the years 1678 to 2261 that vigil's times can hold");
  const auto t = date::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi - offset_min) +
                 std::chrono::seconds(sec) + std::chrono::nanoseconds(nanos);
  return Time(std::chrono::duration_cast<Clock::duration>(t.time_since_epoch()));
}

int severity_rank(const std::string& s) {
  if (s == "critical") return 2;
  if (s == "warning") return 1;
  if (s.empty()) return -1;
  return 0;
}

std::string alert_to_json_text(const Alert& a) {
  return alert_json(a).dump();
}

Result<Alert> alert_from_json_text(const std::string& text) {
  try {
    return alert_of(json::parse(text));
  } catch (const std::exception& e) {
    return Status::error(std::string("stored alert is not valid: ") + e.what());
  }
}

std::string notification_to_json(const Notification& n) {
  json j{{"receiver", n.receiver},
         {"groupKey", n.group_key},
         {"groupLabels", pairs_json(n.group_labels)},
         {"reason", n.reason},
         {"commonLabels", pairs_json(n.common_labels)},
         {"commonAnnotations", pairs_json(n.common_annotations)},
         {"externalURL", n.external_url},
         {"sequence", n.sequence},
         {"idempotencyKey", n.idempotency_key},
         {"createdAt", rfc3339(n.created_at)},
         {"repeatIntervalMs", std::chrono::duration_cast<std::chrono::milliseconds>(n.repeat_interval).count()}};
  json alerts = json::array();
  for (const auto& na : n.alerts) {
    json a = alert_json(na.alert);
    a["firing"] = na.firing;
    a["fingerprint"] = fingerprint_hex(na.alert.fp());
    if (!na.silenced_by.empty()) a["silencedBy"] = na.silenced_by;
    if (na.ack) {
      a["ack"] = {{"id", na.ack->id},
                  {"author", na.ack->author},
                  {"comment", na.ack->comment},
                  {"createdAt", rfc3339(na.ack->created_at)},
                  {"expiresAt", rfc3339(na.ack->expires_at)}};
    }
    alerts.push_back(std::move(a));
  }
  j["alerts"] = std::move(alerts);
  return j.dump();
}

Result<Notification> notification_from_json(const std::string& text) {
  try {
    const json j = json::parse(text);
    Notification n;
    n.receiver = j.at("receiver").get<std::string>();
    n.group_key = j.at("groupKey").get<std::string>();
    n.group_labels = pairs_of<LabelSet>(j.at("groupLabels"));
    n.reason = j.value("reason", "");
    n.common_labels = pairs_of<LabelSet>(j.value("commonLabels", json::object()));
    n.common_annotations = pairs_of<Annotations>(j.value("commonAnnotations", json::object()));
    n.external_url = j.value("externalURL", "");
    n.sequence = j.value("sequence", uint64_t{0});
    n.idempotency_key = j.value("idempotencyKey", "");
    n.created_at = parse_rfc3339(j.value("createdAt", std::string())).value();
    n.repeat_interval = std::chrono::milliseconds(j.value("repeatIntervalMs", int64_t{0}));
    for (const auto& a : j.at("alerts")) {
      NotifiedAlert na;
      na.alert = alert_of(a);
      na.firing = a.value("firing", true);
      if (a.contains("silencedBy")) na.silenced_by = a["silencedBy"].get<std::vector<std::string>>();
      if (a.contains("ack")) {
        const auto& k = a["ack"];
        Ack ack;
        ack.id = k.value("id", "");
        ack.author = k.value("author", "");
        ack.comment = k.value("comment", "");
        ack.created_at = parse_rfc3339(k.value("createdAt", std::string())).value();
        ack.expires_at = parse_rfc3339(k.value("expiresAt", std::string())).value();
        ack.fingerprints = {na.alert.fp()};
        na.ack = ack;
      }
      n.alerts.push_back(std::move(na));
    }
    return n;
  } catch (const std::exception& e) {
    return Status::error(std::string("a stored notification is not valid JSON: ") + e.what());
  }
}

std::string webhook_v4_body(const Notification& n, size_t max_alerts) {
  const size_t keep = max_alerts > 0 && n.alerts.size() > max_alerts ? max_alerts : n.alerts.size();
  ordered body;
  body["receiver"] = n.receiver;
  body["status"] = n.firing() ? "firing" : "resolved";
  ordered alerts = ordered::array();
  for (size_t i = 0; i < keep; ++i) {
    const auto& na = n.alerts[i];
    ordered a;
    a["status"] = na.firing ? "firing" : "resolved";
    a["labels"] = pairs_json(na.alert.labels);
    a["annotations"] = pairs_json(na.alert.annotations);
    a["startsAt"] = rfc3339(na.alert.starts_at);
    a["endsAt"] = na.firing ? rfc3339(Time{}) : rfc3339(na.alert.ends_at);
    a["generatorURL"] = na.alert.generator_url;
    a["fingerprint"] = fingerprint_hex(na.alert.fp());
    alerts.push_back(std::move(a));
  }
  body["alerts"] = std::move(alerts);
  body["groupLabels"] = pairs_json(n.group_labels);
  if (keep == n.alerts.size()) {
    body["commonLabels"] = pairs_json(n.common_labels);
    body["commonAnnotations"] = pairs_json(n.common_annotations);
  } else {  // common to the alerts sent, as Alertmanager computes them after truncation
    Notification kept = n;
    kept.alerts.resize(keep);
    LabelSet labels = keep ? kept.alerts[0].alert.labels : LabelSet{};
    Annotations annotations = keep ? kept.alerts[0].alert.annotations : Annotations{};
    for (const auto& na : kept.alerts) {
      std::erase_if(labels, [&](const auto& kv) {
        return std::find(na.alert.labels.begin(), na.alert.labels.end(), kv) == na.alert.labels.end();
      });
      std::erase_if(annotations, [&](const auto& kv) {
        return std::find(na.alert.annotations.begin(), na.alert.annotations.end(), kv) == na.alert.annotations.end();
      });
    }
    body["commonLabels"] = pairs_json(labels);
    body["commonAnnotations"] = pairs_json(annotations);
  }
  body["externalURL"] = n.external_url;
  body["version"] = "4";
  body["groupKey"] = n.group_key;
  body["truncatedAlerts"] = n.alerts.size() - keep;
  body["notification_reason"] = n.reason;
  return body.dump();
}

}  // namespace vigil::alerting
