// The engine with an injected clock: grouping timers, Alertmanager's dedup rules and reasons,
// inhibition, silences, acknowledgements and route time intervals.
#include <catch2/catch_test_macros.hpp>

#include "alerting/engine.h"
#include "alerting/notification_json.h"
#include "config/toml_loader.h"

using namespace vigil::alerting;
using namespace std::chrono_literals;

namespace {

const Time t0 = Time(std::chrono::seconds(1795392000));  // 2026-11-23 00:00 UTC, a Monday

AlertingConfig config_from(const std::string& toml) {
  auto loaded = vigil::config::load_config_text(toml, "a.toml");
  REQUIRE(loaded.problems.empty());
  auto r = parse_alerting_config(loaded.settings.alerting, {"log"});
  INFO((r.problems.empty() ? "" : r.problems[0]));
  REQUIRE(r.problems.empty());
  return r.config;
}

std::function<std::string()> counter_ids() {
  auto n = std::make_shared<int>(0);
  return [n] { return "id-" + std::to_string(++*n); };
}

const char* kBase = R"(
[alerting]
external_url = "http://vigil:9479"
[alerting.route]
receiver = "team"
group_by = ["alertname"]
group_wait = "30s"
group_interval = "5m"
repeat_interval = "1h"
[[alerting.receivers]]
name = "team"
notifiers = ["log"]
[[alerting.inhibit_rules]]
source_matchers = ['severity="critical"']
target_matchers = ['severity="warning"']
equal = ["instance"]
)";

Alert firing(const std::string& name, const std::string& instance, Time start,
             const std::string& severity = "warning") {
  Alert a;
  a.labels = {{"alertname", name}, {"instance", instance}, {"severity", severity}};
  a.annotations = {{"summary", name + " on " + instance}};
  a.starts_at = start;
  return a;
}

Alert resolved(Alert a, Time end) {
  a.ends_at = end;
  return a;
}

}  // namespace

TEST_CASE("group_wait, group_interval and the five reasons to notify", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Down", "a", t0)}, t0);
  CHECK(e.tick(t0 + 29s).empty());  // group_wait
  auto n = e.tick(t0 + 30s);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "first notification");
  CHECK(n[0].group_key == "{}:{alertname=\"Down\"}");
  CHECK(n[0].sequence == 1);
  CHECK(n[0].firing_count() == 1);
  CHECK(n[0].common_labels == LabelSet{{"alertname", "Down"}, {"instance", "a"}, {"severity", "warning"}});

  e.put({firing("Down", "a", t0), firing("Down", "b", t0 + 60s)}, t0 + 60s);
  CHECK(e.tick(t0 + 60s).empty());  // waits for group_interval
  n = e.tick(t0 + 30s + 5min);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "new alerts added");
  CHECK(n[0].firing_count() == 2);
  CHECK(n[0].common_labels == LabelSet{{"alertname", "Down"}, {"severity", "warning"}});
  CHECK(n[0].sequence == 2);

  // Nothing changes: silence until repeat_interval (checked at group_interval ticks).
  Time t = t0 + 30s + 5min;
  for (int i = 1; i <= 11; ++i) {
    e.put({firing("Down", "a", t0), firing("Down", "b", t0 + 60s)}, t + i * 5min);
    CHECK(e.tick(t + i * 5min).empty());
  }
  t += 12 * 5min;
  e.put({firing("Down", "a", t0), firing("Down", "b", t0 + 60s)}, t);
  n = e.tick(t);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "repeat interval elapsed");

  t += 5min;
  e.put({firing("Down", "a", t0), resolved(firing("Down", "b", t0 + 60s), t - 1s)}, t);
  n = e.tick(t);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "some alerts resolved");
  REQUIRE(n[0].alerts.size() == 2);
  CHECK(n[0].alerts[0].firing);
  CHECK_FALSE(n[0].alerts[1].firing);  // resolved ones come last

  t += 5min;
  e.put({resolved(firing("Down", "a", t0), t - 1s)}, t);
  n = e.tick(t);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "all alerts resolved");
  CHECK_FALSE(n[0].firing());
  CHECK(e.groups().empty());  // resolved alerts left the group after the flush
}

