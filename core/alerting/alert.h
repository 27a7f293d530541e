// The alert model shared by routing, silences, inhibition and notification, as Alertmanager
// defines it: labels are the identity, an alert is resolved once its end time has passed, and
// the fingerprint is Alertmanager's (FNV-1a 64 over the sorted label pairs), so fingerprints
// are portable between vigil, Alertmanager and tools built on either.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metrics/series_store.h"

namespace vigil::alerting {

using Clock = std::chrono::system_clock;
using Time = Clock::time_point;
using Duration = std::chrono::milliseconds;
using metrics::LabelSet;  // sorted by name
using Annotations = std::vector<std::pair<std::string, std::string>>;

// prometheus/common model.LabelSet.Fingerprint(): FNV-1a 64 over "name\xffvalue\xff" of the
// pairs sorted by name; the empty set gives the offset basis.
uint64_t fingerprint(const LabelSet& labels);
// "%016x", as Alertmanager prints fingerprints.
std::string fingerprint_hex(uint64_t fp);

struct Alert {
  LabelSet labels;
  Annotations annotations;
  Time starts_at{};
  Time ends_at{};  // zero: not known; the receiver of the alert sets now + resolve_timeout
  Time updated_at{};
  std::string generator_url;
  bool timeout = false;         // ends_at was set by resolve_timeout, not by the sender
  std::optional<double> value;  // the rule's value at the last evaluation (vigil's rules only)

  bool resolved(Time now) const { return ends_at != Time{} && ends_at <= now; }
  uint64_t fp() const { return fingerprint(labels); }
  const std::string* label(const std::string& name) const;
};

// Alertmanager's merge of two reports of the same alert (types.Alert.Merge): the younger
// report (by updated_at) wins, the earliest start is kept, the latest end of two resolved
// reports is kept, and a later end that is not a timeout wins.
Alert merge(const Alert& older, const Alert& newer, Time now);

// Unix milliseconds, as stored and as the plugin ABI carries times.
int64_t to_ms(Time t);
Time from_ms(int64_t ms);

// {a="b", c="d"}, the text of a label set in group keys and messages.
std::string label_set_text(const LabelSet& labels);

}  // namespace vigil::alerting
