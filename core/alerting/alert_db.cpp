#include "alerting/alert_db.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace vigil::alerting {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  receiver TEXT NOT NULL, notifier TEXT NOT NULL, group_key TEXT NOT NULL, idempotency_key TEXT NOT NULL,
  notification TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
CREATE TABLE IF NOT EXISTS history (
  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL, alertname TEXT NOT NULL, severity TEXT NOT NULL,
  receiver TEXT NOT NULL, group_key TEXT NOT NULL, labels TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_ts ON history(ts_ms);
CREATE INDEX IF NOT EXISTS history_alertname ON history(alertname, id);
CREATE INDEX IF NOT EXISTS history_fingerprint ON history(fingerprint, id);
CREATE INDEX IF NOT EXISTS history_receiver ON history(receiver, id);
CREATE INDEX IF NOT EXISTS history_group ON history(group_key, id);
CREATE TABLE IF NOT EXISTS state (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id));
PRAGMA user_version = 1;
)sql";

std::string labels_json(const LabelSet& l) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : l) j[k] = v;
  return j.dump();
}

LabelSet labels_of(const std::string& text) {
  LabelSet out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) out.emplace_back(k, v.get<std::string>());
  return out;
}

OutboxItem outbox_row(const sqlite::Statement& s) {
  OutboxItem it;
  it.id = s.int64(0);
  it.receiver = s.text(1);
  it.notifier = s.text(2);
  it.group_key = s.text(3);
  it.idempotency_key = s.text(4);
  it.notification = s.text(5);
  it.state = s.text(6);
  it.attempts = s.int64(7);
  it.created_at = from_ms(s.int64(8));
  it.next_attempt_at = from_ms(s.int64(9));
  it.updated_at = from_ms(s.int64(10));
  it.last_error = s.text(11);
  return it;
}

constexpr const char* kOutboxColumns =
    "id, receiver, notifier, group_key, idempotency_key, notification, state, attempts, created_ms, "
    "next_attempt_ms, updated_ms, last_error";

}  // namespace

Result<std::unique_ptr<AlertDb>> AlertDb::open(const std::string& path) {
  // Durable: every commit is on disk (fsync) when it returns.
  auto db = sqlite::Database::open(path, true);
  if (!db.ok()) return db.status();
  if (auto st = (*db)->exec(kSchema); !st.ok()) return st;
  return std::unique_ptr<AlertDb>(new AlertDb(std::move(db.value()), path));
}

Result<AlertDb::FileCheck> AlertDb::check_file() {
  std::lock_guard lock(mu_);
  if (path_ == ":memory:") return FileCheck::fine;
  const auto state = db_->file_state();
  if (state == sqlite::Database::FileState::same) {
    if (db_->path() == path_) return FileCheck::fine;
    return Status::error(path_ + " could not be put back; vigil keeps its database in " + db_->path() +
                         ": stop vigil and move that file to " + path_);
  }
  const bool replaced = state == sqlite::Database::FileState::replaced;
  // Whether deleted or replaced, this connection still holds vigil's data: copy it out whole,
  // empty this connection's write-ahead log (so no frame of it is left beside the path, where
  // it would be replayed onto another file), close it, and go on with the copy.
  const std::string copy = path_ + (replaced ? ".vigil-kept" : ".restore");
  std::error_code ec;
  std::filesystem::remove(copy, ec);
  if (auto st = db_->backup_to(copy); !st.ok())
    return Status::error(path_ + (replaced ? " was replaced" : " was deleted") +
                         " while open, and vigil cannot copy its own database out: " + st.message());
  (void)db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db_.reset();
  std::string now_at = copy;
  if (!replaced) {
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
    std::filesystem::rename(copy, path_, ec);
    if (!ec) now_at = path_;
  }
  auto reopened = sqlite::Database::open(now_at, true);
  if (reopened.ok() && (*reopened)->exec(kSchema).ok()) {
    db_ = std::move(*reopened);
  } else {
    // Never without a database: memory, reported until vigil is restarted.
    db_ = sqlite::Database::open(":memory:", false).value();
    (void)db_->exec(kSchema);
    return Status::error(path_ + " was lost while open and its copy " + now_at +
                         " cannot be opened; vigil keeps its state in memory only: restart vigil");
  }
  if (replaced)
    return Status::error(path_ +
                         " was replaced by another file while vigil had it open; vigil keeps its own database in " +
                         copy + " and goes on with it: restart vigil to use the new file");
  if (now_at != path_)
    return Status::error(path_ + " was deleted while open; its copy " + copy + " cannot be moved into place (" +
                         ec.message() + "): stop vigil and move it there");
  return FileCheck::restored;
}

