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

  // Errors are also kept per calling thread, for instances called concurrently ([ts]
  // interfaces): the message of a call is the one its own thread recorded.
  std::map<std::thread::id, std::string> thread_errors;  // guarded by mu

  void set_error(std::string msg) {
    std::lock_guard lock(mu);
    thread_errors[std::this_thread::get_id()] = msg;
    last_error = std::move(msg);
  }
  std::string take_error() {
    std::lock_guard lock(mu);
    std::string e = std::move(last_error);
    last_error.clear();
    thread_errors.erase(std::this_thread::get_id());
    return e;
  }
  // The error this thread's call recorded ("" when none).
  std::string take_thread_error() {
    std::lock_guard lock(mu);
    auto it = thread_errors.find(std::this_thread::get_id());
    if (it == thread_errors.end()) return "";
    std::string e = std::move(it->second);
    thread_errors.erase(it);
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
