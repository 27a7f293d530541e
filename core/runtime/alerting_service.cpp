#include "runtime/alerting_service.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <nlohmann/json.hpp>

#include "alerting/notification_json.h"
#include "alerting/state_json.h"
#include "log/log.h"
#include "log/rate_limiter.h"
#include "plugin_host/notifier_instance.h"

namespace vigil::runtime {

using SysClock = alerting::Clock;
using alerting::Time;

namespace {

const std::vector<double> kLatencyBounds = {0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800};
constexpr size_t kRecentLatencies = 1000;

std::string key2(const std::string& a, const std::string& b) {
  return a + "\n" + b;
}

metrics::Sample sample(const char* name, double v, metrics::LabelSet labels, const char* help,
                       metrics::SampleType type = metrics::SampleType::gauge) {
  return metrics::make_sample(type, name, v, std::move(labels), help);
}

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct AlertingService::Worker {
  std::unique_ptr<plugin_host::Notifier> notifier;
  std::string alias, channel;
  std::optional<TokenBucket> bucket;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  bool done = false;  // guarded by mu: deliver_loop returned
  // The latest value of each series the notifier plugin emitted (publish() only).
  std::map<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>, metrics::Sample> emitted;

  void wake() {
    {
      std::lock_guard l(mu);
      woken = true;
    }
    cv.notify_all();
  }
  // Sleeps until `until`, a wake-up, or stop; true when woken or stopping.
  bool sleep_until(std::chrono::steady_clock::time_point until, const std::atomic<bool>& stopping) {
    std::unique_lock l(mu);
    cv.wait_until(l, until, [&] { return woken || stopping.load(); });
    const bool w = woken;
    woken = false;
    return w || stopping.load();
  }
};

AlertingService::AlertingService(AlertingOptions options, std::unique_ptr<alerting::AlertDb> db,
                                 metrics::SampleStore& samples)
    : options_(std::move(options)),
      db_(std::move(db)),
      samples_(samples),
      engine_(options_.config,
              [this] {
                static const char* hex = "0123456789abcdef";
                std::lock_guard l(id_mu_);
                std::string id;
                for (int i = 0; i < 32; ++i) {
                  if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
                  id += hex[rng_() & 15];
                }
                return id;
              }),
      latency_buckets_(kLatencyBounds.size(), 0) {}

Result<std::unique_ptr<AlertingService>> AlertingService::create(
    AlertingOptions options, std::vector<std::unique_ptr<plugin_host::Notifier>> notifiers,
    metrics::SampleStore& samples) {
  auto db = alerting::AlertDb::open(options.db_path);
  std::string not_durable;
  if (!db.ok()) {
    // Alerting still works, in memory, and readiness says why nothing is kept.
    not_durable = db.message() + "; alerts, silences and pending notifications are kept in memory only";
    log::error("alerting", "the alerting database can not be opened", {{"error", not_durable}});
    db = alerting::AlertDb::open(":memory:");
    if (!db.ok()) return db.status();
  }
  std::unique_ptr<AlertingService> svc(new AlertingService(std::move(options), std::move(db.value()), samples));
  svc->not_durable_ = not_durable;
  auto& o = svc->options_;
  if (auto st = svc->reconfigure(o.config); !st.ok()) return st;
  for (auto& n : notifiers) {
    auto w = std::make_unique<Worker>();
    w->alias = n->alias();
    w->channel = n->settings().plugin;
    if (auto it = o.rate_limits.find(w->alias); it != o.rate_limits.end()) {
      auto rate = parse_rate(it->second);
      if (!rate.ok()) return Status::error("notifier \"" + w->alias + "\": " + rate.message());
      w->bucket.emplace(rate->first, rate->second);
    }
    w->notifier = std::move(n);
    svc->workers_.push_back(std::move(w));
  }
  // Restore what the last run saved.
  alerting::EngineState st;
  Problems bad;
  for (const auto& [id, json] : svc->db_->load("alert")) {
    if (auto a = alerting::alert_from_json(json); a.ok()) {
      svc->saved_[a->fp()] = SavedMark{SysClock::now(), a->resolved(SysClock::now())};
      st.alerts.push_back(std::move(a.value()));
    } else {
      bad.push_back(a.message());
    }
  }
  for (const auto& [id, json] : svc->db_->load("silence")) {
    if (auto s = alerting::silence_from_json(json); s.ok())
      st.silences.push_back(std::move(s.value()));
    else
      bad.push_back(s.message());
  }
  for (const auto& [id, json] : svc->db_->load("ack")) {
    if (auto a = alerting::ack_from_json(json); a.ok())
      st.acks.push_back(std::move(a.value()));
    else
      bad.push_back(a.message());
  }
  for (const auto& [id, json] : svc->db_->load("nflog")) {
    if (auto e = alerting::log_entry_from_json(json); e.ok())
      st.nflog[id] = std::move(e.value());
    else
      bad.push_back(e.message());
  }
  for (const auto& p : bad) log::warn("alerting", "saved state skipped", {{"problem", p}});
  const size_t restored = st.alerts.size();
  const Time now = SysClock::now();
  for (const auto& a : st.alerts) svc->marks_[a.fp()].state = a.resolved(now) ? "resolved" : "firing";
  svc->engine_.restore(std::move(st), now);
  const auto ob = svc->db_->outbox_stats();
  log::info(
      "alerting", "alerting state restored",
      {{"db", svc->db_->path()}, {"alerts", restored}, {"pending_deliveries", ob.pending}, {"dead_letters", ob.dead}});
  return svc;
}

AlertingService::~AlertingService() {
  stopping_ = true;
  for (auto& w : workers_) {
    w->wake();
    if (w->thread.joinable()) w->thread.join();
  }
}

Status AlertingService::start(Scheduler& scheduler) {
  for (auto& w : workers_) {
    if (auto st = w->notifier->start(); !st.ok()) return st;
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->thread = std::thread([this, wp] {
      deliver_loop(*wp);
      std::lock_guard l(wp->mu);
      wp->done = true;
      wp->cv.notify_all();
    });
  }
  Job job;
  job.id = "alerting/tick";
  job.spec.interval = std::chrono::milliseconds(200);
  job.spec.timeout = std::chrono::seconds(30);
  job.spec.max_backoff = std::chrono::seconds(1);
  job.run = [this](runtime::Clock::time_point) {
    tick();
    return true;
  };
  job.on_overrun = [limiter = std::make_shared<log::RateLimiter>(std::chrono::minutes(1))] {
    if (auto suppressed = limiter->admit("overrun"))
      log::warn("alerting", "an alerting tick took longer than its 200 ms interval",
                {{"suppressed", static_cast<int64_t>(*suppressed)}});
  };
  scheduler.add(std::move(job));
  return {};
}

bool AlertingService::stop(Scheduler& scheduler, std::chrono::steady_clock::time_point deadline) {
  scheduler.remove("alerting/tick");
  stopping_ = true;
  for (auto& w : workers_) {
    w->notifier->request_stop();
    w->wake();
  }
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    std::unique_lock l(w->mu);
    if (!w->cv.wait_until(l, deadline, [&] { return w->done; })) {
      log::warn("alerting", "a notifier is still delivering after the shutdown deadline",
                {{"notifier", w->alias}, {"channel", w->channel}});
      return false;
    }
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
    w->notifier->stop();
  }
  std::lock_guard state(state_mu_);
  save_state(SysClock::now());
  return true;
}

alerting::HistoryEvent AlertingService::event(const std::string& kind, const alerting::Alert& a, Time at) const {
  alerting::HistoryEvent e;
  e.at = at;
  e.kind = kind;
  e.fingerprint = alerting::fingerprint_hex(a.fp());
  if (const auto* n = a.label("alertname")) e.alertname = *n;
  if (const auto* s = a.label("severity")) e.severity = *s;
  e.labels = a.labels;
  nlohmann::json d = nlohmann::json::object();
  if (a.value) d["value"] = *a.value;
  if (!a.annotations.empty()) {
    for (const auto& [k, v] : a.annotations)
      if (k == "summary") d["summary"] = v;
  }
  e.detail = d.dump();
  return e;
}

void AlertingService::record(std::vector<alerting::HistoryEvent> events) {
  if (auto st = db_->record(events); !st.ok())
    log::error("alerting", "history not written", {{"error", st.message()}, {"events", events.size()}});
}

std::shared_ptr<const alerting::AlertingConfig> AlertingService::config() const {
  std::lock_guard l(config_mu_);
  return config_;
}

Status AlertingService::reconfigure(alerting::AlertingConfig cfg) {
  std::map<std::string, Templates> templates;
  for (const auto& r : cfg.receivers) {
    auto title = alerting::MessageTemplate::compile(r.title_template.empty() ? alerting::kDefaultTitleTemplate
                                                                             : r.title_template);
    auto body =
        alerting::MessageTemplate::compile(r.body_template.empty() ? alerting::kDefaultBodyTemplate : r.body_template);
    if (!title.ok() || !body.ok())
      return Status::error(r.where + ": receiver \"" + r.name + "\": " + (title.ok() ? body : title).message());
    templates[r.name] = {title.value(), body.value()};
  }
  engine_.apply_config(cfg, SysClock::now());
  auto shared = std::make_shared<const alerting::AlertingConfig>(std::move(cfg));
  {
    std::lock_guard l(config_mu_);
    config_ = shared;
    templates_ = std::move(templates);
  }
  std::lock_guard l(mu_);
  for (const auto& r : shared->receivers) {
    auto& rs = receiver_status_[r.name];
    rs.name = r.name;
    rs.notifiers = r.notifiers;
  }
  for (auto it = receiver_status_.begin(); it != receiver_status_.end();) {
    if (!shared->receiver(it->first))
      it = receiver_status_.erase(it);
    else
      ++it;
  }
  return {};
}

std::optional<AlertingService::Templates> AlertingService::templates_for(const std::string& receiver) const {
  std::lock_guard l(config_mu_);
  auto it = templates_.find(receiver);
  return it == templates_.end() ? std::nullopt : std::optional<Templates>(it->second);
}

void AlertingService::on_rule_alerts(const std::string&, std::chrono::milliseconds interval,
                                     const std::vector<rules::Alert>& alerts, int64_t now_ms) {
  const Time now = alerting::from_ms(now_ms);
  const auto valid_for = 4 * std::max<std::chrono::milliseconds>(interval, std::chrono::minutes(1));
  const auto cfg = config();
  std::vector<alerting::Alert> out;
  std::vector<alerting::HistoryEvent> events;
  for (const auto& r : alerts) {
    alerting::Alert a;
    a.labels = r.labels;
    a.annotations = r.annotations;
    a.value = r.value;
    a.starts_at = alerting::from_ms(r.fired_at_ms ? r.fired_at_ms : r.active_at_ms);
    a.generator_url = cfg->external_url.empty() ? "" : cfg->external_url + "/api/v1/rules";
    if (r.state == rules::AlertState::pending) {
      std::lock_guard l(mu_);
      auto& m = marks_[a.fp()];
      if (m.state != "pending" && m.state != "firing") {
        m.state = "pending";
        alerting::Alert p = a;
        p.starts_at = alerting::from_ms(r.active_at_ms);
        events.push_back(event("pending", p, now));
      }
      continue;
    }
    a.ends_at = r.state == rules::AlertState::inactive ? alerting::from_ms(r.resolved_at_ms) : now + valid_for;
    out.push_back(std::move(a));
  }
  if (!events.empty()) record(std::move(events));
  for (const auto& p : engine_.put(std::move(out), now)) log::warn("alerting", "rule alert refused", {{"problem", p}});
}

AlertingService::PostOutcome AlertingService::post_alerts(std::vector<alerting::Alert> alerts) {
  const auto cfg = config();
  PostOutcome out;
  std::map<std::string, uint64_t> refused;  // by reason
  const auto refuse = [&](const std::string& reason, uint64_t n, std::string problem) {
    refused[reason] += n;
    out.problems.push_back(std::move(problem));
  };
  const auto limit = [](const char* key, size_t value) {
    return " (the limit is " + std::to_string(value) + ", [alerting] " + key + ")";
  };
  if (alerts.size() > cfg->alerts_per_request_limit) {
    refuse("alerts_per_request", alerts.size(),
           std::to_string(alerts.size()) + " alerts in one request" +
               limit("alerts_per_request_limit", cfg->alerts_per_request_limit) + "; send them in smaller batches");
  } else {
    for (size_t i = 0; i < alerts.size(); ++i) {
      const auto& a = alerts[i];
      const std::string which = "alert " + std::to_string(i) + ": ";
      size_t annotation_bytes = 0;
      for (const auto& [k, v] : a.annotations) annotation_bytes += k.size() + v.size();
      if (a.labels.size() > cfg->label_limit) {
        refuse("label_limit", 1,
               which + std::to_string(a.labels.size()) + " labels" + limit("label_limit", cfg->label_limit));
      } else if (annotation_bytes > cfg->annotations_size_limit) {
        refuse("annotations_size", 1,
               which + std::to_string(annotation_bytes) + " bytes of annotations" +
                   limit("annotations_size_limit", cfg->annotations_size_limit));
      } else {
        for (const auto& [k, v] : a.labels) {
          if (k.size() > cfg->label_name_length_limit) {
            refuse("label_name_length", 1,
                   which + "a label name of " + std::to_string(k.size()) + " bytes" +
                       limit("label_name_length_limit", cfg->label_name_length_limit));
            break;
          }
          if (v.size() > cfg->label_value_length_limit) {
            refuse("label_value_length", 1,
                   which + "label \"" + k.substr(0, 64) + "\" has a value of " + std::to_string(v.size()) + " bytes" +
                       limit("label_value_length_limit", cfg->label_value_length_limit));
            break;
          }
        }
      }
    }
  }
  std::unique_lock admit(admit_mu_);
  if (out.problems.empty()) {
    // Only new alerts are refused: updates and resolutions of held ones always get through,
    // even when rules' alerts (never refused) or a lowered limit put vigil over it.
    if (const auto h = engine_.holding(alerts); h.fresh > 0 && h.held + h.fresh > cfg->alert_limit) {
      out.over_alert_limit = true;
      refuse("alert_limit", alerts.size(),
             "vigil would hold " + std::to_string(h.held + h.fresh) + " alerts" +
                 limit("alert_limit", cfg->alert_limit) +
                 "; the request is refused until alerts resolve (or raise the limit); updates of held alerts are "
                 "always taken");
    }
  }
  if (!refused.empty()) {
    std::lock_guard l(mu_);
    for (const auto& [reason, n] : refused) rejected_[reason] += n;
    return out;
  }
  out.problems = engine_.put(std::move(alerts), SysClock::now());
  return out;
}

void AlertingService::enqueue(const std::vector<alerting::Notification>& notes, Time now) {
  if (notes.empty()) return;
  std::vector<alerting::OutboxItem> items;
  const auto cfg = config();
  for (const auto& n : notes) {
    const auto* rc = cfg->receiver(n.receiver);
    if (!rc) continue;
    const std::string json = alerting::notification_to_json(n);
    for (const auto& alias : rc->notifiers) {
      alerting::OutboxItem it;
      it.receiver = n.receiver;
      it.notifier = alias;
      it.group_key = n.group_key;
      it.idempotency_key = n.idempotency_key;
      it.notification = json;
      it.created_at = now;
      it.next_attempt_at = now;
      items.push_back(std::move(it));
    }
  }
  if (auto st = db_->enqueue(items); !st.ok()) {
    // Kept in memory and offered again at the next tick, so a full disk delays, never drops.
    log::error("alerting", "notifications not queued: the outbox can not be written; will retry",
               {{"error", st.message()}, {"notifications", notes.size()}});
    std::lock_guard l(mu_);
    db_error_ = st.message();
    last_write_failure_ = {std::chrono::steady_clock::now(), db_error_};
    unqueued_.insert(unqueued_.end(), notes.begin(), notes.end());
    return;
  }
  for (const auto& n : notes) {
    if (auto e = engine_.log_entry(n.group_key, n.receiver))
      (void)db_->save("nflog", key2(n.group_key, n.receiver), alerting::log_entry_to_json(*e));
  }
  std::set<std::string> wake;
  for (const auto& it : items) wake.insert(it.notifier);
  for (auto& w : workers_)
    if (wake.count(w->alias)) w->wake();
}

void AlertingService::tick() {
  const Time now = SysClock::now();
  std::vector<alerting::Notification> notes;
  {
    std::lock_guard l(mu_);
    notes.swap(unqueued_);
  }
  for (auto& n : engine_.tick(now)) notes.push_back(std::move(n));
  enqueue(notes, now);
  // Groups flush within 200 ms of their time; the bookkeeping over every alert runs once a second.
  if (now - last_bookkeeping_ < std::chrono::seconds(1)) return;
  last_bookkeeping_ = now;
  std::vector<alerting::AlertView> views;
  {
    std::lock_guard state(state_mu_);
    check_database_file();
    views = engine_.alerts(now);
    observe_states(now, views);
    save_state(now);
  }
  publish_metrics(now, views);
  if (now - last_prune_ > std::chrono::minutes(10)) {
    last_prune_ = now;
    if (auto st = db_->prune_history(now, options_.history_retention, options_.history_max_events); !st.ok())
      log::warn("alerting", "history not pruned", {{"error", st.message()}});
    (void)db_->prune_outbox(now, std::chrono::hours(24));
  }
}

void AlertingService::observe_states(Time now) {
  observe_states(now, engine_.alerts(now));
}

void AlertingService::observe_states(Time now, const std::vector<alerting::AlertView>& views) {
  // History of state changes, from the engine's view of every alert.
  std::vector<alerting::HistoryEvent> events;
  {
    std::lock_guard l(mu_);
    std::set<uint64_t> seen;
    for (const auto& v : views) {
      seen.insert(v.fp);
      auto& m = marks_[v.fp];
      const std::string state = v.alert.resolved(now) ? "resolved" : "firing";
      if (m.state != state && !(m.state.empty() && state == "resolved")) events.push_back(event(state, v.alert, now));
      m.state = state;
      auto change = [&](bool now_on, bool& was, const char* on, const char* off, const std::vector<std::string>& by) {
        if (now_on == was) return;
        auto e = event(now_on ? on : off, v.alert, now);
        if (!by.empty()) e.detail = nlohmann::json{{"by", by}}.dump();
        events.push_back(std::move(e));
        was = now_on;
      };
      change(!v.silenced_by.empty(), m.silenced, "silenced", "unsilenced", v.silenced_by);
      change(!v.inhibited_by.empty(), m.inhibited, "inhibited", "uninhibited", v.inhibited_by);
      change(v.ack.has_value(), m.acked, "acknowledged", "unacknowledged", {});
    }
    for (auto it = marks_.begin(); it != marks_.end();) {
      if (!seen.count(it->first) && it->second.state != "pending")
        it = marks_.erase(it);
      else
        ++it;
    }
  }
  record(std::move(events));
}

void AlertingService::check_database_file() {
  auto checked = db_->check_file();
  std::string problem = checked.ok() ? "" : checked.message();
  if (checked.ok() && *checked == alerting::AlertDb::FileCheck::restored)
    log::warn("alerting", "the alerting database was deleted while open; restored with everything it held",
              {{"path", db_->path()}});
  std::lock_guard l(mu_);
  if (!problem.empty() && problem != file_error_) log::error("alerting", "alerting database", {{"problem", problem}});
  file_error_ = problem;
}

void AlertingService::save_state(Time now) {
  const auto st = engine_.state();
  std::string error;
  auto note = [&](const Status& s) {
    if (!s.ok() && error.empty()) error = s.message();
  };
  // A write every 10 s even when nothing changed, so a full disk shows while it lasts.
  if (now - last_heartbeat_ >= std::chrono::seconds(10)) {
    last_heartbeat_ = now;
    note(db_->save("meta", "heartbeat", std::to_string(alerting::to_ms(now))));
  }
  // Alerts: new ones, ones that resolved or fired again, and the rest once a minute (their
  // end moves forward with every report); all in one transaction. What was saved is marked only
  // once the write succeeded, so a failed write (a full disk) is tried again at the next pass.
  std::vector<std::pair<std::string, std::string>> docs;
  std::map<uint64_t, SavedMark> marks;
  std::vector<uint64_t> gone;
  std::set<uint64_t> present;
  for (const auto& a : st.alerts) {
    present.insert(a.fp());
    auto it = saved_.find(a.fp());
    const bool resolved = a.resolved(now);
    if (it != saved_.end() && it->second.resolved == resolved && now - it->second.at < std::chrono::minutes(1))
      continue;
    docs.emplace_back(alerting::fingerprint_hex(a.fp()), alerting::alert_to_json(a));
    marks[a.fp()] = SavedMark{now, resolved};
  }
  for (const auto& [fp, mark] : saved_) {
    if (present.count(fp)) continue;
    docs.emplace_back(alerting::fingerprint_hex(fp), "");
    gone.push_back(fp);
  }
  if (auto s = db_->save_batch("alert", docs); s.ok()) {
    for (auto& [fp, mark] : marks) saved_[fp] = mark;
    for (uint64_t fp : gone) saved_.erase(fp);
  } else {
    note(s);
  }
  std::set<std::string> silences;
  for (const auto& s : st.silences) {
    silences.insert(s.id);
    if (auto it = saved_silences_.find(s.id); it != saved_silences_.end() && it->second == s.updated_at) continue;
    if (auto w = db_->save("silence", s.id, alerting::silence_to_json(s)); w.ok())
      saved_silences_[s.id] = s.updated_at;
    else
      note(w);
  }
  for (auto it = saved_silences_.begin(); it != saved_silences_.end();) {
    auto w = silences.count(it->first) ? Status{} : db_->erase("silence", it->first);
    note(w);
    it = silences.count(it->first) || !w.ok() ? std::next(it) : saved_silences_.erase(it);
  }
  std::set<std::string> acks;
  for (const auto& a : st.acks) {
    if (auto w = db_->save("ack", a.id, alerting::ack_to_json(a)); w.ok())
      acks.insert(a.id);
    else
      note(w);
  }
  for (const auto& id : saved_acks_) {
    if (acks.count(id)) continue;
    bool current = false;
    for (const auto& a : st.acks) current = current || a.id == id;
    // Kept as saved while it is current (its save failed now) or could not be erased.
    if (current) {
      acks.insert(id);
    } else if (auto w = db_->erase("ack", id); !w.ok()) {
      note(w);
      acks.insert(id);
    }
  }
  saved_acks_ = acks;
  std::lock_guard l(mu_);
  if (!error.empty() && error != db_error_) log::error("alerting", "alerting state not saved", {{"error", error}});
  if (error.empty() && !unqueued_.empty()) error = db_error_;  // the outbox still refuses
  db_error_ = error;
  if (!error.empty()) last_write_failure_ = {std::chrono::steady_clock::now(), error};
}

void AlertingService::deliver_loop(Worker& w) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  while (!stopping_) {
    auto items = db_->due(SysClock::now(), 16, w.alias);
    if (items.empty()) {
      auto next = db_->next_due(w.alias);
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (next) {
        const auto in = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*next - SysClock::now());
        until =
            std::min(until, std::chrono::steady_clock::now() + std::max(in, std::chrono::steady_clock::duration(0)));
      }
      w.sleep_until(until, stopping_);
      continue;
    }
    for (const auto& item : items) {
      if (stopping_) break;
      if (w.bucket) {
        for (;;) {
          auto wait = w.bucket->take(alerting::to_ms(SysClock::now()));
          if (!wait) break;
          w.sleep_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait), stopping_);
          if (stopping_) return;
        }
      }
      auto parsed = alerting::notification_from_json(item.notification);
      const Time t0 = SysClock::now();
      if (!parsed.ok()) {
        (void)db_->mark_dead(item.id, item.attempts, parsed.message(), t0);
        continue;
      }
      plugin_host::RenderedNotification r;
      r.notification = std::move(parsed.value());
      if (const auto tmpl = templates_for(item.receiver))
        std::tie(r.title, r.body) = alerting::render_message(*tmpl->first, *tmpl->second, r.notification);
      const auto cfg = config();
      const auto* rc = cfg->receiver(item.receiver);
      const size_t max_alerts = rc ? rc->max_alerts : 0;
      r.json_body = alerting::webhook_v4_body(r.notification, max_alerts);
      const ReplicaLog::Key replica_key{item.receiver, w.alias, item.group_key, item.idempotency_key};
      if (options_.replicas && !claim_delivery(item, replica_key, r.notification, w)) continue;
      const auto result =
          w.notifier
              ->deliver(
                  {&r},
                  mono_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(options_.delivery_timeout).count())
              .at(0);
      const Time now = SysClock::now();
      const int64_t attempts = item.attempts + 1;
      alerting::HistoryEvent e;
      e.at = now;
      e.kind = "notification";
      e.receiver = item.receiver;
      e.group_key = item.group_key;
      e.labels = r.notification.group_labels;
      for (const auto& [k, v] : r.notification.common_labels) {
        if (k == "alertname") e.alertname = v;
        if (k == "severity") e.severity = v;
      }
      nlohmann::json detail{{"notifier", w.alias},
                            {"channel", w.channel},
                            {"attempt", attempts},
                            {"reason", r.notification.reason},
                            {"idempotencyKey", item.idempotency_key},
                            {"alerts", r.notification.alerts.size()},
                            {"firing", r.notification.firing_count()},
                            {"seconds", std::chrono::duration<double>(now - t0).count()}};
      const std::string k = key2(item.receiver, w.alias);
      std::string outcome;
      if (result.kind == plugin_host::DeliveryResult::Kind::delivered) {
        outcome = "delivered";
        (void)db_->mark_delivered(item.id, now);
        if (options_.replicas) options_.replicas->sent(replica_key, r.notification.repeat_interval);
        // Delivery latency: from the alert's change (fired, or resolved) to delivery.
        Time since{};
        for (const auto& na : r.notification.alerts) {
          const Time t = na.firing ? na.alert.starts_at : na.alert.ends_at;
          if (t != Time{} && (since == Time{} || t > since)) since = t;
        }
        std::lock_guard l(mu_);
        ++sent_[k];
        auto& rs = receiver_status_[item.receiver];
        rs.last_success = now;
        if (since != Time{}) {
          const double secs = std::max(0.0, std::chrono::duration<double>(now - since).count());
          latencies_.push_back(secs);
          if (latencies_.size() > kRecentLatencies) latencies_.erase(latencies_.begin());
          for (size_t i = 0; i < kLatencyBounds.size(); ++i)
            if (secs <= kLatencyBounds[i]) ++latency_buckets_[i];
          latency_sum_ += secs;
          ++latency_count_;
        }
      } else {
        if (options_.replicas) options_.replicas->release(replica_key);
        const bool too_old = now - item.created_at >= options_.retry.max_age;
        const bool dead = result.kind == plugin_host::DeliveryResult::Kind::failed || too_old;
        outcome = dead ? "dead" : "retry";
        detail["error"] = result.error;
        if (dead) {
          (void)db_->mark_dead(item.id, attempts, result.error + (too_old ? " (gave up: retry_max_age reached)" : ""),
                               now);
        } else {
          const auto delay = retry_delay(
              options_.retry, attempts,
              [&] {
                std::lock_guard l(id_mu_);
                return unit(rng_);
              }(),
              result.retry_after);
          (void)db_->mark_retry(item.id, attempts, now + delay, result.error, now);
          detail["nextAttemptAt"] = alerting::rfc3339(now + delay);
        }
        log::warn("alerting", dead ? "notification given up" : "notification failed; will retry",
                  {{"receiver", item.receiver}, {"notifier", w.alias}, {"attempt", attempts}, {"error", result.error}});
        std::lock_guard l(mu_);
        ++failed_[key2(k, result.kind == plugin_host::DeliveryResult::Kind::failed ? "permanent" : "retryable")];
        if (dead) ++dead_[k];
        if (!dead) ++retried_[k];
        auto& rs = receiver_status_[item.receiver];
        rs.last_failure = now;
        rs.last_error = result.error;
      }
      detail["outcome"] = outcome;
      e.detail = detail.dump();
      record({std::move(e)});
    }
  }
}

