// The memory cache backend: MemoryCache behind the plugin ABI's cache interface, with a sweep
// thread that removes expired entries between accesses.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <vigil/plugin.hpp>

#include "memory_cache.h"

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

class MemoryBackend {
 public:
  explicit MemoryBackend(Context& ctx) : cache_(options(ctx)) {
    sweep_ns_ = ctx.get_duration_ns("sweep_interval").value_or(1'000'000'000LL);
    if (sweep_ns_ <= 0) throw Error(VIGIL_E_CONFIG, "\"sweep_interval\" must be greater than zero");
  }
  ~MemoryBackend() { stop(); }

  void start(Context& ctx) {
    stopping_ = false;
    sweeper_ = std::thread([this, &ctx] {
      std::unique_lock l(mu_);
      while (!stopping_) {
        cv_.wait_for(l, std::chrono::nanoseconds(sweep_ns_), [&] { return stopping_.load(); });
        if (stopping_) break;
        cache_.sweep(ctx.monotonic_ns());
        try {
          publish(ctx);
        } catch (const Error&) {  // a refused sample costs the statistics, never the cache
        }
      }
    });
  }
  void stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

  bool get(Context& ctx, std::string_view key, vigil_writer* out) {
    std::string value;
    if (!cache_.get(key, ctx.monotonic_ns(), &value)) return false;
    if (out && out->append && out->append(out, value.data(), value.size()) != VIGIL_OK)
      throw Error(VIGIL_E_NOMEM, "the value does not fit the host's buffer");
    return true;
  }
  void set(Context& ctx, std::string_view key, std::string_view value, int64_t ttl_ns) {
    cache_.set(key, value, ttl_ns, ctx.monotonic_ns());
  }
  void del(Context&, std::string_view key) { cache_.del(key); }
  bool add(Context& ctx, std::string_view key, std::string_view value, int64_t ttl_ns) {
    return cache_.add(key, value, ttl_ns, ctx.monotonic_ns());
  }
  void del_prefix(Context&, std::string_view prefix) { cache_.del_prefix(prefix); }
  void scan(Context& ctx, std::string_view prefix, const vigil::sdk::ScanVisitor& visit) {
    cache_.for_each(prefix, ctx.monotonic_ns(), visit);
  }

 private:
  // The statistics, emitted after each sweep; the host publishes the latest as
  // vigil_cache_memory_*{backend="<alias>"}.
  void publish(Context& ctx) {
    const auto st = cache_.stats();
    ctx.gauge("vigil_cache_memory_entries", static_cast<double>(st.entries), {}, "Entries held.");
    ctx.gauge("vigil_cache_memory_bytes", static_cast<double>(st.bytes), {},
              "Bytes held: keys, values and a fixed overhead per entry.");
    ctx.counter("vigil_cache_memory_hits_total", static_cast<double>(st.hits), {}, "Lookups that found a live entry.");
    ctx.counter("vigil_cache_memory_misses_total", static_cast<double>(st.misses), {}, "Lookups that found none.");
    ctx.counter("vigil_cache_memory_evictions_total", static_cast<double>(st.evictions), {},
                "Entries removed to stay within max_size or max_entries.");
    ctx.counter("vigil_cache_memory_expirations_total", static_cast<double>(st.expirations), {},
                "Entries removed because their TTL passed.");
    ctx.counter("vigil_cache_memory_rejections_total", static_cast<double>(st.rejections), {},
                "Writes refused: too large, or not admitted by TinyLFU.");
  }

  static vigil::cache::MemoryCacheOptions options(Context& ctx) {
    vigil::cache::MemoryCacheOptions o;
    o.max_bytes = static_cast<size_t>(ctx.get_size_bytes("max_size").value_or(64u << 20));
    const int64_t entries = ctx.get_int("max_entries").value_or(0);
    const int64_t shards = ctx.get_int("shards").value_or(16);
    if (entries < 0) throw Error(VIGIL_E_CONFIG, "\"max_entries\" must be 0 (no limit) or more");
    if (shards < 1 || shards > 1024) throw Error(VIGIL_E_CONFIG, "\"shards\" must be between 1 and 1024");
    o.max_entries = static_cast<size_t>(entries);
    o.shards = static_cast<size_t>(shards);
    const std::string admission = ctx.get_string("admission").value_or("lru");
    if (admission != "lru" && admission != "tinylfu")
      throw Error(VIGIL_E_CONFIG, "\"admission\" must be \"lru\" or \"tinylfu\"");
    o.tinylfu = admission == "tinylfu";
    return o;
  }

  vigil::cache::MemoryCache cache_;
  int64_t sweep_ns_ = 0;
  std::thread sweeper_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
};

const vigil_config_key kSchema[] = {
    {"max_size", VIGIL_CFG_SIZE, "64MiB", 0, "bytes held (keys, values and about 64 bytes an entry)"},
    {"max_entries", VIGIL_CFG_INT, "0", 0, "entries held; 0 = bounded by max_size only"},
    {"shards", VIGIL_CFG_INT, "16", 0, "independently locked parts, for concurrent access"},
    {"admission", VIGIL_CFG_STRING, "lru", 0, "lru, or tinylfu to keep frequently used entries through scans"},
    {"sweep_interval", VIGIL_CFG_DURATION, "1s", 0, "how often expired entries are removed between accesses"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_CACHE(MemoryBackend, "memory", "1.0.0", "In-process cache: sharded LRU or TinyLFU, TTL, byte bounds",
                kSchema);
