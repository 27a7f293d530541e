// The cache facade: namespaces over one backend (the memory plugin, Redis, or both tiered), with
// the protections a cache in front of slow work needs:
//  - get_or_load(): concurrent misses on one key run one load (singleflight); the others wait
//    for it, up to a timeout;
//  - probabilistic early refresh (XFetch): a hot key is reloaded by one caller shortly before
//    it expires, so it never expires under load;
//  - TTL jitter, so keys written together do not expire together;
//  - negative caching of "not found" with its own short TTL, and bounds on key and value size.
// Values are stored in an envelope (kind, expiry, load time) so these work on any backend.
//
// Thread-safe: every member may be called concurrently.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace vigil::cache {

// What a backend does; the plugin-backed one adapts a cache plugin's vtable. Thread-safe.
class Backend {
 public:
  enum class Change { changed, unknown, linked };  // see vigil_cache_v1.watch
  using ChangeListener = std::function<void(Change, std::string_view key)>;
  using ScanVisitor = std::function<bool(std::string_view key, std::string_view value, std::chrono::milliseconds ttl)>;

  virtual ~Backend() = default;
  // nullopt: a miss. An error: the backend failed (e.g. Redis is down).
  virtual Result<std::optional<std::string>> get(const std::string& key) = 0;
  virtual Status set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) = 0;
  virtual Status del(const std::string& key) = 0;
  // The optional operations; by default they say the backend lacks them.
  // Stores only if absent, atomically for every client of the store; true when stored.
  virtual Result<bool> add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl);
  virtual Status del_prefix(const std::string& prefix);
  // Live keys under prefix with value and remaining TTL (0 = none) until visit returns false.
  virtual Status scan(const std::string& prefix, const ScanVisitor& visit);
  // The store behind the backend answers; a backend with nothing outside the process is healthy.
  virtual Status ping() { return {}; }
  // Before start: reports changes other clients make (see vigil_cache_v1.watch).
  virtual Status watch(ChangeListener listener);
  // Whether writes made here are seen by other vigil processes (Redis: yes; memory: no).
  virtual bool shared() const { return false; }
};

struct NamespaceOptions {
  std::chrono::milliseconds ttl{5 * 60 * 1000};
  std::chrono::milliseconds negative_ttl{30 * 1000};  // 0 = "not found" is not cached
  double ttl_jitter = 0.1;                            // +- this fraction of each TTL
  bool early_refresh = false;                         // XFetch
  double early_refresh_beta = 1.0;                    // > 1 refreshes earlier
  std::chrono::milliseconds load_wait{5000};          // how long followers wait for a load
  size_t max_key_bytes = 1024;
  size_t max_value_bytes = 1 << 20;
  bool snapshot = false;  // the agent saves the namespace at stop and loads it at start
};

// Upper bounds (seconds) of the load duration histogram's buckets.
inline constexpr std::array<double, 12> kLoadBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1,    5};

struct NamespaceStats {
  uint64_t hits = 0, misses = 0, negative_hits = 0, loads = 0, load_errors = 0, waits = 0, wait_timeouts = 0,
           early_refreshes = 0, backend_errors = 0, refused = 0;
  std::array<uint64_t, kLoadBuckets.size()> load_buckets{};  // cumulative counts, as Prometheus
  double load_seconds_sum = 0;
};

class Namespace {
 public:
  using Clock = std::function<int64_t()>;                              // unix milliseconds
  using Loader = std::function<Result<std::optional<std::string>>()>;  // nullopt: not found

  Namespace(std::string name, NamespaceOptions options, std::shared_ptr<Backend> backend, Clock clock,
            uint64_t seed = std::random_device{}());

  // nullopt on a miss; a cached "not found" is also nullopt (counted as a negative hit).
  Result<std::optional<std::string>> get(const std::string& key);
  Status set(const std::string& key, const std::string& value, std::optional<std::chrono::milliseconds> ttl = {});
  Status del(const std::string& key);
  // The cached value, or the loader's (cached for `ttl`, or negative_ttl when not found).
  // Loader errors are returned and not cached.
  Result<std::optional<std::string>> get_or_load(const std::string& key, const Loader& loader,
                                                 std::optional<std::chrono::milliseconds> ttl = {});

  // Explicit invalidation of one key, or of every key of this namespace starting with prefix.
  Status invalidate(const std::string& key) { return del(key); }
  Status invalidate_prefix(const std::string& prefix);

  // Warm-up: loads each key not cached yet (as get_or_load), calling progress(done, total)
  // at most once a second and at the end. Returns the keys whose load failed.
  using KeyLoader = std::function<Result<std::optional<std::string>>(const std::string& key)>;
  std::vector<std::string> warm_up(const std::vector<std::string>& keys, const KeyLoader& loader,
                                   const std::function<void(size_t done, size_t total)>& progress = {});
  // Snapshots: every live entry of the namespace written to a file (atomically: a temporary
  // file, then rename), and read back with the time each entry had left. Need backend scan.
  Result<size_t> save_snapshot(const std::string& path);
  Result<size_t> load_snapshot(const std::string& path,
                               const std::function<void(size_t done, size_t total)>& progress = {});

  const std::string& name() const { return name_; }
  NamespaceStats stats() const;

 private:
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Result<std::optional<std::string>> result = std::optional<std::string>();
  };
  struct Entry {
    bool negative = false;
    int64_t expires_ms = 0;
    int64_t load_ms = 0;
    std::string value;
  };
  std::string backend_key(const std::string& key) const { return name_ + ":" + key; }
  Status check_key(const std::string& key);
  Result<std::optional<Entry>> read(const std::string& key);
  Status write(const std::string& key, const Entry& e, std::chrono::milliseconds ttl);
  std::chrono::milliseconds jittered(std::chrono::milliseconds ttl);
  bool refresh_early(const Entry& e, int64_t now);
  Result<std::optional<std::string>> load(const std::string& key, const Loader& loader, std::chrono::milliseconds ttl,
                                          bool refreshing);

  std::string name_;
  NamespaceOptions options_;
  std::shared_ptr<Backend> backend_;
  Clock clock_;
  mutable std::mutex mu_;  // guards flights_, rng_ and stats_
  std::map<std::string, std::shared_ptr<Flight>> flights_;
  std::mt19937_64 rng_;
  NamespaceStats stats_;
};

// The namespaces of one backend, created on first use: those named in the configuration with
// their options, any other (each plugin's own, for instance) with the defaults.
class Cache {
 public:
  Cache(std::shared_ptr<Backend> backend, NamespaceOptions defaults, std::map<std::string, NamespaceOptions> named,
        Namespace::Clock clock);
  Namespace& ns(const std::string& name);
  NamespaceOptions options_for(const std::string& name) const;
  std::vector<std::string> names() const;  // the namespaces used so far
  std::vector<std::pair<std::string, NamespaceStats>> stats() const;

 private:
  std::shared_ptr<Backend> backend_;
  NamespaceOptions defaults_;
  std::map<std::string, NamespaceOptions> named_;
  Namespace::Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Namespace>> namespaces_;  // guarded by mu_; never removed
};

// The envelope: "V" or "N", then expiry and load time in ms, then the value.
std::string encode_entry(bool negative, int64_t expires_ms, int64_t load_ms, const std::string& value);
bool decode_entry(const std::string& raw, bool& negative, int64_t& expires_ms, int64_t& load_ms, std::string& value);

}  // namespace vigil::cache
