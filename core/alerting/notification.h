// Notification: what one flush of one aggregation group becomes for one receiver, after
// muting and deduplication. It carries everything a channel renders (Alertmanager's template
// data plus vigil's ack and silence details) and an idempotency key that stays the same if a
// delivery is repeated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alerting/alert.h"

namespace vigil::alerting {

struct Ack {
  std::string id;
  std::vector<uint64_t> fingerprints;  // the alerts it covers (one, or a group's firing alerts)
  std::string group_key;               // set for a group ack
  std::string author, comment;
  Time created_at{};
  Time expires_at{};  // zero: until the alerts resolve
  bool covers(uint64_t fp, Time now) const;
};

struct NotifiedAlert {
  Alert alert;
  bool firing = true;
  std::vector<std::string> silenced_by;  // a resolution sent although the alert is silenced
  std::optional<Ack> ack;
};

struct Notification {
  std::string receiver;
  std::string group_key;
  LabelSet group_labels;
  std::string reason;  // first notification | new alerts added | some alerts resolved | all alerts resolved | repeat
                       // interval elapsed
  std::vector<NotifiedAlert> alerts;  // firing first, then resolved; each sorted by labels
  LabelSet common_labels;
  Annotations common_annotations;
  std::string external_url;
  uint64_t sequence = 0;  // per group and receiver, from 1
  std::string idempotency_key;
  Time created_at{};
  Duration repeat_interval{};  // the route's; zero in notifications stored before it was kept

  bool firing() const;  // any alert firing
  size_t firing_count() const;
  // The group in vigil's console, "<external_url>/ui/#/alerts?group=<key>"; "" without external_url.
  std::string console_url() const;
};

}  // namespace vigil::alerting
