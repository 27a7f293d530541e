#include "plugin_host/collector_instance.h"

#include <chrono>
#include <cstring>
#include <exception>

#include "plugin_host/config_schema.h"
#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

constexpr size_t kMinCollectorSize = offsetof(vigil_collector_v1, collect) + sizeof(void*);

const char* status_name(vigil_status st) {
  switch (st) {
    case VIGIL_OK: return "OK";
    case VIGIL_E_CONFIG: return "E_CONFIG";
    case VIGIL_E_UNAVAILABLE: return "E_UNAVAILABLE";
    case VIGIL_E_TIMEOUT: return "E_TIMEOUT";
    case VIGIL_E_NOT_FOUND: return "E_NOT_FOUND";
    case VIGIL_E_UNSUPPORTED: return "E_UNSUPPORTED";
    case VIGIL_E_NOMEM: return "E_NOMEM";
    case VIGIL_E_PARTIAL: return "E_PARTIAL";
    case VIGIL_E_INVALID: return "E_INVALID";
    default: return "E_INTERNAL";
  }
}

// Calls into plugin code. A C++ exception that escapes a plugin is a plugin bug; it is caught
// here so it can not unwind through the host, and reported as such.
template <class F>
vigil_status call_plugin(vigil_ctx* ctx, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    std::lock_guard lock(ctx->mu);
    ctx->last_error = std::string("a C++ exception escaped the plugin: ") + e.what() +
                      " (a plugin bug: catch exceptions inside callbacks, e.g. with vigil/plugin.hpp)";
  } catch (...) {
    std::lock_guard lock(ctx->mu);
    ctx->last_error = "an exception escaped the plugin (a plugin bug: catch exceptions inside callbacks)";
  }
  return VIGIL_E_INTERNAL;
}

}  // namespace

CollectorInstance::CollectorInstance(std::shared_ptr<const LoadedPlugin> plugin, config::InstanceSettings settings)
    : plugin_(std::move(plugin)), settings_(std::move(settings)), ctx_(std::make_unique<vigil_ctx>()) {
  ctx_->plugin = settings_.plugin;
  ctx_->alias = settings_.alias;
  ctx_->table = settings_.table;
}

std::string CollectorInstance::describe() const {
  return "collector " + settings_.plugin + " (alias " + settings_.alias + ", " + plugin_->path + ")";
}

Result<std::unique_ptr<CollectorInstance>> CollectorInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                                     const config::InstanceSettings& settings) {
  const std::string who = settings.where + ": collector \"" + settings.plugin + "\" (alias " + settings.alias + ")";
  const void* iface = nullptr;
  try {
    iface = plugin->descriptor.get_interface(VIGIL_IFACE_COLLECTOR);
  } catch (...) {
  }
  if (!iface)
    return Status::error(who + ": " + plugin->path + " does not provide " VIGIL_IFACE_COLLECTOR + " (it provides " +
                         (plugin->provides.empty() ? "nothing" : plugin->provides[0]) + ")");
  const auto* vt = static_cast<const vigil_collector_v1*>(iface);
  if (vt->life.struct_size < sizeof(vigil_lifecycle) || !vt->life.create || !vt->life.destroy)
    return Status::error(who + ": " + plugin->path +
                         ": the collector's lifecycle table is too small or lacks "
                         "create/destroy (set life.struct_size = sizeof(vigil_lifecycle))");
  // The collector table has no struct_size of its own: its lifecycle's size vouches for the ABI minor.
  Problems problems =
      check_against_schema(plugin->descriptor.config_schema, settings.table, "collectors." + settings.plugin);
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return Status::error(msg);
  }
  std::unique_ptr<CollectorInstance> inst(new CollectorInstance(plugin, settings));
  inst->vtable_ = vt;
  std::memcpy(&inst->table_, vt, kMinCollectorSize);
  if (!inst->table_.collect) return Status::error(who + ": " + plugin->path + ": collect is NULL");
  vigil_instance* out = nullptr;
  vigil_ctx* ctx = inst->ctx_.get();
  const vigil_status st =
      call_plugin(ctx, [&]() -> vigil_status { return inst->table_.life.create(host_table(), ctx, &out); });
  if (st != VIGIL_OK) {
    std::string err = ctx->take_error();
    return Status::error(who + ": create failed (" + status_name(st) +
                         "): " + (err.empty() ? "the plugin gave no reason" : err));
  }
  if (!out) return Status::error(who + ": create returned OK but no instance (a plugin bug)");
  inst->instance_ = out;
  return inst;
}

CollectorInstance::~CollectorInstance() {
  stop();
  if (instance_) {
    vigil_instance* inst = instance_;
    instance_ = nullptr;
    call_plugin(ctx_.get(), [&]() -> vigil_status {
      table_.life.destroy(inst);
      return VIGIL_OK;
    });
  }
}

Status CollectorInstance::start() {
  if (started_) return {};
  if (table_.life.start) {
    const vigil_status st = call_plugin(ctx_.get(), [&]() -> vigil_status { return table_.life.start(instance_); });
    if (st != VIGIL_OK) {
      std::string err = ctx_->take_error();
      return Status::error(settings_.where + ": " + describe() + ": start failed (" + status_name(st) +
                           "): " + (err.empty() ? "the plugin gave no reason" : err));
    }
  }
  started_ = true;
  return {};
}

CollectOutcome CollectorInstance::collect(int64_t deadline_mono_ns) {
  CollectOutcome out;
  {
    std::lock_guard lock(ctx_->mu);
    ctx_->pending.clear();
    ctx_->invalid_samples = 0;
    ctx_->first_invalid.clear();
    ctx_->last_error.clear();
  }
  ctx_->deadline_mono_ns = deadline_mono_ns;
  const int64_t t0 = monotonic_now_ns();
  const vigil_status st =
      call_plugin(ctx_.get(), [&]() -> vigil_status { return table_.collect(instance_, deadline_mono_ns); });
  const int64_t t1 = monotonic_now_ns();
  out.seconds = static_cast<double>(t1 - t0) / 1e9;
  std::lock_guard lock(ctx_->mu);
  out.samples = std::move(ctx_->pending);
  ctx_->pending.clear();
  out.invalid_samples = ctx_->invalid_samples;
  if (t1 > deadline_mono_ns || st == VIGIL_E_TIMEOUT) {
    out.result = CollectOutcome::Result::timeout;
    out.error = "collection ran past its deadline";
  } else if (st != VIGIL_OK && st != VIGIL_E_PARTIAL) {
    out.result = CollectOutcome::Result::error;
    out.error = std::string(status_name(st)) + ": " +
                (ctx_->last_error.empty() ? "the plugin gave no reason" : ctx_->last_error);
  } else if (out.invalid_samples > 0) {
    out.result = CollectOutcome::Result::error;
    out.error = std::to_string(out.invalid_samples) + " invalid sample(s) rejected; first: " + ctx_->first_invalid;
  }
  return out;
}

void CollectorInstance::request_stop() {
  ctx_->stopping = true;
}

void CollectorInstance::stop() {
  request_stop();
  if (!started_) return;
  started_ = false;
  if (table_.life.stop)
    call_plugin(ctx_.get(), [&]() -> vigil_status {
      table_.life.stop(instance_);
      return VIGIL_OK;
    });
}

}  // namespace vigil::plugin_host
