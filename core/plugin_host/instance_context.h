// InstanceContext (the host's `struct vigil_ctx`): everything the host services need to answer
// one plugin instance: its config table, error slot, emission buffer, deadline and stop flag.
// Thread-safety: the mutex guards the error slot and the buffer; plugin threads may call
// host services concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include <vigil/plugin.h>

#include "config/plugin_table.h"
#include "metrics/sample.h"

struct vigil_ctx {
  std::string kind;  // "collector", "notifier", "cache", "scenario"
  std::string plugin;
  std::string alias;
  vigil::config::PluginTable table;

  std::atomic<bool> stopping{false};
  // Set once the plugin's stop() returned (cleared by a new start()): services that act
  // (emit, cache, HTTP, SMTP) then fail with VIGIL_E_INVALID instead of touching anything.
  std::atomic<bool> closed{false};

  std::mutex mu;
  std::vector<vigil::metrics::Sample> pending;  // guarded by mu
  uint64_t invalid_samples = 0;                 // guarded by mu
  // Samples the buffer takes; emits beyond it fail and are counted (a collector's sample_limit).
  size_t sample_limit = 1'000'000;  // guarded by mu
  uint64_t samples_over_limit = 0;  // guarded by mu
  std::string first_invalid;        // guarded by mu
};

namespace vigil::plugin_host {

// One call from the host into a plugin instance, recorded on the calling thread while it runs.
// Host services read the call's own deadline from it, and a message set with host->fail during
// the call lands in it, so concurrent calls ([ts] interfaces) never see each other's messages
// and a plugin's own threads (outside any call) have no deadline.
struct CallFrame {
  // What host->fail_item recorded for one item of a batch call.
  struct ItemError {
    std::string error;
    int64_t retry_after_ms = 0;
  };

  vigil_ctx* ctx = nullptr;
  int64_t deadline_mono_ns = INT64_MAX;
  std::string error;
  int64_t retry_after_ms = 0;  // from the last HTTP reply's Retry-After during the call
  // Batch calls only: the number of items, and per item what fail_item recorded (by index).
  size_t batch_items = 0;
  std::map<size_t, ItemError> item_errors;
  int64_t item_retry_after_ms = 0;  // Retry-After seen since the previous fail_item
  CallFrame* outer = nullptr;
};

// The innermost call into `ctx` running on this thread, or null.
CallFrame* current_call(const vigil_ctx* ctx);

// Pushes a frame for the scope of one call; the previous frame is restored on exit.
class ScopedCall {
 public:
  ScopedCall(vigil_ctx* ctx, int64_t deadline_mono_ns);
  ~ScopedCall();
  ScopedCall(const ScopedCall&) = delete;
  ScopedCall& operator=(const ScopedCall&) = delete;
  CallFrame& frame() { return frame_; }

 private:
  CallFrame frame_;
};

// Keeps a context's memory for the life of the process once its instance is destroyed, so a
// plugin thread that calls a host service too late gets VIGIL_E_INVALID, never freed memory.
void retire_context(std::unique_ptr<vigil_ctx> ctx);

}  // namespace vigil::plugin_host

namespace vigil::cache {
class Cache;
}

namespace vigil::plugin_host {

// The cache plugins reach through host->cache_get/set/del (null: none configured).
void set_host_cache(std::shared_ptr<cache::Cache> cache);

// The host services table handed to every plugin (static, [ts]).
const vigil_host_v1* host_table();
int64_t monotonic_now_ns();

}  // namespace vigil::plugin_host
