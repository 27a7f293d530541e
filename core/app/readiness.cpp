#include "app/readiness.h"

#include <nlohmann/json.hpp>

namespace vigil::app {

Readiness evaluate_readiness(bool config_loaded, bool plugins_started, const std::string& config_source,
                             const std::vector<runtime::CollectorStatus>& collectors,
                             const std::string& alerting_problem, const std::string& cache_problem,
                             const std::string& cache_backend,
                             const std::vector<runtime::QuarantinedCollector>& quarantined) {
  nlohmann::json checks = nlohmann::json::object();
  checks["config"] = {{"ok", config_loaded}, {"source", config_source}};
  checks["plugins"] = {{"ok", plugins_started}};
  bool ready = config_loaded && plugins_started;
  nlohmann::json cs = nlohmann::json::object();
  for (const auto& c : collectors) {
    const bool recent = c.ever_succeeded && c.seconds_since_success <= 3 * c.interval_seconds + 1;
    nlohmann::json j = {{"ok", recent}, {"collector", c.plugin}, {"optional", c.optional}};
    if (c.ever_succeeded) j["seconds_since_success"] = c.seconds_since_success;
    if (!c.last_error.empty()) j["last_error"] = c.last_error;
    if (!recent && !c.ever_succeeded && c.last_error.empty()) j["reason"] = "no collection has finished yet";
    cs[c.alias.empty() ? c.plugin : c.plugin + "/" + c.alias] = std::move(j);
    if (!recent && !c.optional) ready = false;
  }
  checks["collectors"] = std::move(cs);
  checks["alerting_state"] = {{"ok", alerting_problem.empty()}};
  if (!alerting_problem.empty()) {
    checks["alerting_state"]["error"] = alerting_problem;
    ready = false;
  }
  if (!cache_backend.empty()) {
    checks["cache"] = {{"ok", cache_problem.empty()}, {"backend", cache_backend}};
    if (!cache_problem.empty()) {
      checks["cache"]["error"] = cache_problem;
      ready = false;
    }
  }
  if (!quarantined.empty()) {
    nlohmann::json q = nlohmann::json::array();
    for (const auto& c : quarantined)
      q.push_back({{"collector", c.plugin}, {"alias", c.alias}, {"seconds_since_removed", c.seconds}});
    checks["quarantined"] = {{"ok", true}, {"instances", std::move(q)}};
  }
  nlohmann::json doc = {{"ready", ready}, {"checks", std::move(checks)}};
  return Readiness{ready, doc.dump(2) + "\n"};
}

}  // namespace vigil::app
