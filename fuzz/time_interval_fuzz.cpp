// Alertmanager time intervals (times, weekdays, days of month, months, years, location), as
// [[alerting.time_intervals]] and silence schedules give them. Each input line is one field:
// "times 02:00 04:00", "weekdays monday:friday", "days_of_month -3:-1", "months may",
// "years 2020:2030", "location Europe/Berlin".
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "alerting/time_interval.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  vigil::alerting::TimeIntervalText t;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string field, a, b;
    words >> field >> a;
    std::getline(words >> std::ws, b);
    if (field == "times")
      t.times.emplace_back(a, b);
    else if (field == "weekdays")
      t.weekdays.push_back(a);
    else if (field == "days_of_month")
      t.days_of_month.push_back(a);
    else if (field == "months")
      t.months.push_back(a);
    else if (field == "years")
      t.years.push_back(a);
    else if (field == "location")
      t.location = a;
  }
  auto spec = vigil::alerting::parse_time_interval(t);
  if (spec.ok()) {
    for (int64_t s : {0LL, 1'700'000'000LL, 4'102'444'800LL})
      (void)spec->contains(vigil::alerting::Time(std::chrono::seconds(s)));
  }
  return 0;
}
