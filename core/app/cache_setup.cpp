#include "app/cache_setup.h"

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
  for (auto& i : out.instances)
    if (settings.cache.backend.empty() || i->settings().alias == settings.cache.backend) {
      out.backend = i.get();
      break;
    }
  if (!settings.cache.backend.empty() && !out.backend)
    out.problems.push_back("[cache] backend = \"" + settings.cache.backend +
                           "\" names no [[caches.NAME]] instance (give one alias = \"" + settings.cache.backend +
                           "\")");
  out.defaults = namespace_options(settings.cache.defaults);
  for (const auto& ns : settings.cache.namespaces) out.named[ns.name] = namespace_options(ns);
  return out;
}

}  // namespace vigil::app