// With replicas: true when this one should deliver the item now. Otherwise the item is settled
// (a peer sent it: delivered here too, recorded as such) or put off (a peer is delivering it).
bool AlertingService::claim_delivery(const alerting::OutboxItem& item, const ReplicaLog::Key& key,
                                     const alerting::Notification& n, Worker& w) {
  const auto claim = options_.replicas->claim(key);
  const Time now = SysClock::now();
  if (claim.verdict == ReplicaLog::Verdict::unavailable) {
    std::lock_guard l(mu_);
    if (replica_error_.empty())
      log::warn("alerting",
                "the store shared with other replicas is unreachable; sending without deduplication until it is back",
                {{"error", claim.error}});
    replica_error_ = claim.error;
    return true;
  }
  {
    std::lock_guard l(mu_);
    if (!replica_error_.empty()) log::info("alerting", "the store shared with other replicas is reachable again");
    replica_error_.clear();
  }
  if (claim.verdict == ReplicaLog::Verdict::send) return true;
  if (claim.verdict == ReplicaLog::Verdict::held_by_peer) {
    // Not an attempt of ours: ask again shortly; the lease lapses if the peer dies.
    (void)db_->mark_retry(item.id, item.attempts, now + std::chrono::seconds(1),
                          "being delivered by replica " + claim.peer, now);
    return false;
  }
  (void)db_->mark_delivered(item.id, now);
  alerting::HistoryEvent e;
  e.at = now;
  e.kind = "notification";
  e.receiver = item.receiver;
  e.group_key = item.group_key;
  e.labels = n.group_labels;
  for (const auto& [k, v] : n.common_labels) {
    if (k == "alertname") e.alertname = v;
    if (k == "severity") e.severity = v;
  }
  e.detail = nlohmann::json{{"notifier", w.alias},       {"channel", w.channel},
                            {"reason", n.reason},        {"idempotencyKey", item.idempotency_key},
                            {"outcome", "sent by peer"}, {"peer", claim.peer}}
                 .dump();
  log::info("alerting", "notification sent by another replica",
            {{"receiver", item.receiver}, {"notifier", w.alias}, {"peer", claim.peer}});
  {
    std::lock_guard l(mu_);
    ++sent_by_peer_[key2(item.receiver, w.alias)];
  }
  record({std::move(e)});
  return false;
}

