// A load level over time, for staged ramps (k6's ramping-vus and ramping-arrival-rate): the level
// starts at `start` and moves linearly to each stage's target over that stage's duration. The
// level is a number of connections (closed model) or requests a second (open model).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace vigil::load {

struct Stage {
  std::chrono::milliseconds duration{0};
  double target = 0;
};

// "30s:100" (a duration, a colon, a target level), as k6's --stage.
Result<Stage> parse_stage(const std::string& text);

// "30s:100 1m:100": the stages as parse_stage reads them, for reports.
std::string stages_text(const std::vector<Stage>& stages);

class LoadProfile {
 public:
  LoadProfile(double start, std::vector<Stage> stages);

  double at(double t_s) const;  // the level t_s seconds in; the last target after the stages
  double peak() const;
  double duration_s() const;
  // When the level is a rate: the time of arrival n (0-based), the t where the integral of the
  // level from 0 to t reaches n; nullopt when the stages end first.
  std::optional<double> arrival_time(double n) const;
  // The earliest t >= from where the level is at least `level`; nullopt when the stages end first.
  std::optional<double> first_reaching(double level, double from) const;

 private:
  struct Segment {
    double t0, length, from, to, arrivals_before;
  };
  std::vector<Segment> segments_;
  double start_;
};

}  // namespace vigil::load
