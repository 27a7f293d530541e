#include "alerting/api_bodies.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "alerting/notification_json.h"
#include "alerting/state_json.h"
#include "config/duration.h"
#include "metrics/sample.h"

namespace vigil::alerting {
namespace {

using nlohmann::json;

// The string at `key`: `fallback` when absent or null, an error naming the key otherwise.
Result<std::string> string_field(const json& j, const char* key, std::string fallback = "") {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::error(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<bool> bool_field(const json& j, const char* key, bool fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Status::error(std::string("\"") + key + "\" must be true or false");
  return it->get<bool>();
}

Result<Clock::duration> duration_field(const json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_string()) return Status::error(std::string("\"") + key + "\" must be a duration string such as \"2h\"");
  auto d = config::parse_duration(v.get<std::string>());
  if (!d.ok()) return Status::error(std::string("\"") + key + "\": " + d.message());
  return std::chrono::duration_cast<Clock::duration>(d.value());
}

// `t` + `d`, refused beyond the last time parse_rfc3339 accepts (the end of 2261), so no later
// arithmetic on it can overflow Time's 64 bits of nanoseconds.
Result<Time> later(Time t, Clock::duration d, const char* key) {
  constexpr int64_t kLast = 9'214'646'399'000'000'000;  // 2261-12-31T23:59:59Z
  int64_t sum = 0;
  if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &sum) || sum > kLast)
    return Status::error(std::string("\"") + key + "\" ends after 2261, later than vigil's times can hold");
  return Time(Clock::duration(sum));
}

}  // namespace

Result<Time> time_from_json(const json& j, const char* key, Time fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::error(std::string("\"") + key + "\" must be an RFC 3339 time string");
  auto t = parse_rfc3339(it->get<std::string>());
  if (!t.ok()) return Status::error(std::string("\"") + key + "\": " + t.message());
  return t;
}

Result<Matchers> matchers_from_json(const json& j) {
  Matchers out;
  if (!j.is_array() || j.empty())
    return Status::error("\"matchers\" must be a non-empty array, e.g. [\"alertname=Backup\", \"env=~prod|staging\"]");
  for (const auto& m : j) {
    if (m.is_string()) {
      auto p = parse_matchers(m.get<std::string>());
      if (!p.ok()) return p.status();
      for (auto& x : p.value()) out.push_back(std::move(x));
      continue;
    }
    if (!m.is_object() || !m.contains("name") || !m.contains("value") || !m["name"].is_string() ||
        !m["value"].is_string())
      return Status::error(
          "each matcher is \"name=value\" or {\"name\": \"…\", \"value\": \"…\", \"isRegex\": false, \"isEqual\": "
          "true}");
    auto re = bool_field(m, "isRegex", false);
    if (!re.ok()) return re.status();
    auto eq = bool_field(m, "isEqual", true);
    if (!eq.ok()) return eq.status();
    using Op = metrics::LabelMatcher::Op;
    auto lm = metrics::LabelMatcher::make(m["name"].get<std::string>(),
                                          *re ? (*eq ? Op::regex : Op::not_regex) : (*eq ? Op::equal : Op::not_equal),
                                          m["value"].get<std::string>());
    if (!lm.ok()) return lm.status();
    out.push_back(std::move(lm.value()));
  }
  return out;
}

