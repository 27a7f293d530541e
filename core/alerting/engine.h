// AlertingEngine: alerts in, notifications out. It holds the alerts (from vigil's rules and
// from POST /api/v2/alerts), routes them into aggregation groups, and at each tick turns due
// groups into notifications per receiver: muted by route time intervals, inhibition and
// silences, deduplicated by Alertmanager's notification-log rules (with the reason), with
// acknowledgements stopping repeats. Everything takes `now`, so tests drive it with an
// injected clock.
//
// Thread-safe: one mutex around all state.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerting/config.h"
#include "alerting/dispatcher.h"
#include "alerting/notification.h"
#include "alerting/silences.h"

namespace vigil::alerting {

struct AlertView {
  Alert alert;
  uint64_t fp = 0;
  std::string state;  // active | suppressed
  std::vector<std::string> silenced_by;
  std::vector<std::string> inhibited_by;  // fingerprints (hex) of the inhibiting alerts
  std::vector<std::string> receivers;
  std::optional<Ack> ack;
};

// The notification log entry of one group and receiver: what was last sent.
struct LogEntry {
  std::set<uint64_t> firing, resolved;
  Time sent_at{};
  uint64_t sequence = 0;
};

// Everything the engine keeps that must survive a restart.
struct EngineState {
  std::vector<Alert> alerts;
  std::vector<Silence> silences;
  std::vector<Ack> acks;
  std::map<std::string, LogEntry> nflog;  // by group key + "\n" + receiver
};

class AlertingEngine {
 public:
  AlertingEngine(AlertingConfig config, std::function<std::string()> new_id);

  // A reload: the alerts are routed again into groups of the new tree.
  void apply_config(AlertingConfig config, Time now);

  // Alerts as reported (by rules each evaluation, or posted). An alert without an end gets
  // now + resolve_timeout. Errors name the offending alert; valid ones are still taken.
  Problems put(std::vector<Alert> alerts, Time now);
  // How many alerts are held now, and how many of `alerts` would be new (not held yet).
  struct Holding {
    size_t held = 0, fresh = 0;
  };
  Holding holding(const std::vector<Alert>& alerts) const;
  // Due groups become notifications; the notification log is updated as if each is
  // delivered (the caller hands them to the durable outbox right away).
  std::vector<Notification> tick(Time now);

  std::vector<AlertView> alerts(Time now) const;
  std::vector<GroupView> groups() const;

  Result<std::string> put_silence(Silence s, Time now);
  Status expire_silence(const std::string& id, Time now);
  std::vector<Silence> silences() const;
  std::optional<Silence> silence(const std::string& id) const;
  // Current alerts (not resolved) a silence with these matchers would mute.
  std::vector<AlertView> preview(const Matchers& matchers, Time now) const;

  // Acknowledges one firing alert (by fingerprint) or a group's firing alerts (by group key).
  Result<Ack> ack_alert(uint64_t fp, const std::string& author, const std::string& comment, Time expires_at, Time now);
  Result<Ack> ack_group(const std::string& group_key, const std::string& author, const std::string& comment,
                        Time expires_at, Time now);
  Status remove_ack(uint64_t fp, Time now);
  std::vector<Ack> acks() const;

  std::optional<LogEntry> log_entry(const std::string& group_key, const std::string& receiver) const;
  EngineState state() const;
  // At start, before any put(): alerts go back into their groups, which flush after
  // group_wait unless their alerts started earlier (as Alertmanager treats late alerts).
  void restore(EngineState state, Time now);

 private:
  // Per inhibit rule, its active source alerts by their values of the rule's `equal` labels:
  // built once per pass, so finding what inhibits each alert is a lookup, not a scan of all.
  using InhibitionIndex = std::vector<std::unordered_map<std::string, std::vector<const Alert*>>>;
  InhibitionIndex index_inhibition_sources(Time now) const;
  std::vector<std::string> inhibited_by(const Alert& a, const InhibitionIndex& sources) const;
  std::optional<Ack> ack_of(uint64_t fp, Time now) const;
  bool route_muted(const Route& r, Time now) const;
  std::optional<Notification> notify(const Flush& f, const ReceiverConfig& receiver, Time now);
  void expire_acks(Time now);

  mutable std::mutex mu_;
  AlertingConfig config_;
  std::function<std::string()> new_id_;
  std::map<uint64_t, Alert> alerts_;  // by fingerprint
  Dispatcher dispatcher_;
  SilenceStore silences_;
  std::map<std::string, Ack> acks_;        // by id
  std::map<std::string, LogEntry> nflog_;  // by group key + "\n" + receiver
};

}  // namespace vigil::alerting
