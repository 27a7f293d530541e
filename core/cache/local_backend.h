// LocalBackend: a plain map in this process, for the agent's own short-lived values (the /metrics
// snapshot) where a namespace's singleflight and TTL are wanted but no plugin is. Expiry is the
// facade's (its envelope); an entry is replaced or deleted, never swept, so keep the keys few.
#pragma once

#include <map>
#include <mutex>

#include "cache/cache.h"

namespace vigil::cache {

class LocalBackend : public Backend {
 public:
  Result<std::optional<std::string>> get(const std::string& key) override {
    std::lock_guard l(mu_);
    auto it = data_.find(key);
    return it == data_.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  }
  Status set(const std::string& key, const std::string& value, std::chrono::milliseconds) override {
    std::lock_guard l(mu_);
    data_[key] = value;
    return {};
  }
  Status del(const std::string& key) override {
    std::lock_guard l(mu_);
    data_.erase(key);
    return {};
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> data_;
};

}  // namespace vigil::cache
