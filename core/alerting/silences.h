// Silences with Alertmanager's rules (silence/silence.go): matchers (at least one must not
// match the empty string), created_by and comment required, end not before start, states
// pending / active / expired, in-place update only when the matchers are unchanged and the
// times allow it (otherwise the old silence expires and a new one is made), expire = end now.
// Beyond Alertmanager: a silence may recur, muting only inside a time-interval schedule
// (maintenance windows such as "Sundays 02:00-04:00 Europe/Berlin") between its start and end.
//
// Not thread-safe: AlertingEngine serializes access.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/matchers.h"
#include "alerting/time_interval.h"
#include "base/status.h"

namespace vigil::alerting {

struct Silence {
  std::string id;
  Matchers matchers;
  Time starts_at{}, ends_at{}, updated_at{};
  std::string created_by, comment;
  std::vector<TimeIntervalSpec> schedule;  // empty: not recurring
  TimeIntervalText schedule_text;          // as given, for the API

  enum class State { pending, active, expired };
  State state(Time now) const;
  // Active and, if recurring, inside its schedule now.
  bool mutes(const LabelSet& labels, Time now) const;
};
const char* silence_state_name(Silence::State s);

class SilenceStore {
 public:
  // `new_id` makes ids (random UUIDs in the agent, predictable in tests).
  explicit SilenceStore(std::function<std::string()> new_id) : new_id_(std::move(new_id)) {}

  // Creates (empty id) or updates a silence; returns its id, which is new when an update had
  // to expire the old silence. Errors say which rule the silence breaks.
  Result<std::string> put(Silence s, Time now);
  Status expire(const std::string& id, Time now);
  const Silence* get(const std::string& id) const;
  std::vector<Silence> list() const;
  // Ids of the silences muting these labels now.
  std::vector<std::string> muting(const LabelSet& labels, Time now) const;
  // Drops silences expired longer than `retention` ago.
  void gc(Time now, Duration retention);
  // Restores a silence as stored (no validation, id kept).
  void load(Silence s) { silences_[s.id] = std::move(s); }

 private:
  std::function<std::string()> new_id_;
  std::map<std::string, Silence> silences_;
};

Status validate_silence(const Silence& s);

}  // namespace vigil::alerting
