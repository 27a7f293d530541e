// The agent's status document for the console's health page (GET /api/v1/status): the plugins
// the catalog loaded (name, version, ABI, what they provide) or refused (file and reason), the
// optional instances skipped, the last configuration reload and its problems, and, read live at
// each request, every collector's last run and error, the alerting store and the cache.
//
// The control thread records (at start and on reload); HTTP threads render. One mutex.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/collector_set.h"

namespace vigil::plugin_host {
class PluginCatalog;
}

namespace vigil::app {

// What the status document reads live, per request.
struct LiveStatus {
  std::vector<runtime::CollectorStatus> collectors;
  std::string alerting_problem;  // the alerting database's last write error; "" = healthy
  std::string cache_backend;     // "" = no cache configured
  std::string cache_problem;     // the cache's last health check error; "" = healthy
};

class StatusBoard {
 public:
  StatusBoard(std::string version, std::string config_source);

  // Copies what the catalog holds now: loaded plugins and files refused.
  void record_plugins(const plugin_host::PluginCatalog& catalog);
  // Optional instances (collectors, notifiers) skipped because they could not be created.
  void record_skipped(const Problems& skipped);
  // A reload's outcome; `problems` say why it was rejected (empty when it was applied).
  void record_reload(bool applied, const Problems& problems);

  std::string json(const LiveStatus& live) const;

 private:
  struct Plugin {
    std::string name, version, path, abi, description;
    std::vector<std::string> provides;
  };
  mutable std::mutex mu_;
  const std::string version_, config_source_;
  const double started_at_;
  std::vector<Plugin> plugins_;
  std::vector<std::pair<std::string, std::string>> refused_;  // file -> reason
  Problems skipped_;
  double last_reload_at_ = 0;  // unix seconds; 0 = never reloaded
  bool last_reload_applied_ = true;
  Problems last_reload_problems_;
};

}  // namespace vigil::app
