#include <fstream>
#include <iterator>
#include <ostream>

#include "app/alerting_setup.h"
#include "app/api_auth.h"
#include "config/bounded_read.h"
#include "log/secret_values.h"
#include "app/cache_setup.h"
#include "app/commands.h"
#include "http/http_server.h"
#include "app/config_source.h"
#include "app/embedded_config.h"
#include "app/plugin_dirs.h"
#include "metrics/agent_metrics.h"
#include "metrics/sample_store.h"
#include "load/thresholds.h"
#include "plugin_host/plugin_catalog.h"
#include "plugin_host/scenario_instance.h"
#include "runtime/collector_set.h"
#include "runtime/rule_scheduler.h"

namespace vigil::app {

const char* version() {
  return VIGIL_VERSION;
}

std::string version_line() {
  return std::string("vigil ") + VIGIL_VERSION + " (plugin ABI " + std::to_string(VIGIL_ABI_MAJOR) + "." +
         std::to_string(VIGIL_ABI_MINOR) + ")";
}

uint64_t config_text_hash(const std::string& path) {
  std::string text;
  if (path.empty()) {
    text = embedded_default_config();
  } else {
    auto read = config::read_bounded_file(path, config::kMaxConfigFileBytes, "config file");
    if (!read.ok()) return 0;
    text = std::move(read.value());
  }
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

config::LoadResult load_config(const std::string& path) {
  if (path.empty()) return config::load_config_text(embedded_default_config(), kEmbeddedConfigName);
  return config::load_config_file(path);
}

int check_config(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto loaded = load_config(config_path);
  const std::string name = config_path.empty() ? kEmbeddedConfigName : config_path;
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) err << "error: " << log::redact_secrets(p) << "\n";
    err << name << ": " << loaded.problems.size() << " problem(s) found\n";
    return 2;
  }
  plugin_host::PluginCatalog catalog(plugin_search_path(loaded.settings));
  metrics::AgentMetrics agent_metrics(version());
  metrics::SampleStore store;
  runtime::Scheduler scheduler;
  runtime::CollectorSet set(scheduler, agent_metrics, store);
  // create() reads and validates settings without I/O; the instances are destroyed again.
  auto prepared = set.prepare(loaded.settings, catalog);
  for (const auto& w : prepared.warnings) err << "warning: " << w << "\n";
  if (!prepared.problems.empty()) {
    for (const auto& p : prepared.problems) err << "error: " << log::redact_secrets(p) << "\n";
    err << name << ": " << prepared.problems.size() << " problem(s) found\n";
    return 2;
  }
  const auto slash = config_path.rfind('/');
  auto rule_files = runtime::RuleScheduler::load(loaded.settings.rules,
                                                 slash == std::string::npos ? "." : config_path.substr(0, slash));
  if (!rule_files.problems.empty()) {
    for (const auto& p : rule_files.problems) err << "error: " << log::redact_secrets(p) << "\n";
    err << name << ": " << rule_files.problems.size() << " problem(s) found\n";
    return 2;
  }
  auto caches = prepare_cache(loaded.settings, catalog);
  if (!caches.problems.empty()) {
    for (const auto& p : caches.problems) err << "error: " << log::redact_secrets(p) << "\n";
    err << name << ": " << caches.problems.size() << " problem(s) found\n";
    return 2;
  }
  auto alerting = prepare_alerting(loaded.settings, catalog);
  if (auto tokens = api_tokens(loaded.settings.http); !tokens.ok()) alerting.problems.push_back(tokens.message());
  if (!loaded.settings.http.web_config_file.empty())
    if (auto st = http::check_web_config(loaded.settings.http.web_config_file); !st.ok())
      alerting.problems.push_back("[http] web_config_file: " + st.message());
  if (auto p = replica_dedup_problem(caches, alerting.options.config.replica_dedup); !p.empty())
    alerting.problems.push_back(p);
  // Scenarios are created (settings checked by the plugin) and destroyed again, like collectors.
  for (const auto& inst : loaded.settings.scenarios) {
    auto plugin = catalog.find(inst.plugin);
    if (!plugin) {
      alerting.problems.push_back(inst.where + ": " + catalog.not_found_message(inst.plugin, "scenario"));
      continue;
    }
    auto created = plugin_host::ScenarioInstance::create(plugin, inst);
    if (!created.ok())
      alerting.problems.push_back(created.message());
    else if (inst.bench.schedule.count() > 0 && inst.bench.target.empty() &&
             created.value()->transport() != VIGIL_SCENARIO_CALL)
      alerting.problems.push_back(inst.where + ": scenario \"" + inst.alias +
                                  "\" has a schedule but no target; set target = \"http://HOST:PORT\"");
    for (const auto& t : inst.bench.thresholds)
      if (auto parsed = load::parse_threshold(t); !parsed.ok())
        alerting.problems.push_back(inst.where + ": " + parsed.message());
  }
  for (const auto& w : alerting.warnings) err << "warning: " << w << "\n";
  if (!alerting.problems.empty()) {
    for (const auto& p : alerting.problems) err << "error: " << log::redact_secrets(p) << "\n";
    err << name << ": " << alerting.problems.size() << " problem(s) found\n";
    return 2;
  }
  size_t n_rules = 0;
  for (const auto& g : rule_files.groups) n_rules += g.rules.size();
  out << name << ": OK (" << prepared.created.size() << " collector instance(s), " << rule_files.groups.size()
      << " rule group(s) with " << n_rules << " rule(s), " << alerting.notifiers.size() << " notifier(s), "
      << alerting.options.config.receivers.size() << " receiver(s))\n";
  return 0;
}

}  // namespace vigil::app
