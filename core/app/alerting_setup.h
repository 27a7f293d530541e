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

namespace vigil::app {

struct PreparedAlerting {
  runtime::AlertingOptions options;
  std::vector<std::unique_ptr<plugin_host::NotifierInstance>> notifiers;
  Problems problems;
  Problems warnings;
};

PreparedAlerting prepare_alerting(const config::Settings& settings, plugin_host::PluginCatalog& catalog);

}  // namespace vigil::app
