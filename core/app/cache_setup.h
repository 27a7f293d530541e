// [cache] and [[caches.NAME]] turned into the cache the host services offer plugins: the
// backend instance [cache] backend names (or the first; or "tiered": [cache.tiered] l1 over l2),
// and the facade's namespace options.
// Shared by `vigil run` and `vigil check`.
#pragma once

#include <memory>
#include <vector>

#include "base/status.h"
#include "cache/cache.h"
#include "config/settings.h"
#include "plugin_host/cache_instance.h"
#include "plugin_host/plugin_catalog.h"

namespace vigil::app {

struct PreparedCache {
  std::vector<std::unique_ptr<plugin_host::CacheInstance>> instances;
  plugin_host::CacheInstance* backend = nullptr;            // one of instances; null: none, or tiered
  plugin_host::CacheInstance *l1 = nullptr, *l2 = nullptr;  // backend = "tiered": two of instances
  std::chrono::milliseconds l1_ttl{60000};
  cache::NamespaceOptions defaults;
  std::map<std::string, cache::NamespaceOptions> named;
  Problems problems;
};

PreparedCache prepare_cache(const config::Settings& settings, plugin_host::PluginCatalog& catalog);
// [alerting] replica_dedup needs a cache that other vigil processes share: the problem, or "".
std::string replica_dedup_problem(const PreparedCache& cache, bool replica_dedup);
cache::NamespaceOptions namespace_options(const config::CacheNamespaceSettings& s);

}  // namespace vigil::app
