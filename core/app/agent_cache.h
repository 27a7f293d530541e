// AgentCache: the cache of a running agent. It starts the [[caches.NAME]] instances, builds the
// backend [cache] names (an instance, or "tiered": an in-process L1 kept coherent over a shared
// L2), hands the facade to plugins through the host services, restores the namespaces marked
// `snapshot` (and saves them at stop), checks the backend every 5 s for /readyz and publishes
// vigil_cache_* metrics.
//
// Threading: start/stop on the control thread; problem() and the accessors from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "app/cache_setup.h"
#include "cache/cache.h"
#include "cache/tiered_backend.h"
#include "metrics/sample_store.h"
#include "runtime/scheduler.h"

namespace vigil::app {

class AgentCache {
 public:
  // Null (and OK) when no cache is configured. snapshot_dir "" = no snapshots.
  static Result<std::unique_ptr<AgentCache>> start(PreparedCache prepared, std::string snapshot_dir,
                                                   runtime::Scheduler& scheduler, metrics::SampleStore& store);
  ~AgentCache();
  AgentCache(const AgentCache&) = delete;
  AgentCache& operator=(const AgentCache&) = delete;

  // Saves snapshots, withdraws the facade from plugins, stops the instances. Call after the
  // plugins that use the cache stopped (collectors, notifiers).
  void stop(runtime::Scheduler& scheduler);

  std::shared_ptr<cache::Cache> facade() const { return facade_; }
  // The backend under the facade; shared() tells whether other vigil processes see it.
  std::shared_ptr<cache::Backend> backend() const { return backend_; }
  // The last health check's error; "" while healthy.
  std::string problem() const;
  std::string description() const { return description_; }
  const PreparedCache& prepared() const { return prepared_; }

 private:
  AgentCache() = default;
  void check_health();
  void publish(metrics::SampleStore& store);
  void restore_snapshots();
  void save_snapshots();
  std::string snapshot_path(const std::string& ns) const;

  PreparedCache prepared_;
  std::string snapshot_dir_, description_;
  std::shared_ptr<cache::TieredBackend> tiered_;
  std::shared_ptr<cache::Backend> backend_;
  std::shared_ptr<cache::Cache> facade_;
  mutable std::mutex mu_;
  std::string problem_;      // guarded by mu_
  double ping_seconds_ = 0;  // guarded by mu_
  bool stopped_ = false;
  // The health job may still be running when the job is removed; it runs only while alive.
  struct JobGuard {
    std::mutex mu;
    bool alive = true;
  };
  std::shared_ptr<JobGuard> guard_ = std::make_shared<JobGuard>();
  void end_job();
};

}  // namespace vigil::app
