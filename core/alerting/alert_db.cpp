#include "alerting/alert_db.h"

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
  auto db = sqlite::Database::open(path);
  if (!db.ok()) return db.status();
  if (auto st = (*db)->exec(kSchema); !st.ok()) return st;
  return std::unique_ptr<AlertDb>(new AlertDb(std::move(db.value())));
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

Result<std::vector<HistoryEvent>> AlertDb::history(const HistoryQuery& q) {
  std::lock_guard lock(mu_);
  std::string sql =
      "SELECT id, ts_ms, kind, fingerprint, alertname, severity, receiver, group_key, labels, detail FROM history "
      "WHERE (?1 = 0 OR ts_ms >= ?1) AND (?2 = 0 OR ts_ms <= ?2) AND (?3 = '' OR kind = ?3) "
      "AND (?4 = '' OR alertname = ?4) AND (?5 = '' OR severity = ?5) AND (?6 = '' OR receiver = ?6) "
      "AND (?7 = '' OR fingerprint = ?7) AND (?8 = '' OR group_key = ?8) AND (?9 = 0 OR id < ?9) "
      "ORDER BY id DESC";
  auto st = db_->prepare(sql);
  if (!st.ok()) return st.status();
  st->bind(1, q.from == Time{} ? 0 : to_ms(q.from)).bind(2, q.to == Time{} ? 0 : to_ms(q.to));
  st->bind(3, q.kind).bind(4, q.alertname).bind(5, q.severity).bind(6, q.receiver).bind(7, q.fingerprint);
  st->bind(8, q.group_key).bind(9, q.before_id);
  std::vector<HistoryEvent> out;
  // Label matchers are applied here, on the decoded labels, so the cursor still pages exactly.
  while (out.size() < q.limit && st->step()) {
    HistoryEvent e;
    e.id = st->int64(0);
    e.at = from_ms(st->int64(1));
    e.kind = st->text(2);
    e.fingerprint = st->text(3);
    e.alertname = st->text(4);
    e.severity = st->text(5);
    e.receiver = st->text(6);
    e.group_key = st->text(7);
    e.labels = labels_of(st->text(8));
    e.detail = st->text(9);
    if (!q.labels.empty() && !matches(q.labels, e.labels)) continue;
    out.push_back(std::move(e));
  }
  if (!st->status().ok()) return st->status();
  return out;
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