TEST_CASE("an alert resolved before group_wait is never notified", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Blip", "a", t0)}, t0);
  e.put({resolved(firing("Blip", "a", t0), t0 + 10s)}, t0 + 10s);
  CHECK(e.tick(t0 + 30s).empty());
  CHECK(e.groups().empty());
}

TEST_CASE("an alert that started long ago is flushed at once", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Old", "a", t0 - 1h)}, t0);
  CHECK(e.tick(t0).size() == 1);
}

TEST_CASE("inhibition applies only while the source fires", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("HighLatency", "a", t0), firing("HighLatency", "b", t0), firing("Down", "a", t0, "critical")}, t0);
  auto views = e.alerts(t0);
  const auto view_of = [&](const std::string& name, const std::string& inst) {
    for (const auto& v : e.alerts(t0 + 1min))
      if (*v.alert.label("alertname") == name && *v.alert.label("instance") == inst) return v;
    FAIL("no alert " << name << " " << inst);
    return AlertView{};
  };
  CHECK(view_of("HighLatency", "a").state == "suppressed");
  CHECK(view_of("HighLatency", "a").inhibited_by.size() == 1);
  CHECK(view_of("HighLatency", "b").state == "active");  // another instance
  auto n = e.tick(t0 + 30s);
  REQUIRE(n.size() == 2);
  for (const auto& x : n)
    if (x.group_key.find("HighLatency") != std::string::npos) {
      REQUIRE(x.alerts.size() == 1);
      CHECK(*x.alerts[0].alert.label("instance") == "b");
    }
  // The source resolves: the target is notified at the next tick as a new alert.
  e.put({resolved(firing("Down", "a", t0, "critical"), t0 + 1min)}, t0 + 1min);
  CHECK(view_of("HighLatency", "a").state == "active");
  // Senders re-send firing alerts (within resolve_timeout), as Prometheus does.
  e.put({firing("HighLatency", "a", t0), firing("HighLatency", "b", t0)}, t0 + 5min);
  n = e.tick(t0 + 30s + 5min);
  bool latency_added = false;
  for (const auto& x : n)
    if (x.group_key.find("HighLatency") != std::string::npos) latency_added = x.reason == "new alerts added";
  CHECK(latency_added);
}

TEST_CASE("silences mute, with Alertmanager's validation and update rules", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  Silence s;
  s.matchers = parse_matchers("instance=\"a\"").value();
  s.ends_at = t0 + 2h;
  CHECK(e.put_silence(s, t0).message().find("created_by is required") != std::string::npos);
  s.created_by = "ana";
  CHECK(e.put_silence(s, t0).message().find("comment is required") != std::string::npos);
  s.comment = "disk swap";
  Silence everything = s;
  everything.matchers = parse_matchers("instance=~\".*\"").value();
  CHECK(e.put_silence(everything, t0).message().find("must not match the empty string") != std::string::npos);
  auto id = e.put_silence(s, t0);
  REQUIRE(id.ok());
  CHECK(e.silence(*id)->state(t0) == Silence::State::active);

  e.put({firing("Down", "a", t0), firing("Down", "b", t0)}, t0);
  CHECK(e.preview(s.matchers, t0).size() == 1);
  auto n = e.tick(t0 + 30s);
  REQUIRE(n.size() == 1);
  REQUIRE(n[0].alerts.size() == 1);
  CHECK(*n[0].alerts[0].alert.label("instance") == "b");

  // Extending the end in place keeps the id; changing the matchers makes a new silence.
  Silence longer = *e.silence(*id);
  longer.ends_at = t0 + 3h;
  CHECK(e.put_silence(longer, t0 + 1min).value() == *id);
  // The start as the API shows it (milliseconds) is the same start: still in place.
  Silence shown = *e.silence(*id);
  shown.starts_at = parse_rfc3339(rfc3339(shown.starts_at + 123us)).value();
  shown.ends_at = t0 + 4h;
  CHECK(e.put_silence(shown, t0 + 1min).value() == *id);
  Silence other = longer;
  other.matchers = parse_matchers("instance=\"c\"").value();
  auto new_id = e.put_silence(other, t0 + 2min);
  REQUIRE(new_id.ok());
  CHECK(*new_id != *id);
  CHECK(e.silence(*id)->state(t0 + 2min) == Silence::State::expired);
  CHECK(e.expire_silence(*new_id, t0 + 3min).ok());
  CHECK(e.expire_silence(*new_id, t0 + 4min).message().find("already expired") != std::string::npos);
}