Status AlertDb::enqueue(std::vector<OutboxItem>& items) {
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  if (!tx.begun().ok()) return tx.begun();
  auto st = db_->prepare(
      "INSERT INTO outbox (receiver, notifier, group_key, idempotency_key, notification, state, attempts, "
      "created_ms, next_attempt_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)");
  if (!st.ok()) return st.status();
  for (auto& it : items) {
    const int64_t now = to_ms(it.created_at);
    st->bind(1, it.receiver).bind(2, it.notifier).bind(3, it.group_key).bind(4, it.idempotency_key);
    st->bind(5, it.notification).bind(6, now).bind(7, to_ms(it.next_attempt_at)).bind(8, now);
    if (auto r = st->run(); !r.ok()) return r;
    it.id = db_->last_insert_id();
    it.state = "pending";
  }
  return tx.commit();
}

std::vector<OutboxItem> AlertDb::due(Time now, size_t limit, const std::string& notifier) {
  std::lock_guard lock(mu_);
  std::vector<OutboxItem> out;
  auto st =
      db_->prepare(std::string("SELECT ") + kOutboxColumns +
                   " FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ?1 AND (?3 = '' OR notifier = ?3) "
                   "ORDER BY id LIMIT ?2");
  if (!st.ok()) return out;
  st->bind(1, to_ms(now)).bind(2, static_cast<int64_t>(limit)).bind(3, notifier);
  while (st->step()) out.push_back(outbox_row(*st));
  return out;
}

std::optional<Time> AlertDb::next_due(const std::string& notifier) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT min(next_attempt_ms) FROM outbox WHERE state = 'pending' AND notifier = ?");
  if (!st.ok()) return std::nullopt;
  st->bind(1, notifier);
  if (!st->step() || st->is_null(0)) return std::nullopt;
  return from_ms(st->int64(0));
}

Status AlertDb::mark_delivered(int64_t id, Time now) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, updated_ms = ?, "
      "last_error = '' WHERE id = ?");
  if (!st.ok()) return st.status();
  return st->bind(1, to_ms(now)).bind(2, id).run();
}

Status AlertDb::mark_retry(int64_t id, int64_t attempts, Time next, const std::string& error, Time now) {
  std::lock_guard lock(mu_);
  auto st =
      db_->prepare("UPDATE outbox SET attempts = ?, next_attempt_ms = ?, last_error = ?, updated_ms = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  return st->bind(1, attempts).bind(2, to_ms(next)).bind(3, error).bind(4, to_ms(now)).bind(5, id).run();
}

Status AlertDb::mark_dead(int64_t id, int64_t attempts, const std::string& error, Time now) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("UPDATE outbox SET state = 'dead', attempts = ?, last_error = ?, updated_ms = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  return st->bind(1, attempts).bind(2, error).bind(3, to_ms(now)).bind(4, id).run();
}

std::vector<OutboxItem> AlertDb::outbox(const std::string& state, const std::string& receiver, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<OutboxItem> out;
  auto st = db_->prepare(std::string("SELECT ") + kOutboxColumns +
                         " FROM outbox WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR receiver = ?2) "
                         "ORDER BY id DESC LIMIT ?3");
  if (!st.ok()) return out;
  st->bind(1, state).bind(2, receiver).bind(3, static_cast<int64_t>(limit));
  while (st->step()) out.push_back(outbox_row(*st));
  return out;
}

int64_t AlertDb::outbox_count(const std::string& state, const std::string& receiver) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT count(*) FROM outbox WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR receiver = ?2)");
  if (!st.ok()) return 0;
  st->bind(1, state).bind(2, receiver);
  return st->step() ? st->int64(0) : 0;
}

OutboxStats AlertDb::outbox_stats() {
  std::lock_guard lock(mu_);
  OutboxStats s;
  auto st = db_->prepare(
      "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'), "
      "(SELECT count(*) FROM outbox WHERE state = 'dead'), "
      "(SELECT min(created_ms) FROM outbox WHERE state = 'pending')");
  if (st.ok() && st->step()) {
    s.pending = st->int64(0);
    s.dead = st->int64(1);
    if (!st->is_null(2)) s.oldest_pending = from_ms(st->int64(2));
  }
  return s;
}

Status AlertDb::prune_outbox(Time now, Duration age) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("DELETE FROM outbox WHERE state = 'delivered' AND updated_ms < ?");
  if (!st.ok()) return st.status();
  return st->bind(1, to_ms(now - age)).run();
}

