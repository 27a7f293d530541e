// AgentMetrics: vigil's own metrics (vigil_* and process_*) in a prometheus-cpp registry, and
// the /metrics rendering that merges them with plugin samples from a SampleStore.
//
// Thread-safe: prometheus-cpp metrics are atomic; the maps here are guarded by mu_.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace vigil::metrics {

class SampleStore;

// The per-instance series of one collector; pointers stay valid until remove_collector.
struct CollectorSeries {
  prometheus::Histogram* duration = nullptr;
  prometheus::Counter* runs = nullptr;
  prometheus::Counter* errors = nullptr;
  prometheus::Counter* timeouts = nullptr;
  prometheus::Counter* skipped = nullptr;
  prometheus::Counter* samples = nullptr;
  prometheus::Counter* invalid_samples = nullptr;
  prometheus::Counter* over_sample_limit = nullptr;
  prometheus::Gauge* up = nullptr;
  prometheus::Gauge* last_success = nullptr;
};

class AgentMetrics {
 public:
  explicit AgentMetrics(const std::string& version);
  ~AgentMetrics();
  AgentMetrics(const AgentMetrics&) = delete;
  AgentMetrics& operator=(const AgentMetrics&) = delete;

  CollectorSeries& collector(const std::string& plugin, const std::string& alias);
  void remove_collector(const std::string& plugin, const std::string& alias);

  void observe_scheduler_lag(double seconds);
  void observe_http(const std::string& route, unsigned code, double seconds);
  void set_http_connections(double open);
  // A connection closed at once; `limit`: max_connections or max_connections_per_client.
  void inc_http_rejected(std::string_view limit);
  // A config load or reload; on success `hash` (of the config text) becomes vigil_config_hash.
  void config_reload(bool ok, double unix_seconds, uint64_t hash = 0);
  // The API refused a call: reason "disabled" (no token configured), "missing" or "wrong".
  void api_auth_failure(const std::string& reason);
  // A change made through the API, by whom (the author it names, else "api") and what.
  void api_mutation(const std::string& principal, const std::string& action);
  // stage load, create or start; reason as PluginCatalog::refusal_reason, "settings" or "error".
  void plugin_failure(const std::string& plugin, const std::string& stage, const std::string& reason);
  // Instances kept alive after removal because a call into them has not returned (+1 when
  // quarantined, -1 when released).
  void plugin_quarantined(const std::string& kind, const std::string& plugin, int delta);
  // Isolated instances (isolation = "process"): a host that ended unasked, by signal name
  // ("none" for an exit), a host started again, and a host's resident memory.
  void plugin_host_crash(const std::string& kind, const std::string& plugin, const std::string& alias,
                         const std::string& signal);
  void plugin_host_restart(const std::string& kind, const std::string& plugin, const std::string& alias);
  void plugin_host_rss(const std::string& kind, const std::string& plugin, const std::string& alias, double bytes);

  // The full Prometheus text exposition: own metrics, process figures and plugin samples.
  std::string render(const SampleStore& samples) const;

 private:
  struct Families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> f_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, CollectorSeries> collectors_;       // guarded by mu_
  std::map<std::pair<std::string, unsigned>, prometheus::Counter*> http_requests_;  // guarded by mu_
  std::map<std::string, prometheus::Histogram*> http_durations_;                    // guarded by mu_
  std::set<std::string> principals_;                                                // guarded by mu_
};

}  // namespace vigil::metrics
