// AlertingService: alerts from vigil's rules and from POST /api/v2/alerts go through the
// AlertingEngine (routing, grouping, dedup, silences, inhibition, acks); every notification it
// produces is written to the durable outbox (SQLite) before anything is sent, then delivered
// by one worker thread per notifier with retries (exponential backoff with jitter, honouring
// Retry-After), a per-notifier rate limit and dead letters. Every state change, notification
// attempt and silence or ack change goes to the history. State (alerts, silences, acks, the
// notification log) is saved as it changes and restored at start, so a crash or `kill -9`
// loses nothing: pending deliveries resume (at least once, with the same idempotency key).
//
// Threading: create/start/stop on the control thread; tick() on the scheduler's job thread;
// one delivery thread per notifier; the API methods from the HTTP thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alerting/alert_db.h"
#include "alerting/engine.h"
#include "alerting/message_template.h"
#include "metrics/sample_store.h"
#include "rules/alerting_rule.h"
#include "runtime/delivery_policy.h"
#include "runtime/replica_log.h"
#include "runtime/scheduler.h"

namespace vigil::plugin_host {
class Notifier;
}

namespace vigil::runtime {

struct AlertingOptions {
  alerting::AlertingConfig config;
  std::string db_path;
  RetryPolicy retry;
  Millis delivery_timeout{30000};
  std::chrono::hours history_retention{24 * 30};
  int64_t history_max_events = 1'000'000;
  std::map<std::string, std::string> rate_limits;  // notifier alias -> "20/m"
  // Set when replicas share a store ([alerting] replica_dedup): at most one of them sends.
  std::shared_ptr<ReplicaLog> replicas;
};

struct ReceiverStatus {
  std::string name;
  std::vector<std::string> notifiers;
  alerting::Time last_success{}, last_failure{};
  std::string last_error;
  int64_t pending = 0, dead = 0;
  double p99_delivery_seconds = 0;  // over the recent deliveries kept in memory
};

class AlertingService {
 public:
  static Result<std::unique_ptr<AlertingService>> create(AlertingOptions options,
                                                         std::vector<std::unique_ptr<plugin_host::Notifier>> notifiers,
                                                         metrics::SampleStore& samples);
  ~AlertingService();

  // Starts the notifiers, the delivery threads and the tick job.
  Status start(Scheduler& scheduler);
  // Stops ticking, lets each delivery thread finish its current attempt until `deadline`, stops
  // the notifiers and saves the state. False when a delivery was still in a notifier at the
  // deadline: nothing was stopped or saved, and the caller must exit without destroying this.
  bool stop(Scheduler& scheduler, std::chrono::steady_clock::time_point deadline);
  // A reload: new routes, receivers, inhibition and templates; alerts are regrouped. The
  // notifier instances stay (changing them needs a restart).
  Status reconfigure(alerting::AlertingConfig config);
  std::shared_ptr<const alerting::AlertingConfig> config() const;

  // From the rule scheduler after each group evaluation.
  void on_rule_alerts(const std::string& group, std::chrono::milliseconds interval,
                      const std::vector<rules::Alert>& alerts, int64_t now_ms);
  // Alerts posted in Alertmanager's format, all or nothing: checked first against [alerting]'s
  // limits (each refused alert counted by reason), then taken. The problems name what was
  // refused; over_alert_limit asks the caller to answer 429 (try later) rather than 400.
  struct PostOutcome {
    Problems problems;
    bool over_alert_limit = false;
  };
  PostOutcome post_alerts(std::vector<alerting::Alert> alerts);
  // One tick: due groups become notifications in the outbox; history, state and metrics.
  void tick();

  const alerting::AlertingEngine& engine() const { return engine_; }
  alerting::AlertDb& db() { return *db_; }

  Result<std::string> put_silence(alerting::Silence s, const std::string& principal);
  Status expire_silence(const std::string& id, const std::string& principal);
  // `principal` (who the API authenticated) goes into the history next to the author the body named.
  Result<alerting::Ack> ack_alert(uint64_t fp, const std::string& author, const std::string& comment,
                                  alerting::Time expires_at, const std::string& principal);
  Result<alerting::Ack> ack_group(const std::string& group_key, const std::string& author, const std::string& comment,
                                  alerting::Time expires_at, const std::string& principal);
  Status remove_ack(uint64_t fp, const std::string& principal);
  std::vector<ReceiverStatus> receivers();
  // The last error writing the alerting database ("" while healthy), for readiness.
  std::string db_error();
  // Queues a test notification for one receiver (through the outbox, like any other).
  Status send_test(const std::string& receiver, const std::string& principal);

