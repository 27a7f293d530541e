// InstanceContext (the host's `struct vigil_ctx`): everything the host services need to answer
// one plugin instance: its config table, error slot, emission buffer, deadline and stop flag.
// Thread-safety: the mutex guards the error slot and the buffer; plugin threads may call
// host services concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <vigil/plugin.h>

#include "config/plugin_table.h"
#include "metrics/sample.h"

struct vigil_ctx {
  std::string plugin;
  std::string alias;
  vigil::config::PluginTable table;

  std::atomic<int64_t> deadline_mono_ns{INT64_MAX};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> retry_after_ms{0};  // from the last HTTP reply's Retry-After, for the host's backoff

  std::mutex mu;
  std::string last_error;                       // guarded by mu
  std::vector<vigil::metrics::Sample> pending;  // guarded by mu
  uint64_t invalid_samples = 0;                 // guarded by mu
  std::string first_invalid;                    // guarded by mu
  std::vector<std::string> kept_strings;        // guarded by mu; cfg_key_at results

  std::string take_error() {
    std::lock_guard lock(mu);
    std::string e = std::move(last_error);
    last_error.clear();
    return e;
  }
};

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