Status AlertDb::record(const std::vector<HistoryEvent>& events) {
  if (events.empty()) return {};
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  if (!tx.begun().ok()) return tx.begun();
  auto st = db_->prepare(
      "INSERT INTO history (ts_ms, kind, fingerprint, alertname, severity, receiver, group_key, labels, detail) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  for (const auto& e : events) {
    st->bind(1, to_ms(e.at)).bind(2, e.kind).bind(3, e.fingerprint).bind(4, e.alertname).bind(5, e.severity);
    st->bind(6, e.receiver).bind(7, e.group_key).bind(8, labels_json(e.labels));
    st->bind(9, e.detail.empty() ? std::string("{}") : e.detail);
    if (auto r = st->run(); !r.ok()) return r;
  }
  return tx.commit();
}

namespace {

// The one equality filter SQLite serves from an index (the most selective set), or nullptr.
struct IndexedFilter {
  const char* column = nullptr;
  const std::string* value = nullptr;
};
IndexedFilter indexed_filter(const HistoryQuery& q) {
  for (auto [column, value] : {std::pair{"fingerprint", &q.fingerprint}, std::pair{"group_key", &q.group_key},
                               std::pair{"alertname", &q.alertname}, std::pair{"receiver", &q.receiver}})
    if (!value->empty()) return {column, value};
  return {};
}

// The history query: at most one indexed equality and id bounds, so every row SQLite visits is
// a row it returns and LIMIT bounds the work (other conditions, checked on the rows read, would
// let SQLite skip rows unseen and unbounded). `lead` is "" or "EXPLAIN QUERY PLAN ".
Result<sqlite::Statement> prepare_history(sqlite::Database& db, const HistoryQuery& q, const std::string& lead,
                                          int64_t lowest_id, int64_t highest_id) {
  const auto indexed = indexed_filter(q);
  std::string where;
  auto cond = [&where](const std::string& c) { where += (where.empty() ? " WHERE " : " AND ") + c; };
  if (indexed.column) cond(std::string(indexed.column) + " = ?");
  if (q.before_id > 0) cond("id < ?");
  if (lowest_id > 0) cond("id >= ?");
  if (highest_id > 0) cond("id <= ?");
  auto st = db.prepare(lead +
                       "SELECT id, ts_ms, kind, fingerprint, alertname, severity, receiver, group_key, labels, detail "
                       "FROM history" +
                       where + " ORDER BY id DESC LIMIT ?");
  if (!st.ok()) return st.status();
  int index = 1;
  if (indexed.column) st->bind(index++, *indexed.value);
  for (int64_t bound : {q.before_id, lowest_id, highest_id})
    if (bound > 0) st->bind(index++, bound);
  st->bind(index, static_cast<int64_t>(std::max<size_t>(q.max_scanned, q.limit)));
  return st;
}

// The id range of the events recorded in [from, to], from the time index: events are recorded in
// time order, so the window is exact unless the clock stepped back (rows then outside it are
// missed; rows inside it are still checked against the times). False when the range is empty.
bool id_window(sqlite::Database& db, const HistoryQuery& q, int64_t& lowest_id, int64_t& highest_id, Status& error) {
  auto first = [&](const char* sql, Time t, int64_t& out) {
    auto st = db.prepare(sql);
    if (!st.ok()) {
      error = st.status();
      return false;
    }
    st->bind(1, to_ms(t));
    const bool found = st->step();
    if (found) out = st->int64(0);
    if (!st->status().ok()) error = st->status();
    return found;
  };
  if (q.from != Time{} &&
      !first("SELECT id FROM history WHERE ts_ms >= ? ORDER BY ts_ms, id LIMIT 1", q.from, lowest_id))
    return false;
  if (q.to != Time{} &&
      !first("SELECT id FROM history WHERE ts_ms <= ? ORDER BY ts_ms DESC, id DESC LIMIT 1", q.to, highest_id))
    return false;
  return true;
}

// The conditions not in the SQL, checked on each row read.
bool row_matches(const HistoryQuery& q, const HistoryEvent& e) {
  const auto indexed = indexed_filter(q);
  for (auto [value, have] : {std::pair{&q.kind, &e.kind}, std::pair{&q.severity, &e.severity},
                             std::pair{&q.alertname, &e.alertname}, std::pair{&q.receiver, &e.receiver},
                             std::pair{&q.fingerprint, &e.fingerprint}, std::pair{&q.group_key, &e.group_key}})
    if (!value->empty() && value != indexed.value && *value != *have) return false;
  if (q.from != Time{} && e.at < q.from) return false;
  if (q.to != Time{} && e.at > q.to) return false;
  return q.labels.empty() || matches(q.labels, e.labels);
}

}  // namespace

