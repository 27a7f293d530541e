// Alertmanager's routing tree (dispatch/route.go). An alert enters at the root (which matches
// everything) and goes depth-first to the first matching child, or to every matching child
// up to and including the first one without `continue`; a node none of whose children match
// handles the alert itself. Options a node leaves unset are inherited from its parent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/matchers.h"

namespace vigil::alerting {

struct RouteOptions {
  std::string receiver;
  std::vector<std::string> group_by;  // label names
  bool group_by_all = false;          // group_by = ["..."]: every label, no aggregation
  Duration group_wait = std::chrono::seconds(30);
  Duration group_interval = std::chrono::minutes(5);
  Duration repeat_interval = std::chrono::hours(4);
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
};

class Route {
 public:
  Matchers matchers;
  bool continue_matching = false;
  RouteOptions options;
  std::vector<std::unique_ptr<Route>> routes;
  const Route* parent = nullptr;
  std::string where;  // file:line:col in the config

  // Every route that handles the labels, in tree order (empty only if this one does not match).
  std::vector<const Route*> match(const LabelSet& labels) const;
  // Alertmanager's route key: the parent's key, "/", this route's matchers; the root's is "{}".
  std::string key() const;
  // The labels the route groups by, taken from the alert (absent ones left out).
  LabelSet group_labels(const LabelSet& labels) const;
  // routeKey + ":" + group labels, e.g. {}/{team="db"}:{alertname="InstanceDown"}.
  std::string group_key(const LabelSet& group_labels) const;
};

}  // namespace vigil::alerting