 private:
  struct Worker;
  struct AlertMark {
    std::string state;  // pending | firing | resolved
    bool silenced = false, inhibited = false, acked = false;
  };

  AlertingService(AlertingOptions options, std::unique_ptr<alerting::AlertDb> db, metrics::SampleStore& samples);
  void enqueue(const std::vector<alerting::Notification>& notes, alerting::Time now);
  void deliver_loop(Worker& w);
  bool claim_delivery(const alerting::OutboxItem& item, const ReplicaLog::Key& key, const alerting::Notification& n,
                      Worker& w);
  void record(std::vector<alerting::HistoryEvent> events);
  // Records state changes (firing, resolved, silenced, inhibited, acknowledged and back) seen
  // since the last call; after every tick and every silence change.
  void observe_states(alerting::Time now);
  void observe_states(alerting::Time now, const std::vector<alerting::AlertView>& views);
  void save_state(alerting::Time now);
  // The database file deleted (restored) or replaced (file_error_) while open; under state_mu_.
  void check_database_file();
  static constexpr std::chrono::seconds kWriteRecovery{30};
  void publish_metrics(alerting::Time now, const std::vector<alerting::AlertView>& views);
  alerting::HistoryEvent event(const std::string& kind, const alerting::Alert& a, alerting::Time at) const;

  AlertingOptions options_;
  std::unique_ptr<alerting::AlertDb> db_;
  metrics::SampleStore& samples_;
  alerting::AlertingEngine engine_;
  using Templates =
      std::pair<std::shared_ptr<const alerting::MessageTemplate>, std::shared_ptr<const alerting::MessageTemplate>>;
  std::optional<Templates> templates_for(const std::string& receiver) const;
  mutable std::mutex config_mu_;                            // guards config_ and templates_
  std::shared_ptr<const alerting::AlertingConfig> config_;  // the current [alerting]
  std::map<std::string, Templates> templates_;              // receiver -> title, body
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};

  // Held by each change that ends in observe_states()/save_state() (the tick's bookkeeping,
  // silence and ack changes, stop), from the engine call to the save: a view or snapshot taken
  // earlier is never applied after a later one. Taken before mu_, never while holding it.
  std::mutex state_mu_;
  struct SavedMark {
    alerting::Time at;
    bool resolved = false;
  };
  std::map<uint64_t, SavedMark> saved_;  // alerts saved: when, and whether resolved then; guarded by state_mu_
  std::map<std::string, alerting::Time> saved_silences_;  // guarded by state_mu_
  alerting::Time last_heartbeat_{};                       // guarded by state_mu_
  std::set<std::string> saved_acks_;                      // guarded by state_mu_
  // Held from post_alerts' alert_limit check to its put, so concurrent posts cannot all pass it.
  std::mutex admit_mu_;

  std::mutex mu_;                        // guards everything below; never held while writing SQLite
  std::map<uint64_t, AlertMark> marks_;  // last recorded state per alert
  std::map<std::string, uint64_t> sent_, failed_, dead_, retried_, sent_by_peer_;  // by "receiver\nnotifier"
  std::map<std::string, uint64_t> rejected_;  // posted alerts refused, by the limit they broke
  std::string replica_error_;                 // the shared store's last error, logged once per outage
  std::map<std::string, ReceiverStatus> receiver_status_;
  std::vector<double> latencies_;          // recent fired->delivered seconds
  std::vector<uint64_t> latency_buckets_;  // cumulative histogram counts
  double latency_sum_ = 0;
  uint64_t latency_count_ = 0;
  std::string db_error_;
  std::string file_error_;  // the database file was replaced, or could not be restored
  std::pair<std::chrono::steady_clock::time_point, std::string> last_write_failure_;  // when, and what
  std::string not_durable_;                       // set when the database could not be opened (running in memory)
  std::vector<alerting::Notification> unqueued_;  // refused by the outbox; offered again next tick
  std::mutex id_mu_;                              // guards rng_
  std::mt19937_64 rng_{std::random_device{}()};
  alerting::Time last_prune_{};
  alerting::Time last_bookkeeping_{};
};

}  // namespace vigil::runtime
