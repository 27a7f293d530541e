// The [[scenarios.NAME]] tables with a `schedule`, run by `vigil run` as synthetic probes of the
// watched service: one at a time (load runs never overlap), each every `schedule` from the start
// of its last run, the first a few seconds after the agent starts. After each run its figures
// are published on /metrics (vigil_scenario_*), a line is logged, and, with a state_dir, its
// report is kept as <state_dir>/bench/<alias>/<started>.json (the newest 20 of each scenario).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "config/settings.h"

namespace vigil::metrics {
class SampleStore;
}
namespace vigil::plugin_host {
class PluginCatalog;
}

namespace vigil::app {

class ScheduledScenarios {
 public:
  // Creates every scheduled scenario (the plugin checks its settings) and parses its thresholds;
  // each problem names the table.
  static std::unique_ptr<ScheduledScenarios> prepare(const config::Settings& settings,
                                                     plugin_host::PluginCatalog& catalog, Problems& problems);
  ~ScheduledScenarios();

  // Starts the runner thread; `first_delay` before the first run.
  void start(metrics::SampleStore& store, std::string report_dir,
             std::chrono::milliseconds first_delay = std::chrono::seconds(2));
  // Aborts a run in progress (it ends within its drain bound) and joins the thread.
  void stop();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry;
  ScheduledScenarios() = default;
  void loop();
  void run_one(Entry& e);
  void publish();

  std::vector<std::unique_ptr<Entry>> entries_;
  metrics::SampleStore* store_ = nullptr;
  std::string report_dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::atomic<bool> abort_{false};
  std::thread thread_;
};

}  // namespace vigil::app
