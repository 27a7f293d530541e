#include "plugin_host/cache_instance.h"

#include <cstddef>

#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

constexpr size_t kMinCacheSize = offsetof(vigil_cache_v1, del) + sizeof(void*);

vigil_str str(const std::string& s) {
  return {s.data(), s.size()};
}

}  // namespace

Result<std::unique_ptr<CacheInstance>> CacheInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                             const config::InstanceSettings& settings) {
  std::unique_ptr<CacheInstance> inst(new CacheInstance());
  auto base = PluginInstance::create(plugin, settings, VIGIL_IFACE_CACHE, "cache", &inst->table_, kMinCacheSize);
  if (!base.ok()) return base.status();
  inst->base_ = std::move(base.value());
  if (!inst->table_.get || !inst->table_.set || !inst->table_.del)
    return Status::error(settings.where + ": cache \"" + settings.plugin + "\": " + plugin->path +
                         ": get, set or del is NULL");
  return inst;
}

// The cache interface is [ts]: errors are the call's own (the host's error slot is per instance,
// so under concurrency the message may belong to another call; the status code is exact).
Status CacheInstance::failed(vigil_status st, const char* op) {
  std::string err = base_->take_error();
  return Status::error(std::string("cache ") + settings().alias + " " + op + ": " + status_name(st) +
                       (err.empty() ? "" : ": " + err));
}

Result<std::optional<std::string>> CacheInstance::get(const std::string& key) {
  std::string value;
  vigil_writer w{&value, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                   static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                   return VIGIL_OK;
                 }};
  const vigil_status st = base_->call([&] { return table_.get(base_->instance(), str(key), &w); });
  if (st == VIGIL_E_NOT_FOUND) return std::optional<std::string>();
  if (st != VIGIL_OK) return failed(st, "get");
  return std::optional<std::string>(std::move(value));
}

Status CacheInstance::set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  const int64_t ttl_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
  const vigil_status st =
      base_->call([&] { return table_.set(base_->instance(), str(key), value.data(), value.size(), ttl_ns); });
  return st == VIGIL_OK ? Status{} : failed(st, "set");
}

Status CacheInstance::del(const std::string& key) {
  const vigil_status st = base_->call([&] { return table_.del(base_->instance(), str(key)); });
  return st == VIGIL_OK ? Status{} : failed(st, "del");
}

}  // namespace vigil::plugin_host
