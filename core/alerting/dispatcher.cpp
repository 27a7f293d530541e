#include "alerting/dispatcher.h"

#include <algorithm>

namespace vigil::alerting {

void Dispatcher::put(const Alert& alert, Time now) {
  for (const Route* route : root_->match(alert.labels)) {
    LabelSet gl = route->group_labels(alert.labels);
    std::string key = route->group_key(gl);
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      Group g{route, std::move(gl), {}, now + route->options.group_wait};
      // An alert that started long ago (a restart, a late sender) is not held back.
      if (alert.starts_at != Time{} && alert.starts_at + route->options.group_wait < now) g.next_flush = now;
      it = groups_.emplace(std::move(key), std::move(g)).first;
    }
    it->second.alerts[alert.fp()] = alert;
  }
}

std::vector<Flush> Dispatcher::due(Time now) {
  std::vector<Flush> out;
  for (auto& [key, g] : groups_) {
    if (g.next_flush > now) continue;
    g.next_flush = now + g.route->options.group_interval;
    Flush f{g.route, key, g.labels, {}};
    for (const auto& [fp, a] : g.alerts) f.alerts.push_back(a);
    std::sort(f.alerts.begin(), f.alerts.end(), [](const Alert& a, const Alert& b) { return a.labels < b.labels; });
    out.push_back(std::move(f));
  }
  return out;
}

void Dispatcher::flushed(const Flush& flush, Time now) {
  auto it = groups_.find(flush.group_key);
  if (it == groups_.end()) return;
  auto& alerts = it->second.alerts;
  for (const auto& sent : flush.alerts) {
    if (!sent.resolved(now)) continue;
    auto cur = alerts.find(sent.fp());
    // Only if it did not fire again (a newer report) while the flush was handled.
    if (cur != alerts.end() && cur->second.updated_at == sent.updated_at && cur->second.ends_at == sent.ends_at)
      alerts.erase(cur);
  }
  if (alerts.empty()) groups_.erase(it);
}

std::vector<GroupView> Dispatcher::groups() const {
  std::vector<GroupView> out;
  for (const auto& [key, g] : groups_) {
    GroupView v{g.route->options.receiver, key, g.labels, {}, g.next_flush};
    for (const auto& [fp, a] : g.alerts) v.alerts.push_back(a);
    std::sort(v.alerts.begin(), v.alerts.end(), [](const Alert& a, const Alert& b) { return a.labels < b.labels; });
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vigil::alerting
