#include "app/agent_status.h"

#include <nlohmann/json.hpp>

#include <chrono>

#include "log/secret_values.h"
#include "plugin_host/plugin_catalog.h"
#include "vigil/plugin.h"

namespace vigil::app {
namespace {

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

StatusBoard::StatusBoard(std::string version, std::string config_source)
    : version_(std::move(version)), config_source_(std::move(config_source)), started_at_(unix_seconds()) {}

void StatusBoard::record_plugins(const plugin_host::PluginCatalog& catalog) {
  std::vector<Plugin> plugins;
  for (const auto& [name, p] : catalog.plugins())
    plugins.push_back({name, p->version, p->path,
                       std::to_string(p->descriptor.abi_major) + "." + std::to_string(p->descriptor.abi_minor),
                       p->description, p->provides});
  std::lock_guard lock(mu_);
  plugins_ = std::move(plugins);
  refused_ = catalog.failures();
}

void StatusBoard::record_skipped(const Problems& skipped) {
  std::lock_guard lock(mu_);
  skipped_ = skipped;
}

void StatusBoard::record_reload(bool applied, const Problems& problems) {
  std::lock_guard lock(mu_);
  last_reload_at_ = unix_seconds();
  last_reload_applied_ = applied;
  last_reload_problems_.clear();
  for (const auto& p : problems) last_reload_problems_.push_back(log::redact_secrets(p));
}

std::string StatusBoard::json(const LiveStatus& live) const {
  using nlohmann::json;
  json collectors = json::array();
  for (const auto& c : live.collectors) {
    json j{{"plugin", c.plugin},        {"alias", c.alias},
           {"optional", c.optional},    {"interval", c.interval_seconds},
           {"lastError", c.last_error}, {"everSucceeded", c.ever_succeeded}};
    j["secondsSinceSuccess"] = c.ever_succeeded ? json(c.seconds_since_success) : json(nullptr);
    j["healthy"] = c.ever_succeeded && c.seconds_since_success <= 3 * c.interval_seconds + 1;
    collectors.push_back(std::move(j));
  }
  std::lock_guard lock(mu_);
  json plugins = json::array();
  for (const auto& p : plugins_)
    plugins.push_back({{"name", p.name},
                       {"version", p.version},
                       {"abi", p.abi},
                       {"path", p.path},
                       {"description", p.description},
                       {"provides", p.provides}});
  json refused = json::array();
  for (const auto& [file, reason] : refused_) refused.push_back({{"file", file}, {"reason", reason}});
  json reload = nullptr;
  if (last_reload_at_ > 0)
    reload = {{"at", last_reload_at_}, {"applied", last_reload_applied_}, {"problems", last_reload_problems_}};
  json doc{{"version", version_},
           {"hostAbi", std::to_string(VIGIL_ABI_MAJOR) + "." + std::to_string(VIGIL_ABI_MINOR)},
           {"configSource", config_source_},
           {"startedAt", started_at_},
           {"lastReload", reload},
           {"plugins", plugins},
           {"refused", refused},
           {"skipped", skipped_},
           {"collectors", collectors},
           {"alertingStore", {{"ok", live.alerting_problem.empty()}, {"error", live.alerting_problem}}}};
  doc["cache"] =
      live.cache_backend.empty()
          ? json(nullptr)
          : json{{"backend", live.cache_backend}, {"ok", live.cache_problem.empty()}, {"error", live.cache_problem}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace vigil::app