Result<HistoryPage> AlertDb::history(const HistoryQuery& q) {
  std::lock_guard lock(mu_);
  HistoryPage page;
  int64_t lowest_id = 0, highest_id = 0;
  Status error;
  if (!id_window(*db_, q, lowest_id, highest_id, error)) {
    if (!error.ok()) return error;
    return page;
  }
  auto st = prepare_history(*db_, q, "", lowest_id, highest_id);
  if (!st.ok()) return st.status();
  const size_t budget = std::max<size_t>(q.max_scanned, q.limit);
  size_t scanned = 0;
  int64_t last_id = 0;
  while (page.events.size() < q.limit && st->step()) {
    ++scanned;
    HistoryEvent e;
    e.id = last_id = st->int64(0);
    e.at = from_ms(st->int64(1));
    e.kind = st->text(2);
    e.fingerprint = st->text(3);
    e.alertname = st->text(4);
    e.severity = st->text(5);
    e.receiver = st->text(6);
    e.group_key = st->text(7);
    e.labels = labels_of(st->text(8));
    if (!row_matches(q, e)) continue;
    e.detail = st->text(9);
    page.events.push_back(std::move(e));
  }
  if (!st->status().ok()) return st->status();
  // A full page, or the read budget spent: more may follow below the last row read.
  if (page.events.size() == q.limit || scanned == budget) page.next_before = last_id;
  return page;
}

Result<std::string> AlertDb::explain_history(const HistoryQuery& q) {
  std::lock_guard lock(mu_);
  int64_t lowest_id = 0, highest_id = 0;
  Status error;
  if (!id_window(*db_, q, lowest_id, highest_id, error) && !error.ok()) return error;
  auto st = prepare_history(*db_, q, "EXPLAIN QUERY PLAN ", lowest_id, highest_id);
  if (!st.ok()) return st.status();
  std::string plan;
  while (st->step()) plan += st->text(3) + "\n";
  if (!st->status().ok()) return st->status();
  return plan;
}

Status AlertDb::prune_history(Time now, Duration max_age, int64_t max_events) {
  std::lock_guard lock(mu_);
  auto by_age = db_->prepare("DELETE FROM history WHERE ts_ms < ?");
  if (!by_age.ok()) return by_age.status();
  if (auto st = by_age->bind(1, to_ms(now - max_age)).run(); !st.ok()) return st;
  auto by_count = db_->prepare("DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?");
  if (!by_count.ok()) return by_count.status();
  return by_count->bind(1, max_events).run();
}

Status AlertDb::save(const std::string& kind, const std::string& id, const std::string& json) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(
      "INSERT INTO state (kind, id, body) VALUES (?, ?, ?) "
      "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body");
  if (!st.ok()) return st.status();
  return st->bind(1, kind).bind(2, id).bind(3, json).run();
}

Status AlertDb::save_batch(const std::string& kind, const std::vector<std::pair<std::string, std::string>>& docs) {
  if (docs.empty()) return {};
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  if (!tx.begun().ok()) return tx.begun();
  auto up = db_->prepare(
      "INSERT INTO state (kind, id, body) VALUES (?, ?, ?) "
      "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body");
  auto del = db_->prepare("DELETE FROM state WHERE kind = ? AND id = ?");
  if (!up.ok()) return up.status();
  if (!del.ok()) return del.status();
  for (const auto& [id, json] : docs) {
    Status st = json.empty() ? del->bind(1, kind).bind(2, id).run() : up->bind(1, kind).bind(2, id).bind(3, json).run();
    if (!st.ok()) return st;
  }
  return tx.commit();
}

Status AlertDb::erase(const std::string& kind, const std::string& id) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("DELETE FROM state WHERE kind = ? AND id = ?");
  if (!st.ok()) return st.status();
  return st->bind(1, kind).bind(2, id).run();
}

std::vector<std::pair<std::string, std::string>> AlertDb::load(const std::string& kind) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  auto st = db_->prepare("SELECT id, body FROM state WHERE kind = ? ORDER BY id");
  if (!st.ok()) return out;
  st->bind(1, kind);
  while (st->step()) out.emplace_back(st->text(0), st->text(1));
  return out;
}

}  // namespace vigil::alerting
