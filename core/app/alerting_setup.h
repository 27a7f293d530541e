// The [alerting] section and [[notifiers.NAME]] instances turned into what AlertingService
// needs: the parsed configuration and created (not yet started) notifier instances. Shared by
// `vigil run` and `vigil check`, so check reports exactly what run would refuse.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "plugin_host/notifier_instance.h"
#include "plugin_host/plugin_catalog.h"
#include "runtime/alerting_service.h"

namespace vigil::metrics {
class AgentMetrics;
}

namespace vigil::app {

struct PreparedAlerting {
  runtime::AlertingOptions options;
  std::vector<std::unique_ptr<plugin_host::Notifier>> notifiers;
  Problems problems;
  Problems warnings;
};

// Notifiers with isolation = "process" get a host process each; their crashes and restarts are
// counted in `metrics` when given.
PreparedAlerting prepare_alerting(const config::Settings& settings, plugin_host::PluginCatalog& catalog,
                                  metrics::AgentMetrics* metrics = nullptr);

}  // namespace vigil::app
