#include "alerting/silences.h"

#include <algorithm>

namespace vigil::alerting {
namespace {

bool same_matchers(const Matchers& a, const Matchers& b) {
  return matchers_text(a) == matchers_text(b);
}

}  // namespace

Silence::State Silence::state(Time now) const {
  if (ends_at <= now) return State::expired;
  if (starts_at > now) return State::pending;
  return State::active;
}

const char* silence_state_name(Silence::State s) {
  switch (s) {
    case Silence::State::pending: return "pending";
    case Silence::State::active: return "active";
    case Silence::State::expired: return "expired";
  }
  return "?";
}

bool Silence::mutes(const LabelSet& labels, Time now) const {
  if (state(now) != State::active) return false;
  if (!schedule.empty() &&
      !std::any_of(schedule.begin(), schedule.end(), [&](const TimeIntervalSpec& s) { return s.contains(now); }))
    return false;
  return matches(matchers, labels);
}

Status validate_silence(const Silence& s) {
  if (s.matchers.empty()) return Status::error("a silence needs at least one matcher");
  if (std::all_of(s.matchers.begin(), s.matchers.end(), [](const auto& m) { return m.matches(""); }))
    return Status::error("at least one matcher must not match the empty string, or the silence would mute every alert");
  if (s.created_by.empty()) return Status::error("created_by is required: who is creating the silence");
  if (s.comment.empty()) return Status::error("comment is required: why the alerts are silenced");
  if (s.ends_at < s.starts_at) return Status::error("ends_at is before starts_at");
  return {};
}

Result<std::string> SilenceStore::put(Silence s, Time now) {
  if (s.starts_at == Time{} || (s.id.empty() && s.starts_at < now)) s.starts_at = now;
  if (auto st = validate_silence(s); !st.ok()) return st;
  if (s.ends_at <= now) return Status::error("ends_at is in the past; a silence must end in the future");
  s.updated_at = now;
  if (!s.id.empty()) {
    auto it = silences_.find(s.id);
    if (it == silences_.end()) return Status::error("silence " + s.id + " not found");
    Silence& old = it->second;
    const auto state = old.state(now);
    bool in_place = same_matchers(old.matchers, s.matchers) && state != Silence::State::expired;
    // The API shows times to the millisecond: a start sent back as shown is the same start.
    using std::chrono::floor, std::chrono::milliseconds;
    if (in_place && state == Silence::State::active)
      in_place = floor<milliseconds>(s.starts_at) == floor<milliseconds>(old.starts_at);
    if (in_place && state == Silence::State::pending) in_place = s.starts_at >= now;
    if (in_place) {
      old = std::move(s);
      return old.id;
    }
    if (state != Silence::State::expired) old.ends_at = std::max(old.starts_at, now);
    old.updated_at = now;
    if (s.starts_at < now) s.starts_at = now;
  }
  s.id = new_id_();
  const std::string id = s.id;
  silences_[id] = std::move(s);
  return id;
}

Status SilenceStore::expire(const std::string& id, Time now) {
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::error("silence " + id + " not found");
  Silence& s = it->second;
  switch (s.state(now)) {
    case Silence::State::expired: return Status::error("silence " + id + " has already expired");
    case Silence::State::pending: s.starts_at = now; [[fallthrough]];
    case Silence::State::active: s.ends_at = now;
  }
  s.updated_at = now;
  return {};
}

const Silence* SilenceStore::get(const std::string& id) const {
  auto it = silences_.find(id);
  return it == silences_.end() ? nullptr : &it->second;
}

std::vector<Silence> SilenceStore::list() const {
  std::vector<Silence> out;
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> SilenceStore::muting(const LabelSet& labels, Time now) const {
  std::vector<std::string> out;
  for (const auto& [id, s] : silences_)
    if (s.mutes(labels, now)) out.push_back(id);
  return out;
}

void SilenceStore::gc(Time now, Duration retention) {
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at + retention < now)
      it = silences_.erase(it);
    else
      ++it;
  }
}

}  // namespace vigil::alerting
