// RateLimiter: lets one event per key through per period and counts what it suppressed, so a
// plugin failing every second logs once a minute with "suppressed=59". Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace vigil::log {

class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::steady_clock::duration period) : period_(period) {}

  // nullopt: suppress this event. Otherwise the number of events suppressed since the last
  // one that passed for this key.
  std::optional<uint64_t> admit(const std::string& key,
                                std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    std::lock_guard lock(mu_);
    auto& e = entries_[key];
    if (e.passed && now - e.last < period_) {
      ++e.suppressed;
      return std::nullopt;
    }
    const uint64_t n = e.suppressed;
    e = Entry{now, 0, true};
    return n;
  }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last{};
    uint64_t suppressed = 0;
    bool passed = false;
  };
  std::chrono::steady_clock::duration period_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace vigil::log
