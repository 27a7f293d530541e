#include "app/rules_api.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace vigil::app {
namespace {

std::string rfc3339(int64_t ms) {
  if (ms == 0) return "0001-01-01T00:00:00Z";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

nlohmann::json object_of(const std::vector<std::pair<std::string, std::string>>& kv) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, v] : kv) o[k] = v;
  return o;
}

std::string value_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

nlohmann::json alert_json(const rules::Alert& a) {
  return {{"labels", object_of(a.labels)},
          {"annotations", object_of(a.annotations)},
          {"state", rules::alert_state_name(a.state)},
          {"activeAt", rfc3339(a.active_at_ms)},
          {"value", value_text(a.value)}};
}

}  // namespace

std::string rules_json(const std::vector<rules::GroupStatus>& groups) {
  nlohmann::json gs = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json rs = nlohmann::json::array();
    for (const auto& r : g.rules) {
      nlohmann::json j = {{"name", r.spec.alert.empty() ? r.spec.record : r.spec.alert},
                          {"query", r.spec.expr_text},
                          {"labels", object_of(r.spec.labels)},
                          {"health", r.health},
                          {"lastError", r.last_error},
                          {"evaluationTime", r.last_duration_seconds},
                          {"lastEvaluation", rfc3339(r.last_evaluation_ms)}};
      if (r.spec.alert.empty()) {
        j["type"] = "recording";
      } else {
        j["type"] = "alerting";
        j["duration"] = std::chrono::duration<double>(r.spec.for_duration).count();
        j["keepFiringFor"] = std::chrono::duration<double>(r.spec.keep_firing_for).count();
        j["annotations"] = object_of(r.spec.annotations);
        nlohmann::json as = nlohmann::json::array();
        std::string state = "inactive";
        for (const auto& a : r.alerts) {
          if (a.state == rules::AlertState::inactive) continue;
          as.push_back(alert_json(a));
          if (a.state == rules::AlertState::firing)
            state = "firing";
          else if (state != "firing")
            state = "pending";
        }
        j["alerts"] = std::move(as);
        j["state"] = state;
      }
      rs.push_back(std::move(j));
    }
    gs.push_back({{"name", g.name},
                  {"file", g.file},
                  {"interval", g.interval_seconds},
                  {"limit", g.limit},
                  {"lastEvaluation", rfc3339(g.last_evaluation_ms)},
                  {"evaluationTime", g.last_duration_seconds},
                  {"rules", std::move(rs)}});
  }
  nlohmann::json doc = {{"status", "success"}, {"data", {{"groups", std::move(gs)}}}};
  return doc.dump() + "\n";
}

}  // namespace vigil::app