TEST_CASE("a silenced alert's resolution is still sent if it was notified firing", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Down", "a", t0)}, t0);
  REQUIRE(e.tick(t0 + 30s).size() == 1);
  Silence s;
  s.matchers = parse_matchers("alertname=Down").value();
  s.created_by = "ana";
  s.comment = "known";
  s.ends_at = t0 + 1h;
  REQUIRE(e.put_silence(s, t0 + 1min).ok());
  e.put({resolved(firing("Down", "a", t0), t0 + 2min)}, t0 + 2min);
  auto n = e.tick(t0 + 30s + 5min);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "all alerts resolved");
  REQUIRE(n[0].alerts.size() == 1);
  CHECK(n[0].alerts[0].silenced_by.size() == 1);

  auto cfg = config_from(kBase);
  cfg.notify_resolved_when_silenced = false;
  AlertingEngine quiet(cfg, counter_ids());
  quiet.put({firing("Down", "a", t0)}, t0);
  REQUIRE(quiet.tick(t0 + 30s).size() == 1);
  REQUIRE(quiet.put_silence(s, t0 + 1min).ok());
  quiet.put({resolved(firing("Down", "a", t0), t0 + 2min)}, t0 + 2min);
  CHECK(quiet.tick(t0 + 30s + 5min).empty());  // Alertmanager's behaviour
}

TEST_CASE("recurring silences mute only inside their schedule", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  Silence s;
  s.matchers = parse_matchers("alertname=Backup").value();
  s.created_by = "ops";
  s.comment = "nightly backup window";
  s.ends_at = t0 + 24h * 30;
  TimeIntervalText window;
  window.times = {{"02:00", "04:00"}};
  s.schedule.push_back(parse_time_interval(window).value());
  REQUIRE(e.put_silence(s, t0).ok());
  e.put({firing("Backup", "a", t0 + 3h)}, t0 + 3h);
  CHECK(e.alerts(t0 + 3h)[0].state == "suppressed");
  CHECK(e.alerts(t0 + 5h)[0].state == "active");
}

TEST_CASE("acknowledgements stop repeats until the alert resolves, the ack expires or a new alert comes",
          "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Down", "a", t0)}, t0);
  REQUIRE(e.tick(t0 + 30s).size() == 1);
  CHECK(e.ack_alert(fingerprint({{"alertname", "X"}}), "ana", "", {}, t0).message().find("no firing alert") !=
        std::string::npos);
  auto ack = e.ack_alert(firing("Down", "a", t0).fp(), "ana", "looking", t0 + 3h, t0 + 1min);
  REQUIRE(ack.ok());
  CHECK(e.alerts(t0 + 1min)[0].ack->author == "ana");
  // The repeat after 1h does not come while acked.
  for (int i = 1; i <= 20; ++i) {
    e.put({firing("Down", "a", t0)}, t0 + 30s + i * 5min);
    CHECK(e.tick(t0 + 30s + i * 5min).empty());
  }
  // A new alert in the group is notified (and carries the ack of the first).
  Time t = t0 + 30s + 21 * 5min;
  e.put({firing("Down", "a", t0), firing("Down", "b", t)}, t);
  auto n = e.tick(t);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "new alerts added");
  CHECK(n[0].alerts[0].ack.has_value());
  CHECK_FALSE(n[0].alerts[1].ack.has_value());
  // Resolving clears the ack for that alert.
  t += 5min;
  e.put({resolved(firing("Down", "a", t0), t), firing("Down", "b", t - 5min)}, t);
  e.tick(t);
  CHECK(e.acks().empty());

  // A group ack, which expires.
  auto g = e.groups();
  REQUIRE(g.size() == 1);
  auto gack = e.ack_group(g[0].group_key, "bo", "on it", t + 10min, t);
  REQUIRE(gack.ok());
  CHECK(gack->fingerprints.size() == 1);
  CHECK(e.remove_ack(firing("Down", "b", t).fp(), t + 1min).ok());
  CHECK(e.acks().empty());
}

