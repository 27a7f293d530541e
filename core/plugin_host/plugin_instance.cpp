#include "plugin_host/plugin_instance.h"

#include <cstring>
#include <exception>

#include "plugin_host/config_schema.h"
#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {

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

PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, config::InstanceSettings settings,
                               const char* kind)
    : plugin_(std::move(plugin)), settings_(std::move(settings)), kind_(kind), ctx_(std::make_unique<vigil_ctx>()) {
  ctx_->plugin = settings_.plugin;
  ctx_->alias = settings_.alias;
  ctx_->table = settings_.table;
}

// A C++ exception that escapes a plugin is a plugin bug; it is caught here so it can not
// unwind through the host, and reported as such.
vigil_status PluginInstance::guard(vigil_status (*fn)(void*), void* arg) {
  try {
    return fn(arg);
  } catch (const std::exception& e) {
    ctx_->set_error(std::string("a C++ exception escaped the plugin: ") + e.what() +
                    " (a plugin bug: catch exceptions inside callbacks, e.g. with vigil/plugin.hpp)");
  } catch (...) {
    ctx_->set_error("an exception escaped the plugin (a plugin bug: catch exceptions inside callbacks)");
  }
  return VIGIL_E_INTERNAL;
}

std::string PluginInstance::take_error() {
  return ctx_->take_error();
}

std::string PluginInstance::describe() const {
  return kind_ + " " + settings_.plugin + " (alias " + settings_.alias + ", " + plugin_->path + ")";
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                               const config::InstanceSettings& settings,
                                                               const char* iface, const char* kind, void* vtable,
                                                               size_t min_size) {
  const std::string who = settings.where + ": " + kind + " \"" + settings.plugin + "\" (alias " + settings.alias + ")";
  const void* table = nullptr;
  try {
    table = plugin->descriptor.get_interface(iface);
  } catch (...) {
  }
  if (!table)
    return Status::error(who + ": " + plugin->path + " does not provide " + iface + " (it provides " +
                         (plugin->provides.empty() ? "nothing" : plugin->provides[0]) + ")");
  const auto* life = static_cast<const vigil_lifecycle*>(table);
  if (life->struct_size < sizeof(vigil_lifecycle) || !life->create || !life->destroy)
    return Status::error(who + ": " + plugin->path + ": the " + kind +
                         "'s lifecycle table is too small or lacks create/destroy (set life.struct_size = "
                         "sizeof(vigil_lifecycle))");
  const std::string section = std::string(kind) + "s." + settings.plugin;
  Problems problems = check_against_schema(plugin->descriptor.config_schema, settings.table, section);
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return Status::error(msg);
  }
  // The kind's table has no struct_size of its own: its lifecycle's size vouches for the ABI minor.
  std::memcpy(vtable, table, min_size);
  std::unique_ptr<PluginInstance> inst(new PluginInstance(plugin, settings, kind));
  inst->life_ = *life;
  vigil_instance* out = nullptr;
  vigil_ctx* ctx = inst->ctx_.get();
  const vigil_status st = inst->call([&]() -> vigil_status { return inst->life_.create(host_table(), ctx, &out); });
  if (st != VIGIL_OK) {
    std::string err = ctx->take_error();
    return Status::error(who + ": create failed (" + status_name(st) +
                         "): " + (err.empty() ? "the plugin gave no reason" : err));
  }
  if (!out) return Status::error(who + ": create returned OK but no instance (a plugin bug)");
  inst->instance_ = out;
  return inst;
}

PluginInstance::~PluginInstance() {
  stop();
  if (instance_) {
    vigil_instance* inst = instance_;
    instance_ = nullptr;
    call([&]() -> vigil_status {
      life_.destroy(inst);
      return VIGIL_OK;
    });
  }
}

Status PluginInstance::start() {
  if (started_) return {};
  if (life_.start) {
    const vigil_status st = call([&]() -> vigil_status { return life_.start(instance_); });
    if (st != VIGIL_OK) {
      std::string err = ctx_->take_error();
      return Status::error(settings_.where + ": " + describe() + ": start failed (" + status_name(st) +
                           "): " + (err.empty() ? "the plugin gave no reason" : err));
    }
  }
  started_ = true;
  return {};
}

void PluginInstance::request_stop() {
  ctx_->stopping = true;
}

void PluginInstance::stop() {
  request_stop();
  if (!started_) return;
  started_ = false;
  if (life_.stop)
    call([&]() -> vigil_status {
      life_.stop(instance_);
      return VIGIL_OK;
    });
}

}  // namespace vigil::plugin_host
