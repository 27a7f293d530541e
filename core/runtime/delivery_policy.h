// How notifications are retried and paced: exponential backoff with jitter up to a cap and a
// maximum age (then the notification is a dead letter), and a token bucket per notifier so a
// channel's rate limit (WeCom 20/min, Slack about 1/s) is kept rather than hit.
// Pure functions and a small class, driven with explicit times.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace vigil::runtime {

using Millis = std::chrono::milliseconds;

struct RetryPolicy {
  Millis initial{1000};
  double factor = 2.0;
  Millis max{5 * 60 * 1000};
  Millis max_age{24 * 3600 * 1000};  // from the notification's creation; then it is a dead letter
  double jitter = 0.2;               // +- this fraction
};

// The wait before attempt number `attempts` + 1 (attempts >= 1 made so far). `unit` in [0, 1)
// picks the jitter (random in the agent, fixed in tests). A server's Retry-After is a floor.
Millis retry_delay(const RetryPolicy& p, int64_t attempts, double unit, Millis retry_after = Millis(0));

// A token bucket: `rate` tokens per `per`, burst of `rate`. Not thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate, Millis per)
      : rate_per_ms_(rate / static_cast<double>(per.count())), capacity_(rate), tokens_(rate) {}
  // Takes a token if there is one at `now_ms`; otherwise the wait until there is, in ms.
  std::optional<int64_t> take(int64_t now_ms);

 private:
  double rate_per_ms_;
  double capacity_;
  double tokens_;
  int64_t last_ms_ = -1;
};

// "20/m", "1/s", "600/h" -> (rate, period). Errors say the accepted form.
Result<std::pair<double, Millis>> parse_rate(const std::string& text);

}  // namespace vigil::runtime