TEST_CASE("a route muted by a time interval sends nothing", "[alerting]") {
  AlertingEngine e(config_from(std::string(kBase) + R"(
[[alerting.route.routes]]
matchers = ['severity="info"']
receiver = "team"
mute_time_intervals = ["nights"]
[[alerting.time_intervals]]
name = "nights"
[[alerting.time_intervals.time_intervals]]
times = [{ start_time = "00:00", end_time = "06:00" }]
)"),
                   counter_ids());
  e.put({firing("Info", "a", t0, "info")}, t0);
  CHECK(e.tick(t0 + 30s).empty());  // 00:00:30 is inside "nights"
  const Time day = t0 + 7h;
  e.put({firing("Info", "b", day, "info")}, day);
  auto n = e.tick(day + 4min);
  REQUIRE(n.size() == 1);
  CHECK(n[0].reason == "first notification");
}

TEST_CASE("idempotency keys name the group, receiver, alert set and sequence", "[alerting]") {
  AlertingEngine a(config_from(kBase), counter_ids());
  AlertingEngine b(config_from(kBase), counter_ids());
  for (auto* e : {&a, &b}) e->put({firing("Down", "a", t0)}, t0);
  auto na = a.tick(t0 + 30s);
  auto nb = b.tick(t0 + 30s);
  REQUIRE(na.size() == 1);
  REQUIRE(nb.size() == 1);
  CHECK(na[0].idempotency_key == nb[0].idempotency_key);  // same input, same key
  CHECK(na[0].idempotency_key.size() == 18);
  CHECK(na[0].idempotency_key.substr(16) == "-1");
  CHECK(a.put({Alert{}}, t0).size() == 1);  // no labels: refused
}

#include "alerting/state_json.h"

TEST_CASE("engine state survives a restart through its JSON forms", "[alerting]") {
  AlertingEngine e(config_from(kBase), counter_ids());
  e.put({firing("Down", "a", t0), firing("Down", "b", t0)}, t0);
  REQUIRE(e.tick(t0 + 30s).size() == 1);
  Silence s;
  s.matchers = parse_matchers("instance=~\"b|c\"").value();
  s.created_by = "ana";
  s.comment = "maintenance";
  s.ends_at = t0 + 2h;
  TimeIntervalText window;
  window.weekdays = {"monday"};
  s.schedule_text = window;
  s.schedule.push_back(parse_time_interval(window).value());
  REQUIRE(e.put_silence(s, t0).ok());
  REQUIRE(e.ack_alert(firing("Down", "a", t0).fp(), "bo", "mine", {}, t0 + 1min).ok());

  // Through JSON, as AlertDb stores it.
  const auto st = e.state();
  EngineState back;
  for (const auto& a : st.alerts) back.alerts.push_back(alert_from_json(alert_to_json(a)).value());
  for (const auto& x : st.silences) back.silences.push_back(silence_from_json(silence_to_json(x)).value());
  for (const auto& x : st.acks) back.acks.push_back(ack_from_json(ack_to_json(x)).value());
  for (const auto& [k, v] : st.nflog) back.nflog[k] = log_entry_from_json(log_entry_to_json(v)).value();
  REQUIRE(back.alerts.size() == 2);
  CHECK(back.alerts[0].ends_at == st.alerts[0].ends_at);
  CHECK(back.silences[0].matchers.size() == 1);

  AlertingEngine after(config_from(kBase), counter_ids());
  after.restore(back, t0 + 2min);
  const auto views = after.alerts(t0 + 2min);
  REQUIRE(views.size() == 2);
  CHECK(views[0].ack.has_value() != views[1].ack.has_value());
  CHECK((views[0].state == "suppressed") != (views[1].state == "suppressed"));  // b is silenced on Mondays
  // The notification log came back: no second "first notification".
  after.put({firing("Down", "a", t0), firing("Down", "b", t0)}, t0 + 2min);
  CHECK(after.tick(t0 + 2min).empty());
  CHECK(silence_from_json("{").message().find("stored silence is not valid") == 0);
}
