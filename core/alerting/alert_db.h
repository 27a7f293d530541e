// AlertDb: the alerting state on disk, one SQLite file (WAL) under the state directory:
//  - the outbox: each notification for each notifier, written before delivery and marked
//    after it, so a crash at any point loses nothing (delivery is at least once);
//  - the history: every alert state change, notification attempt, silence and ack change,
//    kept by age and row count, queryable with filters and a cursor;
//  - saved state: alerts, silences, acks and the notification log, restored at start.
//
// Thread-safe: one mutex around the connection.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/matchers.h"
#include "base/status.h"
#include "sqlite/database.h"

namespace vigil::alerting {

struct HistoryEvent {
  int64_t id = 0;
  Time at{};
  // firing | pending | resolved | silenced | unsilenced | inhibited | uninhibited | acknowledged |
  // unacknowledged | notification | silence_created | silence_expired | alert_received
  std::string kind;
  std::string fingerprint, alertname, severity, receiver, group_key;
  LabelSet labels;
  std::string detail;  // JSON object
};

struct HistoryQuery {
  Time from{}, to{};  // zero: unbounded
  std::string kind, alertname, severity, receiver, fingerprint, group_key;
  Matchers labels;        // every one must match
  int64_t before_id = 0;  // cursor: events older than this id (0: from the newest)
  size_t limit = 100;
  // Rows read at most: label matchers are applied after reading, so one query reads no more than
  // this many and hands back a cursor to go on with.
  size_t max_scanned = 20000;
};

struct HistoryPage {
  std::vector<HistoryEvent> events;  // newest first
  int64_t next_before = 0;           // a cursor (before_id) to read on from; 0 when nothing is left
};

struct OutboxItem {
  int64_t id = 0;
  std::string receiver, notifier, group_key, idempotency_key;
  std::string notification;  // the Notification as JSON
  std::string state;         // pending | delivered | dead
  int64_t attempts = 0;
  Time created_at{}, next_attempt_at{}, updated_at{};
  std::string last_error;
};

struct OutboxStats {
  int64_t pending = 0, dead = 0;
  Time oldest_pending{};  // zero when none
};

class AlertDb {
 public:
  static Result<std::unique_ptr<AlertDb>> open(const std::string& path);

  // Outbox.
  Status enqueue(std::vector<OutboxItem>& items);  // sets ids; all or nothing
  // Pending items of one notifier (all when empty) due at `now`, oldest first.
  std::vector<OutboxItem> due(Time now, size_t limit, const std::string& notifier = "");
  // The earliest next attempt of a notifier's pending items, if any.
  std::optional<Time> next_due(const std::string& notifier);
  Status mark_delivered(int64_t id, Time now);
  Status mark_retry(int64_t id, int64_t attempts, Time next, const std::string& error, Time now);
  Status mark_dead(int64_t id, int64_t attempts, const std::string& error, Time now);
  std::vector<OutboxItem> outbox(const std::string& state, const std::string& receiver, size_t limit);
  OutboxStats outbox_stats();
  // Items in one state ("" = any) for one receiver ("" = any), counted without reading them.
  int64_t outbox_count(const std::string& state, const std::string& receiver);
  // Drops delivered items older than `age`, keeps dead ones for inspection.
  Status prune_outbox(Time now, Duration age);

  // History.
  Status record(const std::vector<HistoryEvent>& events);
  // Events matching `q`, newest first. One column filter (fingerprint, group_key, alertname or
  // receiver) and the time range are served by indexes; the other conditions are checked on the
  // rows read, of which a query reads at most q.max_scanned.
  Result<HistoryPage> history(const HistoryQuery& q);
  // SQLite's plan for that query (EXPLAIN QUERY PLAN's detail lines), to check index use.
  Result<std::string> explain_history(const HistoryQuery& q);
  Status prune_history(Time now, Duration max_age, int64_t max_events);

  // Saved state: JSON documents by kind (alert, silence, ack, nflog) and id.
  Status save(const std::string& kind, const std::string& id, const std::string& json);
  // Many saves and erases (empty json) of one kind in one transaction.
  Status save_batch(const std::string& kind, const std::vector<std::pair<std::string, std::string>>& docs);
  Status erase(const std::string& kind, const std::string& id);
  std::vector<std::pair<std::string, std::string>> load(const std::string& kind);

  const std::string& path() const { return db_->path(); }

  // Whether the database file is still the one opened. Deleted while open (an operator's rm, a
  // cleanup job): restored from the open connection, nothing lost. Replaced by another file:
  // vigil's own data moves to PATH.vigil-kept and work goes on there, with an error (returned at
  // every call) saying to restart vigil for the new file; vigil cannot know which one is meant.
  enum class FileCheck { fine, restored };
  Result<FileCheck> check_file();

 private:
  AlertDb(std::unique_ptr<sqlite::Database> db, std::string path) : path_(std::move(path)), db_(std::move(db)) {}
  const std::string path_;  // where the database belongs
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;  // guarded by mu_; never null
};

}  // namespace vigil::alerting
