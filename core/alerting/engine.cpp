#include "alerting/engine.h"

#include "base/percent_encoding.h"

#include <algorithm>
#include <set>

#include "metrics/sample.h"

namespace vigil::alerting {
namespace {

constexpr auto kResolvedRetention = std::chrono::minutes(30);  // Alertmanager's alert GC interval

std::string log_key(const std::string& group_key, const std::string& receiver) {
  return group_key + "\n" + receiver;
}

bool subset(const std::set<uint64_t>& sub, const std::set<uint64_t>& of) {
  return std::includes(of.begin(), of.end(), sub.begin(), sub.end());
}

void common_of(Notification& n) {
  if (n.alerts.empty()) return;
  n.common_labels = n.alerts[0].alert.labels;
  n.common_annotations = n.alerts[0].alert.annotations;
  for (const auto& na : n.alerts) {
    auto keep = [](auto& common, const auto& own) {
      common.erase(std::remove_if(common.begin(), common.end(),
                                  [&](const auto& kv) { return std::find(own.begin(), own.end(), kv) == own.end(); }),
                   common.end());
    };
    keep(n.common_labels, na.alert.labels);
    keep(n.common_annotations, na.alert.annotations);
  }
}

std::string idempotency_key(const Notification& n, const std::set<uint64_t>& firing,
                            const std::set<uint64_t>& resolved) {
  LabelSet parts{{"group", n.group_key}, {"receiver", n.receiver}};
  std::string f, r;
  for (auto fp : firing) f += fingerprint_hex(fp);
  for (auto fp : resolved) r += fingerprint_hex(fp);
  parts.emplace_back("firing", f);
  parts.emplace_back("resolved", r);
  return fingerprint_hex(fingerprint(parts)) + "-" + std::to_string(n.sequence);
}

}  // namespace

bool Ack::covers(uint64_t fp, Time now) const {
  if (expires_at != Time{} && expires_at <= now) return false;
  return std::find(fingerprints.begin(), fingerprints.end(), fp) != fingerprints.end();
}

bool Notification::firing() const {
  return firing_count() > 0;
}

size_t Notification::firing_count() const {
  return static_cast<size_t>(std::count_if(alerts.begin(), alerts.end(), [](const auto& a) { return a.firing; }));
}

std::string Notification::console_url() const {
  if (external_url.empty()) return "";
  const bool slash = external_url.back() == '/';
  return external_url + (slash ? "" : "/") + "ui/#/alerts?group=" + percent_encode(group_key);
}

AlertingEngine::AlertingEngine(AlertingConfig config, std::function<std::string()> new_id)
    : config_(std::move(config)), new_id_(new_id), dispatcher_(config_.route), silences_(std::move(new_id)) {}

void AlertingEngine::apply_config(AlertingConfig config, Time now) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
  dispatcher_ = Dispatcher(config_.route);
  for (const auto& [fp, a] : alerts_) dispatcher_.put(a, now);
}

Problems AlertingEngine::put(std::vector<Alert> alerts, Time now) {
  Problems problems;
  std::lock_guard lock(mu_);
  for (auto& a : alerts) {
    std::sort(a.labels.begin(), a.labels.end());
    a.labels.erase(std::remove_if(a.labels.begin(), a.labels.end(), [](const auto& l) { return l.second.empty(); }),
                   a.labels.end());
    if (a.labels.empty()) {
      problems.push_back("an alert needs at least one label");
      continue;
    }
    bool bad = false;
    for (const auto& [k, v] : a.labels) {
      if (auto st = metrics::validate_label_name(k); !st.ok()) {
        problems.push_back("alert " + label_set_text(a.labels) + ": " + st.message());
        bad = true;
        break;
      }
    }
    if (bad) continue;
    if (a.starts_at == Time{}) a.starts_at = now;
    if (a.ends_at != Time{} && a.ends_at < a.starts_at) {
      problems.push_back("alert " + label_set_text(a.labels) + ": endsAt is before startsAt");
      continue;
    }
    if (a.ends_at == Time{}) {
      a.ends_at = now + config_.resolve_timeout;
      a.timeout = true;
    }
    a.updated_at = now;
    const uint64_t fp = a.fp();
    auto it = alerts_.find(fp);
    // A report of a resolved alert that fires again starts a new alert.
    if (it != alerts_.end() && !(it->second.resolved(now) && !a.resolved(now))) a = merge(it->second, a, now);
    alerts_[fp] = a;
    dispatcher_.put(a, now);
  }
  return problems;
}

