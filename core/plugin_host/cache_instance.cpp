#include "plugin_host/cache_instance.h"

#include <algorithm>
#include <cstddef>
#include <map>

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
  // A plugin built for ABI 1.2 or later has the whole table; older ones end after del.
  const size_t size = plugin->descriptor.abi_minor >= 2 ? sizeof(vigil_cache_v1) : kMinCacheSize;
  auto base = PluginInstance::create(plugin, settings, VIGIL_IFACE_CACHE, "cache", &inst->table_, size);
  if (!base.ok()) return base.status();
  inst->base_ = std::move(base.value());
  if (!inst->table_.get || !inst->table_.set || !inst->table_.del)
    return Status::error(settings.where + ": cache \"" + settings.plugin + "\": " + plugin->path +
                         ": get, set or del is NULL");
  return inst;
}

// The cache interface is [ts]: each call's message is its own (recorded per call and thread).
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

namespace vigil::plugin_host {

Status CacheInstance::unsupported(const char* op) const {
  return Status::error("cache " + settings().alias + " (plugin " + settings().plugin + ") does not support " + op);
}

Result<bool> CacheInstance::add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  if (!table_.add) return unsupported("add (store if absent)");
  const int64_t ttl_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
  int32_t stored = 0;
  const vigil_status st =
      base_->call([&] { return table_.add(base_->instance(), str(key), value.data(), value.size(), ttl_ns, &stored); });
  if (st != VIGIL_OK) return failed(st, "add");
  return stored != 0;
}

Status CacheInstance::del_prefix(const std::string& prefix) {
  if (!table_.del_prefix) return unsupported("deleting by prefix");
  const vigil_status st = base_->call([&] { return table_.del_prefix(base_->instance(), str(prefix)); });
  return st == VIGIL_OK ? Status{} : failed(st, "del_prefix");
}

Status CacheInstance::scan(const std::string& prefix, const ScanVisitor& visit) {
  if (!table_.scan) return unsupported("scanning keys");
  struct Ctx {
    const ScanVisitor* visit;
    bool threw = false;
  } c{&visit};
  auto fn = [](void* user, vigil_str k, vigil_str v, int64_t ttl_ns) -> int32_t {
    auto* c = static_cast<Ctx*>(user);
    try {
      return (*c->visit)(std::string_view(k.ptr, k.len), std::string_view(v.ptr, v.len),
                         std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ttl_ns)))
                 ? 0
                 : 1;
    } catch (...) {  // never across the plugin's frames
      c->threw = true;
      return 1;
    }
  };
  const vigil_status st = base_->call([&] { return table_.scan(base_->instance(), str(prefix), fn, &c); });
  if (c.threw) return Status::error("cache " + settings().alias + " scan: the visitor failed");
  return st == VIGIL_OK ? Status{} : failed(st, "scan");
}

std::vector<metrics::Sample> CacheInstance::take_samples() {
  return base_->take_emitted("backend", settings().alias);
}

Status CacheInstance::ping() {
  if (!table_.ping) return {};
  const vigil_status st = base_->call([&] { return table_.ping(base_->instance()); });
  return st == VIGIL_OK ? Status{} : failed(st, "ping");
}

Status CacheInstance::watch(ChangeListener listener) {
  if (!table_.watch) return unsupported("reporting changes made elsewhere");
  listener_ = std::move(listener);
  auto fn = [](void* user, int32_t event, vigil_str key) {
    auto* self = static_cast<CacheInstance*>(user);
    const Change c = event == VIGIL_CACHE_CHANGED  ? Change::changed
                     : event == VIGIL_CACHE_LINKED ? Change::linked
                                                   : Change::unknown;  // unknown events: assume the worst
    try {
      self->listener_(c, std::string_view(key.ptr ? key.ptr : "", key.ptr ? key.len : 0));
    } catch (...) {
    }
  };
  const vigil_status st = base_->call([&] { return table_.watch(base_->instance(), fn, this); });
  return st == VIGIL_OK ? Status{} : failed(st, "watch");
}

}  // namespace vigil::plugin_host
