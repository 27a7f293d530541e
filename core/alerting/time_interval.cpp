#include "alerting/time_interval.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace vigil::alerting {
namespace {

using Range = TimeIntervalSpec::Range;

bool in(const std::vector<Range>& ranges, int v) {
  if (ranges.empty()) return true;
  return std::any_of(ranges.begin(), ranges.end(), [&](const Range& r) { return v >= r.begin && v <= r.end; });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<int> integer(const std::string& s) {
  int v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return Status::error("\"" + s + "\" is not a whole number");
  return v;
}

// "a:b" or "a", each side through `one`.
template <typename F>
Result<Range> range(const std::string& text, F one) {
  const auto colon = text.find(':');
  auto a = one(lower(text.substr(0, colon)));
  if (!a.ok()) return a.status();
  if (colon == std::string::npos) return Range{a.value(), a.value()};
  auto b = one(lower(text.substr(colon + 1)));
  if (!b.ok()) return b.status();
  return Range{a.value(), b.value()};
}

template <typename F>
Status ranges(const std::vector<std::string>& texts, const char* field, F one, std::vector<Range>& out,
              bool ordered = true) {
  for (const auto& t : texts) {
    auto r = range(t, one);
    if (!r.ok()) return Status::error(std::string(field) + ": " + r.message());
    if (ordered && r->begin > r->end) return Status::error(std::string(field) + ": \"" + t + "\" starts after it ends");
    out.push_back(r.value());
  }
  return {};
}

Result<int> minutes(const std::string& hhmm, bool end) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return Status::error("\"" + hhmm + "\" is not HH:MM");
  auto h = integer(hhmm.substr(0, 2));
  auto m = integer(hhmm.substr(3));
  if (!h.ok() || !m.ok() || *m > 59 || *h > 24 || (*h == 24 && *m != 0) || (*h == 24 && !end))
    return Status::error("\"" + hhmm + "\" is not a time of day (00:00 to 24:00)");
  return *h * 60 + *m;
}

}  // namespace

bool TimeIntervalSpec::contains(Time t) const {
  using namespace std::chrono;
  const date::sys_seconds secs = floor<seconds>(t);
  const date::local_seconds local = location ? location->to_local(secs) : date::local_seconds(secs.time_since_epoch());
  const date::local_days day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const int minute = static_cast<int>(duration_cast<std::chrono::minutes>(local - day).count());
  if (!times.empty() &&
      !std::any_of(times.begin(), times.end(), [&](const Range& r) { return minute >= r.begin && minute < r.end; }))
    return false;
  const date::weekday wd{day};
  if (!in(weekdays, static_cast<int>(wd.c_encoding()))) return false;
  const int dom = static_cast<int>(unsigned(ymd.day()));
  const int last = static_cast<int>(unsigned((ymd.year() / ymd.month() / date::last).day()));
  if (!days_of_month.empty()) {
    const bool ok = std::any_of(days_of_month.begin(), days_of_month.end(), [&](const Range& r) {
      const int b = r.begin < 0 ? last + 1 + r.begin : r.begin;
      const int e = r.end < 0 ? last + 1 + r.end : r.end;
      return dom >= b && dom <= e;
    });
    if (!ok) return false;
  }
  if (!in(months, static_cast<int>(unsigned(ymd.month())))) return false;
  return in(years, static_cast<int>(ymd.year()));
}

bool TimeInterval::contains(Time t) const {
  return std::any_of(specs.begin(), specs.end(), [&](const TimeIntervalSpec& s) { return s.contains(t); });
}

Result<TimeIntervalSpec> parse_time_interval(const TimeIntervalText& text) {
  TimeIntervalSpec spec;
  for (const auto& [start, end] : text.times) {
    auto b = minutes(start, false);
    if (!b.ok()) return Status::error("times: start_time " + b.message());
    auto e = minutes(end, true);
    if (!e.ok()) return Status::error("times: end_time " + e.message());
    if (*b >= *e) return Status::error("times: start_time " + start + " must be before end_time " + end);
    spec.times.push_back({*b, *e});
  }
  static const std::array<const char*, 7> kDays = {"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
  auto weekday = [](const std::string& s) -> Result<int> {
    for (size_t i = 0; i < kDays.size(); ++i)
      if (s == kDays[i]) return static_cast<int>(i);
    return Status::error("\"" + s + "\" is not a day of the week (monday ... sunday)");
  };
  if (auto st = ranges(text.weekdays, "weekdays", weekday, spec.weekdays); !st.ok()) return st;
  auto dom = [](const std::string& s) -> Result<int> {
    auto v = integer(s);
    if (!v.ok() || *v == 0 || *v < -31 || *v > 31)
      return Status::error("\"" + s + "\" is not a day of the month (1 to 31, or -1 for the last)");
    return v;
  };
  if (auto st = ranges(text.days_of_month, "days_of_month", dom, spec.days_of_month, false); !st.ok()) return st;
  static const std::array<const char*, 12> kMonths = {"january",   "february", "march",    "april",
                                                      "may",       "june",     "july",     "august",
                                                      "september", "october",  "november", "december"};
  auto month = [](const std::string& s) -> Result<int> {
    for (size_t i = 0; i < kMonths.size(); ++i)
      if (s == kMonths[i]) return static_cast<int>(i + 1);
    auto v = integer(s);
    if (v.ok() && *v >= 1 && *v <= 12) return v;
    return Status::error("\"" + s + "\" is not a month (january ... december, or 1 to 12)");
  };
  if (auto st = ranges(text.months, "months", month, spec.months); !st.ok()) return st;
  auto year = [](const std::string& s) -> Result<int> {
    auto v = integer(s);
    if (!v.ok() || *v < 1970 || *v > 9999) return Status::error("\"" + s + "\" is not a year");
    return v;
  };
  if (auto st = ranges(text.years, "years", year, spec.years); !st.ok()) return st;
  if (!text.location.empty() && text.location != "UTC") {
    try {
      spec.location = date::locate_zone(text.location);
    } catch (const std::exception&) {
      return Status::error("location: unknown time zone \"" + text.location +
                           "\" (an IANA name such as \"Europe/Berlin\"; the tzdata package must be installed)");
    }
  }
  return spec;
}

}  // namespace vigil::alerting