AlertingEngine::Holding AlertingEngine::holding(const std::vector<Alert>& alerts) const {
  std::lock_guard lock(mu_);
  std::set<uint64_t> fresh;
  for (const auto& a : alerts) {
    // The fingerprint put() would give it: labels sorted, empty ones dropped.
    LabelSet labels = a.labels;
    labels.erase(std::remove_if(labels.begin(), labels.end(), [](const auto& l) { return l.second.empty(); }),
                 labels.end());
    std::sort(labels.begin(), labels.end());
    const uint64_t fp = fingerprint(labels);
    if (!alerts_.count(fp)) fresh.insert(fp);
  }
  return {alerts_.size(), fresh.size()};
}

namespace {

// The values of `names` in `labels` (absent = ""), as one key.
std::string equal_key(const std::vector<std::string>& names, const Alert& a) {
  std::string key;
  for (const auto& l : names) {
    const std::string* v = a.label(l);
    if (v) key += *v;
    key += '\xff';
  }
  return key;
}

}  // namespace

AlertingEngine::InhibitionIndex AlertingEngine::index_inhibition_sources(Time now) const {
  InhibitionIndex index(config_.inhibit_rules.size());
  for (size_t i = 0; i < config_.inhibit_rules.size(); ++i) {
    const auto& rule = config_.inhibit_rules[i];
    for (const auto& [fp, source] : alerts_)
      if (!source.resolved(now) && matches(rule.source, source.labels))
        index[i][equal_key(rule.equal, source)].push_back(&source);
  }
  return index;
}

