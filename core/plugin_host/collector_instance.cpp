#include "plugin_host/collector_instance.h"

#include <chrono>
#include <cstring>
#include <exception>

#include "plugin_host/config_schema.h"
#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

constexpr size_t kMinCollectorSize = offsetof(vigil_collector_v1, collect) + sizeof(void*);

}  // namespace

Result<std::unique_ptr<CollectorInstance>> CollectorInstance::create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                                     const config::InstanceSettings& settings) {
  std::unique_ptr<CollectorInstance> inst(new CollectorInstance());
  auto base =
      PluginInstance::create(plugin, settings, VIGIL_IFACE_COLLECTOR, "collector", &inst->table_, kMinCollectorSize);
  if (!base.ok()) return base.status();
  inst->base_ = std::move(base.value());
  if (settings.sample_limit > 0) {
    vigil_ctx* ctx = inst->base_->ctx();
    std::lock_guard lock(ctx->mu);
    ctx->sample_limit = static_cast<size_t>(settings.sample_limit);
  }
  if (!inst->table_.collect)
    return Status::error(settings.where + ": collector \"" + settings.plugin + "\": " + plugin->path +
                         ": collect is NULL");
  return inst;
}

CollectOutcome CollectorInstance::collect(int64_t deadline_mono_ns) {
  CollectOutcome out;
  vigil_ctx* ctx = base_->ctx();
  {
    std::lock_guard lock(ctx->mu);
    ctx->pending.clear();
    ctx->invalid_samples = 0;
    ctx->first_invalid.clear();
    ctx->samples_over_limit = 0;
  }
  const int64_t t0 = monotonic_now_ns();
  const vigil_status st = base_->call(
      [&]() -> vigil_status { return table_.collect(base_->instance(), deadline_mono_ns); }, deadline_mono_ns);
  const int64_t t1 = monotonic_now_ns();
  const std::string error = base_->take_error();
  out.seconds = static_cast<double>(t1 - t0) / 1e9;
  std::lock_guard lock(ctx->mu);
  out.samples = std::move(ctx->pending);
  ctx->pending.clear();
  out.invalid_samples = ctx->invalid_samples;
  if (ctx->samples_over_limit > 0) {
    // Prometheus' sample_limit: a partial collection would look complete, so none of it counts.
    out.over_sample_limit = true;
    out.result = CollectOutcome::Result::error;
    out.error = "the collection emitted more than its sample_limit of " + std::to_string(ctx->sample_limit) +
                " samples (" + std::to_string(out.samples.size() + ctx->samples_over_limit) +
                " or more), so all were dropped; raise sample_limit in " + settings().where +
                " or [agent], or emit fewer series";
    out.samples.clear();
  } else if (t1 > deadline_mono_ns || st == VIGIL_E_TIMEOUT) {
    out.result = CollectOutcome::Result::timeout;
    out.error = "collection ran past its deadline";
  } else if (st != VIGIL_OK && st != VIGIL_E_PARTIAL) {
    out.result = CollectOutcome::Result::error;
    out.error = std::string(status_name(st)) + ": " + (error.empty() ? "the plugin gave no reason" : error);
  } else if (out.invalid_samples > 0) {
    out.result = CollectOutcome::Result::error;
    out.error = std::to_string(out.invalid_samples) + " invalid sample(s) rejected; first: " + ctx->first_invalid;
  }
  return out;
}

}  // namespace vigil::plugin_host
