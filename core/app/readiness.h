// The /readyz document: named checks (config loaded, plugins started, each collector's recent
// success) and the overall verdict. A collector is healthy when it succeeded within the last
// three intervals; optional collectors are reported but never make the agent unready.
#pragma once

#include <string>
#include <vector>

#include "runtime/collector_set.h"

namespace vigil::app {

struct Readiness {
  bool ready = false;
  std::string json;
};

// `alerting_problem` is the alerting database's last write error, `cache_problem` the cache
// backend's last health check error ("" when healthy); `cache_backend` "" = no cache configured.
// Quarantined instances (removed, still inside a call) are listed; they do not make the agent
// unready, since the running configuration does not use them.
Readiness evaluate_readiness(bool config_loaded, bool plugins_started, const std::string& config_source,
                             const std::vector<runtime::CollectorStatus>& collectors,
                             const std::string& alerting_problem = "", const std::string& cache_problem = "",
                             const std::string& cache_backend = "",
                             const std::vector<runtime::QuarantinedCollector>& quarantined = {});

}  // namespace vigil::app