std::vector<std::string> AlertingEngine::inhibited_by(const Alert& target, const InhibitionIndex& sources) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < config_.inhibit_rules.size(); ++i) {
    const auto& rule = config_.inhibit_rules[i];
    if (!matches(rule.target, target.labels)) continue;
    auto it = sources[i].find(equal_key(rule.equal, target));
    if (it == sources[i].end()) continue;
    const bool target_is_source = matches(rule.source, target.labels);
    for (const Alert* source : it->second) {
      if (source->fp() == target.fp()) continue;
      if (target_is_source && matches(rule.target, source->labels)) continue;  // no mutual inhibition
      out.push_back(fingerprint_hex(source->fp()));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Ack> AlertingEngine::ack_of(uint64_t fp, Time now) const {
  for (const auto& [id, ack] : acks_)
    if (ack.covers(fp, now)) return ack;
  return std::nullopt;
}

bool AlertingEngine::route_muted(const Route& r, Time now) const {
  for (const auto& name : r.options.mute_time_intervals)
    if (const auto* ti = config_.time_interval(name); ti && ti->contains(now)) return true;
  if (r.options.active_time_intervals.empty()) return false;
  for (const auto& name : r.options.active_time_intervals)
    if (const auto* ti = config_.time_interval(name); ti && ti->contains(now)) return false;
  return true;
}

std::optional<Notification> AlertingEngine::notify(const Flush& f, const ReceiverConfig& receiver, Time now) {
  const std::string key = log_key(f.group_key, receiver.name);
  auto entry_it = nflog_.find(key);
  const LogEntry* entry = entry_it == nflog_.end() ? nullptr : &entry_it->second;

  Notification n;
  n.receiver = receiver.name;
  n.group_key = f.group_key;
  n.group_labels = f.group_labels;
  n.external_url = config_.external_url;
  n.created_at = now;
  std::set<uint64_t> firing, resolved;
  std::vector<NotifiedAlert> firing_alerts, resolved_alerts;
  const auto sources = index_inhibition_sources(now);
  for (const auto& a : f.alerts) {
    const uint64_t fp = a.fp();
    const bool is_resolved = a.resolved(now);
    auto silenced = silences_.muting(a.labels, now);
    auto inhibited = is_resolved ? std::vector<std::string>{} : inhibited_by(a, sources);
    if (!silenced.empty() || !inhibited.empty()) {
      // A muted alert is left out, except the resolution of one that was notified firing.
      const bool was_sent = entry && entry->firing.count(fp);
      if (!(is_resolved && was_sent && config_.notify_resolved_when_silenced)) continue;
    }
    NotifiedAlert na;
    na.alert = a;
    na.firing = !is_resolved;
    na.silenced_by = std::move(silenced);
    if (!is_resolved) na.ack = ack_of(fp, now);
    (is_resolved ? resolved : firing).insert(fp);
    (is_resolved ? resolved_alerts : firing_alerts).push_back(std::move(na));
  }

  // Alertmanager's DedupStage.needsUpdate, with the reason it exposes.
  bool send = false;
  if (!entry) {
    send = !firing.empty();
    n.reason = "first notification";
  } else if (!subset(firing, entry->firing)) {
    send = true;
    n.reason = entry->firing.empty() ? "first notification" : "new alerts added";
  } else if (firing.empty()) {
    send = !entry->firing.empty();
    n.reason = "all alerts resolved";
  } else if (receiver.send_resolved && !subset(resolved, entry->resolved)) {
    send = true;
    n.reason = "some alerts resolved";
  } else {
    // An acknowledged group is not repeated: every firing alert acked stops the repeats.
    const bool all_acked = std::all_of(firing_alerts.begin(), firing_alerts.end(),
                                       [](const NotifiedAlert& a) { return a.ack.has_value(); });
    send = !all_acked && entry->sent_at + f.route->options.repeat_interval <= now;
    n.reason = "repeat interval elapsed";
  }
  if (!send) return std::nullopt;

  LogEntry& e = nflog_[key];
  e.firing = firing;
  e.resolved = resolved;
  e.sent_at = now;
  if (!receiver.send_resolved) resolved_alerts.clear();
  if (firing_alerts.empty() && resolved_alerts.empty()) return std::nullopt;  // logged, nothing to say
  n.sequence = ++e.sequence;
  n.alerts = std::move(firing_alerts);
  for (auto& r : resolved_alerts) n.alerts.push_back(std::move(r));
  common_of(n);
  n.idempotency_key = idempotency_key(n, firing, resolved);
  n.repeat_interval = f.route->options.repeat_interval;
  return n;
}

void AlertingEngine::expire_acks(Time now) {
  // An ack ends when it expires, and for each alert when the alert resolves or is gone.
  for (auto it = acks_.begin(); it != acks_.end();) {
    auto& fps = it->second.fingerprints;
    fps.erase(std::remove_if(fps.begin(), fps.end(),
                             [&](uint64_t fp) {
                               auto a = alerts_.find(fp);
                               return a == alerts_.end() || a->second.resolved(now);
                             }),
              fps.end());
    const bool expired = it->second.expires_at != Time{} && it->second.expires_at <= now;
    if (fps.empty() || expired)
      it = acks_.erase(it);
    else
      ++it;
  }
}

std::vector<Notification> AlertingEngine::tick(Time now) {
  std::lock_guard lock(mu_);
  expire_acks(now);
  std::vector<Notification> out;
  for (const auto& flush : dispatcher_.due(now)) {
    if (!route_muted(*flush.route, now)) {
      if (const auto* receiver = config_.receiver(flush.route->options.receiver))
        if (auto n = notify(flush, *receiver, now)) out.push_back(std::move(*n));
    }
    dispatcher_.flushed(flush, now);
  }
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.resolved(now) && it->second.ends_at + kResolvedRetention < now)
      it = alerts_.erase(it);
    else
      ++it;
  }
  silences_.gc(now, std::chrono::hours(120));
  return out;
}

