#include "alerting/alert_db.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>

using namespace vigil::alerting;
using namespace std::chrono_literals;

namespace {
const Time t0 = Time(std::chrono::seconds(1795392000));

std::string fresh(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  return (dir / "alerting.db").string();
}

OutboxItem item(const std::string& receiver, const std::string& key) {
  OutboxItem it;
  it.receiver = receiver;
  it.notifier = "webhook";
  it.group_key = "{}:{alertname=\"A\"}";
  it.idempotency_key = key;
  it.notification = "{}";
  it.created_at = t0;
  it.next_attempt_at = t0;
  return it;
}
}  // namespace

TEST_CASE("the outbox keeps notifications until delivered, across a reopen", "[alerting]") {
  const auto path = fresh("vigil-alertdb-outbox");
  {
    auto db = AlertDb::open(path);
    REQUIRE(db.ok());
    std::vector<OutboxItem> items{item("team", "k1"), item("team", "k2"), item("ops", "k3")};
    REQUIRE((*db)->enqueue(items).ok());
    CHECK(items[2].id > items[0].id);
    REQUIRE((*db)->mark_delivered(items[0].id, t0 + 1s).ok());
    REQUIRE((*db)->mark_retry(items[1].id, 1, t0 + 10s, "HTTP 503 from http://127.0.0.1:1/hook", t0 + 1s).ok());
  }
  auto db = AlertDb::open(path);  // as after kill -9 and a restart
  REQUIRE(db.ok());
  auto due = (*db)->due(t0 + 2s, 10);
  REQUIRE(due.size() == 1);
  CHECK(due[0].idempotency_key == "k3");
  due = (*db)->due(t0 + 10s, 10);
  REQUIRE(due.size() == 2);
  CHECK(due[0].attempts == 1);
  CHECK(due[0].last_error.find("HTTP 503") != std::string::npos);
  REQUIRE((*db)->mark_dead(due[0].id, 5, "HTTP 400: invalid_payload", t0 + 11s).ok());
  const auto stats = (*db)->outbox_stats();
  CHECK(stats.pending == 1);
  CHECK(stats.dead == 1);
  CHECK(stats.oldest_pending == t0);
  CHECK((*db)->outbox("dead", "", 10).size() == 1);
  CHECK((*db)->outbox("", "ops", 10).size() == 1);
  REQUIRE((*db)->prune_outbox(t0 + 1h, 1min).ok());
  CHECK((*db)->outbox("delivered", "", 10).empty());
  CHECK((*db)->outbox("dead", "", 10).size() == 1);  // dead letters stay for inspection
}

TEST_CASE("history is filtered, paged newest first and pruned", "[alerting]") {
  auto db = AlertDb::open(fresh("vigil-alertdb-history"));
  REQUIRE(db.ok());
  std::vector<HistoryEvent> events;
  for (int i = 0; i < 10; ++i) {
    HistoryEvent e;
    e.at = t0 + i * 1min;
    e.kind = i % 2 ? "resolved" : "firing";
    e.alertname = i < 5 ? "Down" : "Slow";
    e.severity = "warning";
    e.fingerprint = "fp" + std::to_string(i % 3);
    e.labels = {{"alertname", e.alertname}, {"instance", "i" + std::to_string(i % 2)}};
    events.push_back(e);
  }
  REQUIRE((*db)->record(events).ok());
  HistoryQuery q;
  q.alertname = "Down";
  auto r = (*db)->history(q);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 5);
  CHECK(r->events.front().at == t0 + 4min);  // newest first
  CHECK(r->next_before == 0);
  q = {};
  q.limit = 3;
  auto page1 = (*db)->history(q).value();
  CHECK(page1.next_before == page1.events.back().id);
  q.before_id = page1.next_before;
  auto page2 = (*db)->history(q).value();
  REQUIRE(page2.events.size() == 3);
  CHECK(page2.events.front().id == page1.events.back().id - 1);
  q = {};
  q.kind = "firing";
  q.labels = parse_matchers("instance=\"i0\"").value();
  CHECK((*db)->history(q)->events.size() == 5);
  q = {};
  q.from = t0 + 2min;
  q.to = t0 + 3min;
  CHECK((*db)->history(q)->events.size() == 2);
  REQUIRE((*db)->prune_history(t0 + 10min, 5min, 100).ok());  // by age: keeps 5..9
  CHECK((*db)->history({})->events.size() == 5);
  REQUIRE((*db)->prune_history(t0 + 10min, 1h, 2).ok());  // by count
  CHECK((*db)->history({})->events.size() == 2);
}

