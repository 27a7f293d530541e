// Dispatcher: Alertmanager's aggregation groups (dispatch/dispatch.go). Each alert goes to
// every route that handles it; within a route, alerts with equal group labels share a group
// keyed routeKey:groupLabels. A new group flushes after group_wait (at once if its first
// alert started longer than group_wait ago), then every group_interval. A flush carries the
// whole group, firing and resolved; once a flush was handled, resolved alerts that did not
// change meanwhile leave the group, and an empty group is removed.
//
// Time is passed in (injected clock). Not thread-safe: AlertingEngine serializes access.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/route.h"

namespace vigil::alerting {

struct Flush {
  const Route* route = nullptr;
  std::string group_key;
  LabelSet group_labels;
  std::vector<Alert> alerts;  // sorted by labels
};

// A copy of one group, safe to read after the engine's lock is released (and across a reload).
struct GroupView {
  std::string receiver;
  std::string group_key;
  LabelSet group_labels;
  std::vector<Alert> alerts;
  Time next_flush{};
};

class Dispatcher {
 public:
  explicit Dispatcher(std::shared_ptr<const Route> root) : root_(std::move(root)) {}

  void put(const Alert& alert, Time now);
  // Groups whose timer is due, each as one flush; their timers move to now + group_interval.
  std::vector<Flush> due(Time now);
  // After a flush was handled: resolved alerts sent in it that are still the same leave.
  void flushed(const Flush& flush, Time now);
  std::vector<GroupView> groups() const;
  const Route& root() const { return *root_; }

 private:
  struct Group {
    const Route* route;
    LabelSet labels;
    std::map<uint64_t, Alert> alerts;  // by fingerprint
    Time next_flush;
  };
  std::shared_ptr<const Route> root_;
  std::map<std::string, Group> groups_;  // by group key
};

}  // namespace vigil::alerting