void AlertingService::publish_metrics(Time now, const std::vector<alerting::AlertView>& views) {
  const auto ob = db_->outbox_stats();
  std::vector<metrics::Sample> out;
  double active = 0, suppressed = 0;
  for (const auto& v : views) {
    if (v.alert.resolved(now)) continue;
    (v.state == "active" ? active : suppressed) += 1;
  }
  out.push_back(sample("vigil_alerts", active, {{"state", "active"}}, "Alerts held by vigil's alerting, by state."));
  out.push_back(
      sample("vigil_alerts", suppressed, {{"state", "suppressed"}}, "Alerts held by vigil's alerting, by state."));
  // A broad silence matches most of the current alerts (more than half, of two or more): the
  // "matches most current alerts" the silence preview warns of. (One matching every alert is
  // refused when it is made.)
  double silences = 0, broad = 0;
  for (const auto& s : engine_.silences()) {
    if (s.state(now) != alerting::Silence::State::active) continue;
    ++silences;
    size_t matched = 0;
    for (const auto& v : views)
      if (!v.alert.resolved(now) && alerting::matches(s.matchers, v.alert.labels)) ++matched;
    const double current = active + suppressed;
    if (current >= 2 && static_cast<double>(matched) * 2 > current) ++broad;
  }
  out.push_back(sample("vigil_silences_active", silences, {}, "Active silences."));
  out.push_back(
      sample("vigil_silences_broad", broad, {}, "Active silences that match more than half of the current alerts."));
  out.push_back(
      sample("vigil_outbox_pending", static_cast<double>(ob.pending), {}, "Notifications waiting for delivery."));
  out.push_back(sample("vigil_outbox_dead_letters", static_cast<double>(ob.dead), {},
                       "Notifications given up after retries or a permanent failure."));
  out.push_back(sample("vigil_outbox_oldest_pending_age_seconds",
                       ob.oldest_pending == Time{} ? 0 : std::chrono::duration<double>(now - ob.oldest_pending).count(),
                       {}, "Age of the oldest notification waiting for delivery."));
  const auto cfg = config();
  std::lock_guard l(mu_);
  out.push_back(sample("vigil_alerting_state_writable",
                       db_error_.empty() && not_durable_.empty() && file_error_.empty() ? 1 : 0, {},
                       "1 while the alerting database can be written."));
  for (const char* reason : {"alerts_per_request", "label_limit", "label_name_length", "label_value_length",
                             "annotations_size", "alert_limit"})
    out.push_back(sample("vigil_alerts_rejected_total", static_cast<double>(rejected_[reason]), {{"reason", reason}},
                         "Posted alerts refused by a limit of [alerting], by limit.", metrics::SampleType::counter));
  for (const auto& w : workers_) {
    for (const auto& r : cfg->receivers) {
      if (std::find(r.notifiers.begin(), r.notifiers.end(), w->alias) == r.notifiers.end()) continue;
      const std::string k = key2(r.name, w->alias);
      metrics::LabelSet ls{{"channel", w->channel}, {"notifier", w->alias}, {"receiver", r.name}};
      out.push_back(sample("vigil_notifications_total", static_cast<double>(sent_[k]), ls,
                           "Notifications delivered, by receiver and notifier.", metrics::SampleType::counter));
      if (options_.replicas)
        out.push_back(sample("vigil_notifications_sent_by_peer_total", static_cast<double>(sent_by_peer_[k]), ls,
                             "Notifications another replica sent (seen in the shared notification log).",
                             metrics::SampleType::counter));
      out.push_back(sample("vigil_notifications_dead_lettered_total", static_cast<double>(dead_[k]), ls,
                           "Notifications given up.", metrics::SampleType::counter));
      out.push_back(sample("vigil_notification_retries_total", static_cast<double>(retried_[k]), ls,
                           "Delivery attempts that will be retried.", metrics::SampleType::counter));
      for (const char* reason : {"retryable", "permanent"}) {
        auto fl = ls;
        fl.emplace_back("reason", reason);
        std::sort(fl.begin(), fl.end());
        out.push_back(sample("vigil_notifications_failed_total", static_cast<double>(failed_[key2(k, reason)]), fl,
                             "Failed delivery attempts, by reason.", metrics::SampleType::counter));
      }
    }
  }
  // Each notifier plugin's own samples (host->emit), kept at their latest value.
  for (const auto& w : workers_) {
    for (auto& smp : w->notifier->take_samples()) {
      auto key = std::make_pair(smp.name, smp.labels);
      w->emitted[std::move(key)] = std::move(smp);
    }
    for (const auto& [k, smp] : w->emitted) out.push_back(smp);
  }
  metrics::Sample h;
  h.type = metrics::SampleType::histogram;
  h.name = "vigil_notification_delivery_seconds";
  h.help = "From an alert firing (or resolving) to the notification's delivery.";
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) h.buckets.emplace_back(kLatencyBounds[i], latency_buckets_[i]);
  h.count = latency_count_;
  h.sum = latency_sum_;
  out.push_back(std::move(h));
  samples_.replace("alerting", std::move(out));
}

