// CacheInstance: one configured cache backend plugin ([[caches.NAME]]), seen by the core as a
// cache::Backend. Every call is [ts] by the cache interface's contract.
#pragma once

#include <memory>

#include "cache/cache.h"
#include "metrics/sample.h"
#include "plugin_host/plugin_instance.h"

namespace vigil::plugin_host {

class CacheInstance : public cache::Backend {
 public:
  static Result<std::unique_ptr<CacheInstance>> create(const std::shared_ptr<const LoadedPlugin>& plugin,
                                                       const config::InstanceSettings& settings);

  Status start() { return base_->start(); }
  void stop() { base_->stop(); }
  const config::InstanceSettings& settings() const { return base_->settings(); }

  Result<std::optional<std::string>> get(const std::string& key) override;
  Status set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override;
  Status del(const std::string& key) override;
  Result<bool> add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override;
  Status del_prefix(const std::string& prefix) override;
  Status scan(const std::string& prefix, const ScanVisitor& visit) override;
  Status ping() override;
  Status watch(ChangeListener listener) override;  // before start()
  bool shared() const override { return table_.ping != nullptr; }
  // What the plugin emitted since the last call (backend statistics), the latest value of
  // each series only, labelled backend="<alias>".
  std::vector<metrics::Sample> take_samples();

 private:
  CacheInstance() = default;
  Status failed(vigil_status st, const char* op);
  Status unsupported(const char* op) const;
  vigil_cache_v1 table_{};  // zeroed beyond what the plugin's ABI minor provides
  ChangeListener listener_;
  std::unique_ptr<PluginInstance> base_;
};

}  // namespace vigil::plugin_host
