#include "runtime/delivery_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace vigil::runtime {

Millis retry_delay(const RetryPolicy& p, int64_t attempts, double unit, Millis retry_after) {
  const double base = static_cast<double>(p.initial.count()) *
                      std::pow(p.factor, static_cast<double>(std::max<int64_t>(0, attempts - 1)));
  double d = std::min(base, static_cast<double>(p.max.count()));
  d *= 1.0 + p.jitter * (2.0 * unit - 1.0);
  return std::max(Millis(static_cast<int64_t>(d)), retry_after);
}

std::optional<int64_t> TokenBucket::take(int64_t now_ms) {
  if (last_ms_ >= 0) tokens_ = std::min(capacity_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
  last_ms_ = now_ms;
  if (tokens_ >= 1.0 - 1e-9) {  // tolerate rounding of the refill
    tokens_ -= 1.0;
    return std::nullopt;
  }
  return static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_per_ms_));
}

Result<std::pair<double, Millis>> parse_rate(const std::string& text) {
  const auto slash = text.find('/');
  const auto bad =
      Status::error("rate \"" + text + "\" must look like 20/m, 1/s or 600/h (messages per second, minute or hour)");
  if (slash == std::string::npos || slash == 0) return bad;
  const std::string count = text.substr(0, slash);
  char* end = nullptr;
  const double n = std::strtod(count.c_str(), &end);
  if (!end || *end != '\0' || n <= 0) return bad;
  const std::string unit = text.substr(slash + 1);
  if (unit == "s") return std::make_pair(n, Millis(1000));
  if (unit == "m") return std::make_pair(n, Millis(60'000));
  if (unit == "h") return std::make_pair(n, Millis(3'600'000));
  return bad;
}

}  // namespace vigil::runtime