Result<std::string> AlertingService::put_silence(alerting::Silence s, const std::string& principal) {
  std::lock_guard state(state_mu_);
  const Time now = SysClock::now();
  auto id = engine_.put_silence(s, now);
  if (!id.ok()) return id;
  alerting::HistoryEvent e;
  e.at = now;
  e.kind = "silence_created";
  e.detail = nlohmann::json{{"id", *id},
                            {"matchers", alerting::matchers_text(s.matchers)},
                            {"createdBy", s.created_by},
                            {"comment", s.comment},
                            {"principal", principal},
                            {"endsAt", alerting::rfc3339(s.ends_at)}}
                 .dump();
  record({e});
  observe_states(now);
  save_state(now);
  return id;
}

Status AlertingService::expire_silence(const std::string& id, const std::string& principal) {
  std::lock_guard state(state_mu_);
  const Time now = SysClock::now();
  if (auto st = engine_.expire_silence(id, now); !st.ok()) return st;
  alerting::HistoryEvent e;
  e.at = now;
  e.kind = "silence_expired";
  e.detail = nlohmann::json{{"id", id}, {"principal", principal}}.dump();
  record({e});
  observe_states(now);
  save_state(now);
  return {};
}

Result<alerting::Ack> AlertingService::ack_alert(uint64_t fp, const std::string& author, const std::string& comment,
                                                 Time expires_at, const std::string& principal) {
  std::lock_guard state(state_mu_);
  const Time now = SysClock::now();
  auto ack = engine_.ack_alert(fp, author, comment, expires_at, now);
  if (!ack.ok()) return ack;
  std::vector<alerting::HistoryEvent> events;
  for (const auto& v : engine_.alerts(now)) {
    if (v.fp != fp) continue;
    auto e = event("acknowledged", v.alert, now);
    e.detail =
        nlohmann::json{{"ack", ack->id}, {"author", author}, {"comment", comment}, {"principal", principal}}.dump();
    events.push_back(std::move(e));
    std::lock_guard l(mu_);
    marks_[fp].acked = true;
  }
  record(std::move(events));
  save_state(now);
  return ack;
}