Result<PostedAlerts> parse_posted_alerts(const std::string& body) {
  const json list = json::parse(body, nullptr, false);
  if (!list.is_array()) return Status::error("the body must be a JSON array of alerts");
  PostedAlerts out;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& a = list[i];
    const std::string where = "alert " + std::to_string(i) + ": ";
    if (!a.is_object() || !a.contains("labels") || !a["labels"].is_object()) {
      out.problems.push_back(where + "needs a \"labels\" object");
      continue;
    }
    Alert x;
    std::string problem;
    for (const auto& [k, v] : a["labels"].items()) {
      if (!v.is_string())
        problem = "label values must be strings";
      else
        x.labels.emplace_back(k, v.get<std::string>());
    }
    if (a.contains("annotations")) {
      const auto& annotations = a["annotations"];
      if (!annotations.is_object() && !annotations.is_null()) problem = "\"annotations\" must be an object of strings";
      if (annotations.is_object())
        for (const auto& [k, v] : annotations.items())
          if (v.is_string()) x.annotations.emplace_back(k, v.get<std::string>());
    }
    auto url = string_field(a, "generatorURL");
    auto starts = time_from_json(a, "startsAt", Time{});
    auto ends = time_from_json(a, "endsAt", Time{});
    if (problem.empty())
      problem = !url.ok() ? url.message() : !starts.ok() ? starts.message() : !ends.ok() ? ends.message() : "";
    if (!problem.empty()) {
      out.problems.push_back(where + problem);
      continue;
    }
    x.generator_url = *url;
    x.starts_at = *starts;
    x.ends_at = *ends;
    if (std::none_of(x.labels.begin(), x.labels.end(), [](const auto& l) { return !l.second.empty(); }))
      out.problems.push_back(where + "needs at least one non-empty label");
    for (const auto& [k, v] : x.labels)
      if (auto st = metrics::validate_label_name(k); !st.ok()) out.problems.push_back(where + st.message());
    if (x.ends_at != Time{} && x.starts_at != Time{} && x.ends_at < x.starts_at)
      out.problems.push_back(where + "endsAt is before startsAt");
    out.alerts.push_back(std::move(x));
  }
  return out;
}

Result<Silence> silence_from_request(const json& b, Time now) {
  if (!b.is_object()) return Status::error("a silence is a JSON object");
  Silence s;
  auto ms = matchers_from_json(b.contains("matchers") ? b["matchers"] : json());
  if (!ms.ok()) return ms.status();
  s.matchers = std::move(ms.value());
  for (auto [key, field] : {std::pair{"id", &s.id}, {"createdBy", &s.created_by}, {"comment", &s.comment}}) {
    auto v = string_field(b, key);
    if (!v.ok()) return v.status();
    *field = std::move(v.value());
  }
  auto starts = time_from_json(b, "startsAt", now);
  if (!starts.ok()) return starts.status();
  s.starts_at = *starts;
  if (b.contains("duration")) {
    auto d = duration_field(b, "duration");
    if (!d.ok()) return d.status();
    auto ends = later(s.starts_at, *d, "duration");
    if (!ends.ok()) return ends.status();
    s.ends_at = *ends;
  } else {
    auto ends = time_from_json(b, "endsAt", Time{});
    if (!ends.ok()) return ends.status();
    if (*ends == Time{}) return Status::error("a silence needs endsAt or duration, e.g. \"duration\": \"2h\"");
    s.ends_at = *ends;
  }
  if (b.contains("schedule")) {
    // The stored form's reader checks the schedule (times, weekdays, location …).
    auto scheduled = silence_from_json(json{{"matchers", json::array()}, {"schedule", b["schedule"]}}.dump(
        -1, ' ', false, json::error_handler_t::replace));
    if (!scheduled.ok())
      return Status::error(scheduled.message() +
                           " (e.g. \"schedule\": {\"times\": [{\"start_time\": \"02:00\", \"end_time\": \"04:00\"}], "
                           "\"weekdays\": [\"sunday\"], \"location\": \"Europe/Berlin\"})");
    s.schedule = scheduled->schedule;
    s.schedule_text = scheduled->schedule_text;
  }
  return s;
}

Result<AckRequest> ack_from_request(const json& b, Time now) {
  if (!b.is_object()) return Status::error("an acknowledgement is a JSON object");
  AckRequest out;
  for (auto [key, field] :
       {std::pair{"author", &out.author}, {"comment", &out.comment}, {"groupKey", &out.group_key}}) {
    auto v = string_field(b, key);
    if (!v.ok()) return v.status();
    *field = std::move(v.value());
  }
  if (b.contains("expiresIn")) {
    auto d = duration_field(b, "expiresIn");
    if (!d.ok()) return d.status();
    auto at = later(now, *d, "expiresIn");
    if (!at.ok()) return at.status();
    out.expires_at = *at;
  } else {
    auto at = time_from_json(b, "expiresAt", Time{});
    if (!at.ok()) return at.status();
    out.expires_at = *at;
  }
  return out;
}

}  // namespace vigil::alerting
