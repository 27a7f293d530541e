#include "app/cache_setup.h"

#include <tuple>

namespace vigil::app {

cache::NamespaceOptions namespace_options(const config::CacheNamespaceSettings& s) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  cache::NamespaceOptions o;
  o.ttl = duration_cast<milliseconds>(s.ttl);
  o.negative_ttl = duration_cast<milliseconds>(s.negative_ttl);
  o.ttl_jitter = s.ttl_jitter;
  o.early_refresh = s.early_refresh;
  o.load_wait = duration_cast<milliseconds>(s.load_wait);
  o.max_key_bytes = static_cast<size_t>(s.max_key_bytes);
  o.max_value_bytes = static_cast<size_t>(s.max_value_bytes);
  o.snapshot = s.snapshot;
  return o;
}

PreparedCache prepare_cache(const config::Settings& settings, plugin_host::PluginCatalog& catalog) {
  PreparedCache out;
  for (const auto& inst : settings.caches) {
    auto plugin = catalog.find(inst.plugin);
    if (!plugin) {
      out.problems.push_back(inst.where + ": " + catalog.not_found_message(inst.plugin, "cache"));
      continue;
    }
    auto created = plugin_host::CacheInstance::create(plugin, inst);
    if (!created.ok()) {
      out.problems.push_back(created.message());
      continue;
    }
    out.instances.push_back(std::move(created.value()));
  }
  auto find = [&](const std::string& alias) -> plugin_host::CacheInstance* {
    for (auto& i : out.instances)
      if (i->settings().alias == alias) return i.get();
    return nullptr;
  };
  if (settings.cache.backend == "tiered") {
    out.l1 = find(settings.cache.tiered_l1);
    out.l2 = find(settings.cache.tiered_l2);
    out.l1_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(settings.cache.tiered_l1_ttl);
    for (const auto& [which, alias, inst] :
         {std::tuple{"l1", settings.cache.tiered_l1, out.l1}, std::tuple{"l2", settings.cache.tiered_l2, out.l2}})
      if (!inst)
        out.problems.push_back("[cache.tiered] " + std::string(which) + " = \"" + alias +
                               "\" names no [[caches.NAME]] instance (declare one with alias = \"" + alias +
                               "\", e.g. [[caches.memory]] for l1 and [[caches.redis]] for l2)");
    if (out.l1 && out.l2 && out.l1 == out.l2)
      out.problems.push_back("[cache.tiered] l1 and l2 name the same instance \"" + settings.cache.tiered_l1 + "\"");
    if (out.l2 && !out.l2->shared())
      out.problems.push_back("[cache.tiered] l2 = \"" + settings.cache.tiered_l2 +
                             "\" is a cache of this process only; l2 must be shared, e.g. a redis instance");
    return out;
  }
  if (settings.cache.backend.empty() && !out.instances.empty()) out.backend = out.instances.front().get();
  if (!settings.cache.backend.empty()) out.backend = find(settings.cache.backend);
  if (!settings.cache.backend.empty() && !out.backend)
    out.problems.push_back("[cache] backend = \"" + settings.cache.backend +
                           "\" names no [[caches.NAME]] instance (give one alias = \"" + settings.cache.backend +
                           "\", or set backend = \"tiered\")");
  out.defaults = namespace_options(settings.cache.defaults);
  for (const auto& ns : settings.cache.namespaces) out.named[ns.name] = namespace_options(ns);
  return out;
}

std::string replica_dedup_problem(const PreparedCache& cache, bool replica_dedup) {
  if (!replica_dedup) return "";
  const plugin_host::CacheInstance* store = cache.l2 ? cache.l2 : cache.backend;
  if (!store)
    return "[alerting] replica_dedup = true needs a cache shared by the replicas: add a [[caches.redis]] instance "
           "and set [cache] backend = \"redis\" (or \"tiered\")";
  if (!store->shared())
    return "[alerting] replica_dedup = true needs a cache shared by the replicas, but [cache] uses \"" +
           store->settings().alias + "\", which lives in this process only: use a redis instance";
  return "";
}

}  // namespace vigil::app
