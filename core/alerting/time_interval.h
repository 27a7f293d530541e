// Alertmanager's time intervals (for mute_time_intervals / active_time_intervals on routes and
// for recurring silences): a named list of specs; a spec matches when every field it sets
// matches the time in its location. Fields: times ("09:00"-"17:00", end exclusive), weekdays
// ("monday:friday"), days_of_month ("1:7", "-1" = last day), months ("january:march" or
// "1:3"), years ("2026:2027"), location (IANA name, default UTC).
#pragma once

#include <string>
#include <vector>

#include "alerting/alert.h"
#include "base/status.h"

namespace date {
class time_zone;
}

namespace vigil::alerting {

struct TimeIntervalSpec {
  struct Range {
    int begin, end;  // inclusive; minutes of the day for `times` (end exclusive there)
  };
  std::vector<Range> times, weekdays, days_of_month, months, years;
  const date::time_zone* location = nullptr;  // null = UTC

  bool contains(Time t) const;
};

struct TimeInterval {
  std::string name;
  std::vector<TimeIntervalSpec> specs;
  bool contains(Time t) const;  // any spec
};

// The text of one spec's fields, as written in the config.
struct TimeIntervalText {
  std::vector<std::pair<std::string, std::string>> times;  // start_time, end_time
  std::vector<std::string> weekdays, days_of_month, months, years;
  std::string location;
};
// Errors name the field and the offending value.
Result<TimeIntervalSpec> parse_time_interval(const TimeIntervalText& text);

}  // namespace vigil::alerting
