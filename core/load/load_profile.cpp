#include "load/load_profile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "config/duration.h"

namespace vigil::load {

Result<Stage> parse_stage(const std::string& text) {
  const std::string hint = " (write DURATION:TARGET, e.g. 30s:100)";
  const auto colon = text.find(':');
  if (colon == std::string::npos) return Status::error("stage \"" + text + "\" has no ':'" + hint);
  auto d = config::parse_duration(text.substr(0, colon));
  if (!d.ok()) return Status::error("stage \"" + text + "\": " + d.message() + hint);
  const std::string target = text.substr(colon + 1);
  char* end = nullptr;
  const double v = std::strtod(target.c_str(), &end);
  if (target.empty() || !end || *end != '\0' || !std::isfinite(v) || v < 0)
    return Status::error("stage \"" + text + "\": the target \"" + target + "\" is not a number >= 0" + hint);
  return Stage{std::chrono::duration_cast<std::chrono::milliseconds>(d.value()), v};
}

std::string stages_text(const std::vector<Stage>& stages) {
  std::string out;
  for (const auto& s : stages) {
    const auto ms = s.duration.count();
    char target[32];
    std::snprintf(target, sizeof target, "%g", s.target);
    out += (out.empty() ? "" : " ") +
           (ms % 60000 == 0 && ms ? std::to_string(ms / 60000) + "m"
            : ms % 1000 == 0      ? std::to_string(ms / 1000) + "s"
                                  : std::to_string(ms) + "ms") +
           ":" + target;
  }
  return out;
}

LoadProfile::LoadProfile(double start, std::vector<Stage> stages) : start_(start) {
  double t = 0, level = start, arrivals = 0;
  for (const auto& s : stages) {
    const double length = std::chrono::duration<double>(s.duration).count();
    if (length <= 0) {  // a zero-length stage jumps to its target
      level = s.target;
      continue;
    }
    segments_.push_back({t, length, level, s.target, arrivals});
    arrivals += (level + s.target) / 2 * length;
    t += length;
    level = s.target;
  }
}

double LoadProfile::at(double t) const {
  if (segments_.empty()) return start_;
  for (const auto& s : segments_)
    if (t < s.t0 + s.length) return t <= s.t0 ? s.from : s.from + (s.to - s.from) * (t - s.t0) / s.length;
  return segments_.back().to;
}

double LoadProfile::peak() const {
  double p = start_;
  for (const auto& s : segments_) p = std::max({p, s.from, s.to});
  return p;
}

double LoadProfile::duration_s() const {
  return segments_.empty() ? 0 : segments_.back().t0 + segments_.back().length;
}

std::optional<double> LoadProfile::arrival_time(double n) const {
  for (const auto& s : segments_) {
    const double in_segment = (s.from + s.to) / 2 * s.length;
    const double m = n - s.arrivals_before;
    if (m > in_segment) continue;
    // Arrivals tau seconds into the segment: from*tau + k/2*tau^2 with k the slope; this root of
    // k/2*tau^2 + from*tau - m = 0 stays exact when k is 0 or negative.
    const double k = (s.to - s.from) / s.length;
    const double denominator = s.from + std::sqrt(std::max(0.0, s.from * s.from + 2 * k * m));
    return s.t0 + (denominator > 0 ? std::min(s.length, 2 * m / denominator) : 0);
  }
  return std::nullopt;
}

std::optional<double> LoadProfile::first_reaching(double level, double from) const {
  for (const auto& s : segments_) {
    const double end = s.t0 + s.length;
    if (end <= from) continue;
    const double t = std::max(s.t0, from);
    if (at(t) >= level) return t;
    if (s.to >= level) return s.t0 + (level - s.from) / (s.to - s.from) * s.length;
  }
  return std::nullopt;
}

}  // namespace vigil::load
