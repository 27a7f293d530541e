// CollectorSet: the running collector instances and their scheduler jobs. It turns a validated
// config into instances (prepare), and swaps them in with the fewest changes (apply): an
// instance whose identity (plugin, alias, settings) is unchanged keeps running across reloads.
//
// Threading: prepare/apply/statuses on the control thread; jobs run on scheduler workers.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "runtime/scheduler.h"

namespace vigil::metrics {
class AgentMetrics;
class SampleStore;
class SeriesStore;
}  // namespace vigil::metrics
namespace vigil::plugin_host {
class Collector;
class PluginCatalog;
}  // namespace vigil::plugin_host

namespace vigil::runtime {

// What /readyz reports per collector.
struct CollectorStatus {
  std::string plugin;
  std::string alias;
  bool optional = false;
  bool ever_succeeded = false;
  double seconds_since_success = -1;  // -1: never
  double interval_seconds = 0;
  std::string last_error;
};

// An instance removed by a reload while its collect() was still running: kept alive (never
// stopped or destroyed under the call) until the call returns; its late results are discarded.
struct QuarantinedCollector {
  std::string plugin;
  std::string alias;
  double seconds = 0;  // since it was removed
};

class CollectorSet {
 public:
  struct Prepared {
    // Instances created for the new config (identity -> instance); kept ones are absent.
    std::map<std::string, std::shared_ptr<plugin_host::Collector>> created;
    std::vector<std::string> identities;  // every instance of the new config
    config::AgentSettings agent;
    Problems problems;  // fatal problems
    Problems warnings;  // optional instances that were skipped
  };

  CollectorSet(Scheduler& scheduler, metrics::AgentMetrics& metrics, metrics::SampleStore& store);
  ~CollectorSet();

  // Creates every instance the config names that this set does not already run: in this
  // process, or (isolation = "process") in a vigil-plugin-host of its own. No I/O in plugins'
  // create().
  Prepared prepare(const config::Settings& settings, plugin_host::PluginCatalog& catalog) const;
  // The vigil-plugin-host executable for isolated instances (default: the one beside vigil).
  void set_plugin_host_path(std::string path) { plugin_host_path_ = std::move(path); }
  // Starts new instances, stops removed ones, keeps unchanged ones. Fails (changing nothing
  // that runs) if a non-optional new instance fails to start.
  Status apply(Prepared prepared);
  // Stops every instance. REQUIRES: the scheduler stopped with no run left in progress.
  void clear();

  std::vector<CollectorStatus> statuses() const;
  std::vector<QuarantinedCollector> quarantined() const;
  // From now on every collection is also appended to `series` (for rule evaluation); nullptr
  // stops it. The store must outlive this set.
  void set_series_store(metrics::SeriesStore* series) { series_.store(series); }
  size_t size() const;

 private:
  struct Entry;
  Job make_job(const std::shared_ptr<Entry>& e, const config::AgentSettings& agent);
  // Makes sure nothing of `e` runs or publishes any more: stops it now if no collect() is in
  // progress, else quarantines it (its own run stops it when the call returns).
  void retire(const std::shared_ptr<Entry>& e);

  Scheduler& scheduler_;
  metrics::AgentMetrics& metrics_;
  std::string plugin_host_path_;
  metrics::SampleStore& store_;
  std::shared_ptr<std::atomic<metrics::SeriesStore*>> series_ptr_ =
      std::make_shared<std::atomic<metrics::SeriesStore*>>(nullptr);
  std::atomic<metrics::SeriesStore*>& series_ = *series_ptr_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> running_;  // identity -> entry; guarded by mu_
  std::vector<std::shared_ptr<Entry>> quarantined_;        // guarded by mu_; released ones pruned by retire()
};

}  // namespace vigil::runtime