Result<alerting::Ack> AlertingService::ack_group(const std::string& group_key, const std::string& author,
                                                 const std::string& comment, Time expires_at,
                                                 const std::string& principal) {
  std::lock_guard state(state_mu_);
  const Time now = SysClock::now();
  auto ack = engine_.ack_group(group_key, author, comment, expires_at, now);
  if (!ack.ok()) return ack;
  std::vector<alerting::HistoryEvent> events;
  for (const auto& v : engine_.alerts(now)) {
    if (std::find(ack->fingerprints.begin(), ack->fingerprints.end(), v.fp) == ack->fingerprints.end()) continue;
    auto e = event("acknowledged", v.alert, now);
    e.group_key = group_key;
    e.detail =
        nlohmann::json{
            {"ack", ack->id}, {"author", author}, {"comment", comment}, {"group", true}, {"principal", principal}}
            .dump();
    events.push_back(std::move(e));
    std::lock_guard l(mu_);
    marks_[v.fp].acked = true;
  }
  record(std::move(events));
  save_state(now);
  return ack;
}

Status AlertingService::remove_ack(uint64_t fp, const std::string& principal) {
  std::lock_guard state(state_mu_);
  const Time now = SysClock::now();
  if (auto st = engine_.remove_ack(fp, now); !st.ok()) return st;
  for (const auto& v : engine_.alerts(now)) {
    if (v.fp != fp) continue;
    auto e = event("unacknowledged", v.alert, now);
    e.detail = nlohmann::json{{"principal", principal}}.dump();
    record({e});
    std::lock_guard l(mu_);
    marks_[fp].acked = false;
  }
  save_state(now);
  return {};
}

