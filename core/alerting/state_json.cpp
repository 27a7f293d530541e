#include "alerting/state_json.h"

#include <nlohmann/json.hpp>

#include "alerting/notification_json.h"

namespace vigil::alerting {
namespace {

using nlohmann::json;

json text_json(const TimeIntervalText& t) {
  json times = json::array();
  for (const auto& [a, b] : t.times) times.push_back({{"start_time", a}, {"end_time", b}});
  return {{"times", times},     {"weekdays", t.weekdays}, {"days_of_month", t.days_of_month},
          {"months", t.months}, {"years", t.years},       {"location", t.location}};
}

TimeIntervalText text_of(const json& j) {
  TimeIntervalText t;
  const json times = j.value("times", json::array());
  for (const auto& r : times) t.times.emplace_back(r.value("start_time", ""), r.value("end_time", ""));
  t.weekdays = j.value("weekdays", std::vector<std::string>{});
  t.days_of_month = j.value("days_of_month", std::vector<std::string>{});
  t.months = j.value("months", std::vector<std::string>{});
  t.years = j.value("years", std::vector<std::string>{});
  t.location = j.value("location", "");
  return t;
}

Time time_of(const json& j, const char* key) {
  auto t = parse_rfc3339(j.value(key, std::string()));
  return t.ok() ? t.value() : Time{};
}

template <class T, class F>
Result<T> guarded(const std::string& what, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::error("stored " + what + " is not valid: " + e.what());
  }
}

}  // namespace

std::string silence_to_json(const Silence& s) {
  json matchers = json::array();
  for (const auto& m : s.matchers)
    matchers.push_back(
        {{"name", m.name()},
         {"value", m.value()},
         {"isRegex", m.op() == metrics::LabelMatcher::Op::regex || m.op() == metrics::LabelMatcher::Op::not_regex},
         {"isEqual", m.op() == metrics::LabelMatcher::Op::equal || m.op() == metrics::LabelMatcher::Op::regex}});
  json j{{"id", s.id},
         {"matchers", matchers},
         {"startsAt", rfc3339(s.starts_at)},
         {"endsAt", rfc3339(s.ends_at)},
         {"updatedAt", rfc3339(s.updated_at)},
         {"createdBy", s.created_by},
         {"comment", s.comment}};
  if (!s.schedule.empty()) j["schedule"] = text_json(s.schedule_text);
  return j.dump();
}

Result<Silence> silence_from_json(const std::string& text) {
  return guarded<Silence>("silence", [&]() -> Result<Silence> {
    const json j = json::parse(text);
    Silence s;
    s.id = j.value("id", "");
    for (const auto& m : j.at("matchers")) {
      const bool re = m.value("isRegex", false), eq = m.value("isEqual", true);
      using Op = metrics::LabelMatcher::Op;
      const Op op = re ? (eq ? Op::regex : Op::not_regex) : (eq ? Op::equal : Op::not_equal);
      auto lm = metrics::LabelMatcher::make(m.at("name").get<std::string>(), op, m.at("value").get<std::string>());
      if (!lm.ok()) return lm.status();
      s.matchers.push_back(std::move(lm.value()));
    }
    s.starts_at = time_of(j, "startsAt");
    s.ends_at = time_of(j, "endsAt");
    s.updated_at = time_of(j, "updatedAt");
    s.created_by = j.value("createdBy", "");
    s.comment = j.value("comment", "");
    if (j.contains("schedule")) {
      s.schedule_text = text_of(j["schedule"]);
      auto spec = parse_time_interval(s.schedule_text);
      if (!spec.ok()) return Status::error("schedule: " + spec.message());
      s.schedule.push_back(spec.value());
    }
    return s;
  });
}

std::string ack_to_json(const Ack& a) {
  return json{{"id", a.id},
              {"fingerprints", a.fingerprints},
              {"groupKey", a.group_key},
              {"author", a.author},
              {"comment", a.comment},
              {"createdAt", rfc3339(a.created_at)},
              {"expiresAt", rfc3339(a.expires_at)}}
      .dump();
}

Result<Ack> ack_from_json(const std::string& text) {
  return guarded<Ack>("acknowledgement", [&]() -> Result<Ack> {
    const json j = json::parse(text);
    Ack a;
    a.id = j.at("id").get<std::string>();
    a.fingerprints = j.at("fingerprints").get<std::vector<uint64_t>>();
    a.group_key = j.value("groupKey", "");
    a.author = j.value("author", "");
    a.comment = j.value("comment", "");
    a.created_at = time_of(j, "createdAt");
    a.expires_at = time_of(j, "expiresAt");
    return a;
  });
}

std::string log_entry_to_json(const LogEntry& e) {
  return json{{"firing", e.firing}, {"resolved", e.resolved}, {"sentAt", rfc3339(e.sent_at)}, {"sequence", e.sequence}}
      .dump();
}

Result<LogEntry> log_entry_from_json(const std::string& text) {
  return guarded<LogEntry>("notification log entry", [&]() -> Result<LogEntry> {
    const json j = json::parse(text);
    LogEntry e;
    e.firing = j.at("firing").get<std::set<uint64_t>>();
    e.resolved = j.at("resolved").get<std::set<uint64_t>>();
    e.sent_at = time_of(j, "sentAt");
    e.sequence = j.value("sequence", uint64_t{0});
    return e;
  });
}

std::string alert_to_json(const Alert& a) {
  return alert_to_json_text(a);
}

Result<Alert> alert_from_json(const std::string& text) {
  return alert_from_json_text(text);
}

}  // namespace vigil::alerting