std::vector<AlertView> AlertingEngine::alerts(Time now) const {
  std::lock_guard lock(mu_);
  std::vector<AlertView> out;
  const auto sources = index_inhibition_sources(now);
  for (const auto& [fp, a] : alerts_) {
    AlertView v;
    v.alert = a;
    v.fp = fp;
    if (!a.resolved(now)) {
      v.silenced_by = silences_.muting(a.labels, now);
      v.inhibited_by = inhibited_by(a, sources);
      v.ack = ack_of(fp, now);
    }
    v.state = v.silenced_by.empty() && v.inhibited_by.empty() ? "active" : "suppressed";
    for (const Route* r : config_.route->match(a.labels)) {
      if (std::find(v.receivers.begin(), v.receivers.end(), r->options.receiver) == v.receivers.end())
        v.receivers.push_back(r->options.receiver);
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<GroupView> AlertingEngine::groups() const {
  std::lock_guard lock(mu_);
  return dispatcher_.groups();
}

Result<std::string> AlertingEngine::put_silence(Silence s, Time now) {
  std::lock_guard lock(mu_);
  return silences_.put(std::move(s), now);
}

Status AlertingEngine::expire_silence(const std::string& id, Time now) {
  std::lock_guard lock(mu_);
  return silences_.expire(id, now);
}

std::vector<Silence> AlertingEngine::silences() const {
  std::lock_guard lock(mu_);
  return silences_.list();
}

std::optional<Silence> AlertingEngine::silence(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto* s = silences_.get(id);
  return s ? std::optional<Silence>(*s) : std::nullopt;
}

std::vector<AlertView> AlertingEngine::preview(const Matchers& ms, Time now) const {
  std::vector<AlertView> out;
  for (auto& v : alerts(now))
    if (!v.alert.resolved(now) && matches(ms, v.alert.labels)) out.push_back(std::move(v));
  return out;
}

Result<Ack> AlertingEngine::ack_alert(uint64_t fp, const std::string& author, const std::string& comment,
                                      Time expires_at, Time now) {
  if (author.empty()) return Status::error("an acknowledgement needs an author");
  std::lock_guard lock(mu_);
  auto it = alerts_.find(fp);
  if (it == alerts_.end() || it->second.resolved(now))
    return Status::error("no firing alert has fingerprint " + fingerprint_hex(fp));
  if (expires_at != Time{} && expires_at <= now) return Status::error("the acknowledgement's expiry is in the past");
  Ack ack{new_id_(), {fp}, "", author, comment, now, expires_at};
  acks_[ack.id] = ack;
  return ack;
}

Result<Ack> AlertingEngine::ack_group(const std::string& group_key, const std::string& author,
                                      const std::string& comment, Time expires_at, Time now) {
  if (author.empty()) return Status::error("an acknowledgement needs an author");
  std::lock_guard lock(mu_);
  if (expires_at != Time{} && expires_at <= now) return Status::error("the acknowledgement's expiry is in the past");
  for (const auto& g : dispatcher_.groups()) {
    if (g.group_key != group_key) continue;
    Ack ack{new_id_(), {}, group_key, author, comment, now, expires_at};
    for (const auto& a : g.alerts)
      if (!a.resolved(now)) ack.fingerprints.push_back(a.fp());
    if (ack.fingerprints.empty()) return Status::error("group " + group_key + " has no firing alert");
    acks_[ack.id] = ack;
    return ack;
  }
  return Status::error("no alert group has key " + group_key);
}

Status AlertingEngine::remove_ack(uint64_t fp, Time now) {
  std::lock_guard lock(mu_);
  bool found = false;
  for (auto it = acks_.begin(); it != acks_.end();) {
    auto& fps = it->second.fingerprints;
    if (it->second.covers(fp, now)) {
      fps.erase(std::remove(fps.begin(), fps.end(), fp), fps.end());
      found = true;
    }
    if (fps.empty())
      it = acks_.erase(it);
    else
      ++it;
  }
  return found ? Status{} : Status::error("alert " + fingerprint_hex(fp) + " is not acknowledged");
}

std::vector<Ack> AlertingEngine::acks() const {
  std::lock_guard lock(mu_);
  std::vector<Ack> out;
  for (const auto& [id, a] : acks_) out.push_back(a);
  return out;
}

}  // namespace vigil::alerting

namespace vigil::alerting {

std::optional<LogEntry> AlertingEngine::log_entry(const std::string& group_key, const std::string& receiver) const {
  std::lock_guard lock(mu_);
  auto it = nflog_.find(log_key(group_key, receiver));
  return it == nflog_.end() ? std::nullopt : std::optional<LogEntry>(it->second);
}

EngineState AlertingEngine::state() const {
  std::lock_guard lock(mu_);
  EngineState st;
  for (const auto& [fp, a] : alerts_) st.alerts.push_back(a);
  st.silences = silences_.list();
  for (const auto& [id, a] : acks_) st.acks.push_back(a);
  st.nflog = nflog_;
  return st;
}

void AlertingEngine::restore(EngineState state, Time now) {
  std::lock_guard lock(mu_);
  for (auto& s : state.silences) silences_.load(std::move(s));
  for (auto& a : state.acks) acks_[a.id] = std::move(a);
  nflog_ = std::move(state.nflog);
  for (auto& a : state.alerts) {
    dispatcher_.put(a, now);
    alerts_[a.fp()] = std::move(a);
  }
}

}  // namespace vigil::alerting