TEST_CASE("a history query reads a bounded number of rows and hands back a cursor", "[alerting][hostile]") {
  auto db = AlertDb::open(fresh("vigil-alertdb-history-bounded"));
  REQUIRE(db.ok());
  std::vector<HistoryEvent> events;
  for (int i = 0; i < 5000; ++i) {
    HistoryEvent e;
    e.at = t0 + std::chrono::seconds(i);
    e.kind = "firing";
    e.fingerprint = "fp" + std::to_string(i % 100);
    e.alertname = i % 1000 == 0 ? "Rare" : "Common";
    e.labels = {{"alertname", e.alertname}, {"instance", i == 7 ? "needle" : "hay"}};
    events.push_back(e);
  }
  REQUIRE((*db)->record(events).ok());
  // A label matcher that matches one old row: each query reads at most max_scanned rows and
  // says where to go on; following the cursors finds the row without any query reading more.
  HistoryQuery q;
  q.labels = parse_matchers("instance=\"needle\"").value();
  q.max_scanned = 1000;
  int queries = 0;
  std::vector<HistoryEvent> found;
  for (;;) {
    auto page = (*db)->history(q);
    REQUIRE(page.ok());
    ++queries;
    for (auto& e : page->events) found.push_back(e);
    if (page->next_before == 0) break;
    REQUIRE(page->next_before < (q.before_id ? q.before_id : INT64_MAX));
    q.before_id = page->next_before;
    REQUIRE(queries < 10);
  }
  CHECK(queries == 6);  // 5 full budgets, then one that reads the rest (nothing) and ends
  REQUIRE(found.size() == 1);
  CHECK(found[0].id == 8);  // the eighth row recorded

  // Each indexed filter the API offers narrows the read through an index or the id range, never
  // a scan of the whole table (a query without filters reads the newest rows, LIMIT-bounded).
  for (auto set : std::vector<void (*)(HistoryQuery&)>{
           [](HistoryQuery& h) { h.alertname = "Rare"; }, [](HistoryQuery& h) { h.fingerprint = "fp1"; },
           [](HistoryQuery& h) { h.receiver = "r"; }, [](HistoryQuery& h) { h.group_key = "g"; },
           [](HistoryQuery& h) { h.to = t0 + 100s; }}) {
    HistoryQuery h;
    set(h);
    auto explained = (*db)->explain_history(h);
    REQUIRE(explained.ok());
    const std::string plan = *explained;
    INFO(plan);
    CHECK(plan.rfind("SEARCH history USING ", 0) == 0);
  }
  HistoryQuery rare;
  rare.alertname = "Rare";
  CHECK((*db)->history(rare)->events.size() == 5);
  HistoryQuery window;  // 100 events in [t0+100s, t0+199s], one of them "Rare"
  window.from = t0 + 100s;
  window.to = t0 + 199s;
  window.max_scanned = 150;
  auto in_window = (*db)->history(window);
  REQUIRE(in_window.ok());
  CHECK(in_window->events.size() == 100);
  CHECK(in_window->next_before == 101);  // a full page: the cursor is its last event
  window.alertname = "Rare";
  CHECK((*db)->history(window)->events.size() == 0);  // the rare one is t0+0s, t0+1000s...
}

TEST_CASE("a database deleted while open is restored whole; one replaced is an error", "[alerting][hostile]") {
  const auto path = fresh("vigil-alertdb-deleted");
  auto db = AlertDb::open(path);
  REQUIRE(db.ok());
  std::vector<HistoryEvent> events(3);
  for (auto& e : events) {
    e.at = t0;
    e.kind = "firing";
    e.alertname = "A";
  }
  REQUIRE((*db)->record(events).ok());
  std::vector<OutboxItem> items{item("r", "k1")};
  REQUIRE((*db)->enqueue(items).ok());
  REQUIRE((*db)->save("silence", "s1", "{}").ok());
  CHECK((*db)->check_file().value() == AlertDb::FileCheck::fine);

  std::filesystem::remove(path);  // its -wal and -shm stay, as after `rm alerting.db`
  auto checked = (*db)->check_file();
  REQUIRE(checked.ok());
  CHECK(*checked == AlertDb::FileCheck::restored);
  CHECK(std::filesystem::exists(path));
  REQUIRE((*db)->record(events).ok());
  db->reset();

  auto again = AlertDb::open(path);
  REQUIRE(again.ok());
  CHECK((*again)->history({})->events.size() == 6);
  CHECK((*again)->outbox_count("pending", "") == 1);
  CHECK((*again)->load("silence").size() == 1);

  const auto other = fresh("vigil-alertdb-other");
  REQUIRE(AlertDb::open(other).ok());
  std::filesystem::rename(other, path);
  auto replaced = (*again)->check_file();
  REQUIRE_FALSE(replaced.ok());
  CHECK(replaced.message().find("was replaced by another file while vigil had it open") != std::string::npos);
  // vigil goes on with its own data, kept beside the new file, and says so at every check.
  REQUIRE((*again)->record(events).ok());
  CHECK((*again)->history({})->events.size() == 9);
  CHECK(std::filesystem::exists(path + ".vigil-kept"));
  CHECK_FALSE((*again)->check_file().ok());
  again->reset();
  auto theirs = AlertDb::open(path);  // the replacement was left as it was
  REQUIRE(theirs.ok());
  CHECK((*theirs)->history({})->events.empty());
}

TEST_CASE("saved state is replaced by id and survives a reopen", "[alerting]") {
  const auto path = fresh("vigil-alertdb-state");
  {
    auto db = AlertDb::open(path).value();
    REQUIRE(db->save("silence", "s1", "{\"a\":1}").ok());
    REQUIRE(db->save("silence", "s1", "{\"a\":2}").ok());
    REQUIRE(db->save("silence", "s2", "{}").ok());
    REQUIRE(db->erase("silence", "s2").ok());
  }
  auto db = AlertDb::open(path).value();
  auto s = db->load("silence");
  REQUIRE(s.size() == 1);
  CHECK(s[0].second == "{\"a\":2}");
  CHECK(db->load("ack").empty());
}

TEST_CASE("an unwritable state directory is a clear error", "[alerting]") {
  auto db = AlertDb::open("/proc/vigil-nope/alerting.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.message().find("state_dir") != std::string::npos);
}
