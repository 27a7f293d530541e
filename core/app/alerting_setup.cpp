#include "app/alerting_setup.h"

#include "alerting/config.h"
#include "isolation/isolated_notifier.h"

namespace vigil::app {

PreparedAlerting prepare_alerting(const config::Settings& settings, plugin_host::PluginCatalog& catalog,
                                  metrics::AgentMetrics* metrics) {
  PreparedAlerting out;
  std::vector<std::string> aliases;
  for (const auto& inst : settings.notifiers) aliases.push_back(inst.alias);
  auto parsed = alerting::parse_alerting_config(settings.alerting, aliases);
  out.problems = std::move(parsed.problems);
  out.options.config = std::move(parsed.config);
  const auto& c = out.options.config;
  out.options.retry.initial = c.retry_initial_interval;
  out.options.retry.max = c.retry_max_interval;
  out.options.retry.max_age = c.retry_max_age;
  out.options.delivery_timeout = c.delivery_timeout;
  out.options.history_retention = std::chrono::duration_cast<std::chrono::hours>(c.history_retention);
  out.options.history_max_events = c.history_max_events;
  out.options.db_path =
      settings.agent.state_dir.empty() ? std::string(":memory:") : settings.agent.state_dir + "/alerting.db";
  for (const auto& inst : settings.notifiers) {
    if (!inst.rate_limit.empty()) {
      if (auto r = runtime::parse_rate(inst.rate_limit); !r.ok())
        out.problems.push_back(inst.where + ": notifier \"" + inst.alias + "\": " + r.message());
      out.options.rate_limits[inst.alias] = inst.rate_limit;
    }
    auto& problems = inst.optional ? out.warnings : out.problems;
    if (inst.isolation == "process") {
      // Only the host process loads an isolated plugin: nothing of it runs in the agent.
      const std::string path = catalog.locate(inst.plugin);
      if (path.empty()) {
        problems.push_back(inst.where + ": " + catalog.not_found_message(inst.plugin, "notifier"));
        continue;
      }
      isolation::IsolationOptions options;
      options.host_path = isolation::default_host_path();
      options.log_level = settings.log.level;
      options.memory_limit = inst.memory_limit;
      options.metrics = metrics;
      auto created = isolation::IsolatedNotifier::create(path, inst, std::move(options));
      if (!created.ok()) {
        problems.push_back(created.message());
        continue;
      }
      out.notifiers.push_back(std::move(created.value()));
      continue;
    }
    auto plugin = catalog.find(inst.plugin);
    if (!plugin) {
      problems.push_back(inst.where + ": " + catalog.not_found_message(inst.plugin, "notifier"));
      continue;
    }
    auto created = plugin_host::NotifierInstance::create(plugin, inst);
    if (!created.ok()) {
      problems.push_back(created.message());
      continue;
    }
    out.notifiers.push_back(std::move(created.value()));
  }
  return out;
}

}  // namespace vigil::app