std::vector<ReceiverStatus> AlertingService::receivers() {
  std::vector<ReceiverStatus> out;
  std::vector<double> lat;
  {
    std::lock_guard l(mu_);
    for (const auto& [name, rs] : receiver_status_) out.push_back(rs);
    lat = latencies_;
  }
  std::sort(lat.begin(), lat.end());
  const double p99 =
      lat.empty() ? 0 : lat[std::min(lat.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(lat.size())))];
  for (auto& rs : out) {
    rs.p99_delivery_seconds = p99;
    rs.pending = db_->outbox_count("pending", rs.name);
    rs.dead = db_->outbox_count("dead", rs.name);
  }
  return out;
}

Status AlertingService::send_test(const std::string& receiver, const std::string& principal) {
  const auto cfg = config();
  const auto* rc = cfg->receiver(receiver);
  if (!rc) return Status::error("no receiver is named \"" + receiver + "\"");
  const Time now = SysClock::now();
  alerting::Notification n;
  n.receiver = receiver;
  n.group_key = "{}:{alertname=\"VigilTestNotification\"}";
  n.group_labels = {{"alertname", "VigilTestNotification"}};
  n.reason = "test notification";
  n.external_url = cfg->external_url;
  n.created_at = now;
  n.sequence = 1;
  n.idempotency_key = "test-" + alerting::fingerprint_hex(static_cast<uint64_t>(alerting::to_ms(now)));
  alerting::NotifiedAlert a;
  a.alert.labels = {{"alertname", "VigilTestNotification"}, {"receiver", receiver}, {"severity", "info"}};
  a.alert.annotations = {
      {"summary", "A test notification sent by " + (principal.empty() ? std::string("vigil") : principal)}};
  a.alert.starts_at = now;
  n.alerts.push_back(a);
  n.common_labels = a.alert.labels;
  n.common_annotations = a.alert.annotations;
  std::vector<alerting::OutboxItem> items;
  for (const auto& alias : rc->notifiers) {
    alerting::OutboxItem it;
    it.receiver = receiver;
    it.notifier = alias;
    it.group_key = n.group_key;
    it.idempotency_key = n.idempotency_key;
    it.notification = alerting::notification_to_json(n);
    it.created_at = now;
    it.next_attempt_at = now;
    items.push_back(std::move(it));
  }
  if (auto st = db_->enqueue(items); !st.ok()) return st;
  for (auto& w : workers_) w->wake();
  return {};
}

std::string AlertingService::db_error() {
  std::lock_guard l(mu_);
  for (const auto* e : {&not_durable_, &file_error_, &db_error_})
    if (!e->empty()) return *e;
  // Not ready until 30 s pass without a failed write: on a nearly full disk some writes succeed
  // and others fail, and readiness must not flap with them.
  const auto since = std::chrono::steady_clock::now() - last_write_failure_.first;
  if (!last_write_failure_.second.empty() && since < kWriteRecovery)
    return "a write to the alerting database failed " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + " s ago (" +
           last_write_failure_.second + "); ready again after " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kWriteRecovery).count()) +
           " s without a failed write";
  return "";
}

}  // namespace vigil::runtime
