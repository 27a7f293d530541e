#include "plugin_host/plugin_instance.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <exception>
#include <utility>

#include "log/secret_values.h"
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
  ctx_->kind = kind_;
  ctx_->plugin = settings_.plugin;
  ctx_->alias = settings_.alias;
  ctx_->table = settings_.table;
}

namespace {
// What the last call on this thread left behind, read by take_error() right after it.
struct LastCall {
  const vigil_ctx* ctx = nullptr;
  std::string error;
  int64_t retry_after_ms = 0;
  std::map<size_t, CallFrame::ItemError> item_errors;
};
thread_local LastCall t_last;
}  // namespace

// A C++ exception that escapes a plugin is a plugin bug; it is caught here so it can not
// unwind through the host, and reported as such.
vigil_status PluginInstance::guard(vigil_status (*fn)(void*), void* arg, int64_t deadline_mono_ns, size_t batch_items) {
  vigil_status st = VIGIL_E_INTERNAL;
  ScopedCall scope(ctx_.get(), deadline_mono_ns);
  scope.frame().batch_items = batch_items;
  try {
    st = fn(arg);
  } catch (const std::exception& e) {
    scope.frame().error = std::string("a C++ exception escaped the plugin: ") + e.what() +
                          " (a plugin bug: catch exceptions inside callbacks, e.g. with vigil/plugin.hpp)";
  } catch (...) {
    scope.frame().error = "an exception escaped the plugin (a plugin bug: catch exceptions inside callbacks)";
  }
  t_last.ctx = ctx_.get();
  t_last.error = std::move(scope.frame().error);
  t_last.retry_after_ms = scope.frame().retry_after_ms;
  t_last.item_errors = std::move(scope.frame().item_errors);
  return st;
}

// A plugin's messages go on to logs, the outbox, the history and the API: secrets are taken
// out here, once, whatever the plugin wrote.
std::string PluginInstance::take_error() {
  if (t_last.ctx != ctx_.get()) return "";
  t_last.ctx = nullptr;
  return log::redact_secrets(std::exchange(t_last.error, std::string()));
}

std::vector<metrics::Sample> PluginInstance::take_emitted(const std::string& label, const std::string& value) {
  std::vector<metrics::Sample> all;
  {
    std::lock_guard l(ctx_->mu);
    all.swap(ctx_->pending);
  }
  std::map<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>, size_t> latest;
  std::vector<metrics::Sample> out;
  for (auto& s : all) {
    s.labels.emplace_back(label, value);
    std::sort(s.labels.begin(), s.labels.end());
    auto [it, fresh] = latest.try_emplace({s.name, s.labels}, out.size());
    if (fresh)
      out.push_back(std::move(s));
    else
      out[it->second] = std::move(s);
  }
  return out;
}

std::map<size_t, CallFrame::ItemError> PluginInstance::take_item_errors() {
  if (t_last.ctx != ctx_.get()) return {};
  auto items = std::exchange(t_last.item_errors, {});
  for (auto& [index, item] : items) item.error = log::redact_secrets(item.error);
  return items;
}

int64_t PluginInstance::last_retry_after_ms() const {
  return t_last.ctx == ctx_.get() ? t_last.retry_after_ms : 0;
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
    std::string err = inst->take_error();
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
  retire_context(std::move(ctx_));
}

Status PluginInstance::start() {
  if (started_) return {};
  ctx_->stopping = false;
  ctx_->closed = false;
  if (life_.start) {
    const vigil_status st = call([&]() -> vigil_status { return life_.start(instance_); });
    if (st != VIGIL_OK) {
      std::string err = take_error();
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
  ctx_->closed = true;
}

}  // namespace vigil::plugin_host
