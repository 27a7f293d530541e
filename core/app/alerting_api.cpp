#include "app/alerting_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "alerting/api_bodies.h"
#include "alerting/notification_json.h"
#include "alerting/state_json.h"
#include "http/query_string.h"
#include "metrics/sample.h"

namespace vigil::app {
namespace {

using alerting::Time;
using nlohmann::json;

// Invalid UTF-8 (from a query, a plugin's error text) is replaced, never a reason to throw.
http::Response reply(unsigned status, const json& body) {
  return http::Response{status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}

http::Response fail(unsigned status, const std::string& error, const std::string& hint = "") {
  json j{{"status", "error"}, {"error", error}};
  if (!hint.empty()) j["hint"] = hint;
  return reply(status, j);
}

http::Response ok(const json& data) {
  return reply(200, json{{"status", "success"}, {"data", data}});
}

using http::query_params;

std::string param(const std::multimap<std::string, std::string>& q, const std::string& k) {
  return http::query_param(q, k);
}

// Every filter= parameter, parsed as matchers; an error response when one is not valid.
std::optional<http::Response> filter_of(const std::multimap<std::string, std::string>& q, alerting::Matchers& out) {
  for (auto [it, end] = q.equal_range("filter"); it != end; ++it) {
    auto m = alerting::parse_matchers(it->second);
    if (!m.ok()) return fail(400, m.message(), "filter=severity=\"critical\" (Alertmanager's matcher syntax)");
    for (auto& x : m.value()) out.push_back(std::move(x));
  }
  return std::nullopt;
}

// The body as a JSON object with only the allowed keys; an error response otherwise.
std::optional<http::Response> parse_object(const std::string& body, const std::vector<std::string>& allowed,
                                           json& out) {
  out = json::parse(body, nullptr, false);
  if (out.is_discarded()) return fail(400, "the request body is not valid JSON", "send a JSON object");
  if (!out.is_object()) return fail(400, "the request body must be a JSON object");
  for (const auto& [k, v] : out.items())
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return fail(400, "unknown field \"" + k + "\"", "known fields: " + list);
    }
  return std::nullopt;
}

json pairs(const std::vector<std::pair<std::string, std::string>>& p) {
  json j = json::object();
  for (const auto& [k, v] : p) j[k] = v;
  return j;
}

json ack_json(const alerting::Ack& a) {
  return {{"id", a.id},
          {"author", a.author},
          {"comment", a.comment},
          {"createdAt", alerting::rfc3339(a.created_at)},
          {"expiresAt", a.expires_at == Time{} ? json(nullptr) : json(alerting::rfc3339(a.expires_at))},
          {"groupKey", a.group_key},
          {"fingerprints", [&] {
             json f = json::array();
             for (auto fp : a.fingerprints) f.push_back(alerting::fingerprint_hex(fp));
             return f;
           }()}};
}

json silence_json(const alerting::Silence& s, Time now, size_t matched) {
  json j = json::parse(alerting::silence_to_json(s));
  j["status"] = {{"state", alerting::silence_state_name(s.state(now))}};
  j["matchedAlerts"] = matched;
  return j;
}

Result<uint64_t> fingerprint_of(const std::string& hex) {
  if (hex.size() != 16 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Status::error("\"" + hex + "\" is not a fingerprint (16 lower-case hex digits, as in /api/v1/alerts)");
  return std::strtoull(hex.c_str(), nullptr, 16);
}

}  // namespace

void add_alerting_routes(http::Router& router, runtime::AlertingService& svc, runtime::RuleScheduler& rules,
                         ApiAuth auth, std::function<void()> request_reload) {
  auto guarded = [auth](std::string action, GuardedHandler h) {
    return app::guarded(auth, std::move(action), std::move(h));
  };

  router.add("POST", "/api/v2/alerts", guarded("alerts_post", [&svc](const http::Request& r, const std::string&) {
               auto parsed = alerting::parse_posted_alerts(r.body);
               if (!parsed.ok()) return fail(400, parsed.message(), "Alertmanager's POST /api/v2/alerts format");
               // All or nothing: every alert is checked before any is taken.
               Problems problems = std::move(parsed->problems);
               std::vector<alerting::Alert> alerts = std::move(parsed->alerts);
               bool over_alert_limit = false;
               if (problems.empty()) {
                 auto outcome = svc.post_alerts(std::move(alerts));
                 over_alert_limit = outcome.over_alert_limit;
                 for (auto& p : outcome.problems) problems.push_back(std::move(p));
               }
               if (!problems.empty()) {
                 json list = json::array();
                 for (const auto& p : problems) list.push_back(p);
                 if (over_alert_limit)
                   return reply(429, json{{"status", "error"},
                                          {"error", "no alert was taken: vigil holds as many alerts as it may"},
                                          {"hint", "retry later, or raise [alerting] alert_limit"},
                                          {"problems", list}});
                 return reply(400, json{{"status", "error"},
                                        {"error", "no alert was taken: some are invalid or over a limit"},
                                        {"hint", "fix the alerts listed in problems and post them again"},
                                        {"problems", list}});
               }
               return reply(200, json::object());
             }));

  router.add(
      "GET", "/api/v1/alerts", guarded("", [&svc, &rules](const http::Request& r, const std::string&) {
        const auto q = query_params(r.query);
        alerting::Matchers filter;
        if (auto e = filter_of(q, filter)) return *e;
        const std::string state = param(q, "state");
        const Time now = alerting::Clock::now();
        json list = json::array();
        std::set<uint64_t> seen;
        auto keep = [&](const json& j, const alerting::LabelSet& labels) {
          if (!alerting::matches(filter, labels)) return;
          const std::string st = j["state"];
          const std::string status = j.value("/status/state"_json_pointer, "active");
          if (!state.empty() && state != st && state != status && !(state == "acked" && !j["ack"].is_null()) &&
              !(state == "silenced" && !j["status"]["silencedBy"].empty()) &&
              !(state == "inhibited" && !j["status"]["inhibitedBy"].empty()))
            return;
          list.push_back(j);
        };
        for (const auto& v : svc.engine().alerts(now)) {
          if (v.alert.resolved(now)) continue;
          seen.insert(v.fp);
          json j{{"labels", pairs(v.alert.labels)},
                 {"annotations", pairs(v.alert.annotations)},
                 {"state", "firing"},
                 {"activeAt", alerting::rfc3339(v.alert.starts_at)},
                 {"startsAt", alerting::rfc3339(v.alert.starts_at)},
                 {"fingerprint", alerting::fingerprint_hex(v.fp)},
                 {"status", {{"state", v.state}, {"silencedBy", v.silenced_by}, {"inhibitedBy", v.inhibited_by}}},
                 {"receivers", v.receivers},
                 {"ack", v.ack ? ack_json(*v.ack) : json(nullptr)}};
          if (v.alert.value) j["value"] = metrics::format_float(*v.alert.value);
          keep(j, v.alert.labels);
        }
        for (const auto& g : rules.snapshot())
          for (const auto& rs : g.rules)
            for (const auto& a : rs.alerts) {
              if (a.state == rules::AlertState::inactive || seen.count(alerting::fingerprint(a.labels))) continue;
              json j{{"labels", pairs(a.labels)},
                     {"annotations", pairs(a.annotations)},
                     {"state", rules::alert_state_name(a.state)},
                     {"activeAt", alerting::rfc3339(alerting::from_ms(a.active_at_ms))},
                     {"value", metrics::format_float(a.value)},
                     {"fingerprint", alerting::fingerprint_hex(alerting::fingerprint(a.labels))},
                     {"status", {{"state", "active"}, {"silencedBy", json::array()}, {"inhibitedBy", json::array()}}},
                     {"receivers", json::array()},
                     {"ack", nullptr}};
              keep(j, a.labels);
            }
        return ok(json{{"alerts", list}});
      }));

  // Groups as routed, filtered and paged on the server so a console stays fast with 10,000
  // alerts: filter= (matchers, repeatable), state= (repeatable, all must hold: active |
  // suppressed | silenced | unsilenced | inhibited | acked | unacked | resolved; resolved alerts
  // are left out otherwise), receiver=, group= (one
  // group key), fingerprint= (one alert), offset= and limit= (groups, default 50),
  // alerts_per_group= (0 = all), expand= (a group key shown whole) and group_by= (a label to
  // group by instead of the routes). Rules' pending alerts
  // come beside the groups (the first 100, and their count).
  router.add(
      "GET", "/api/v1/alerts/groups", guarded("", [&svc, &rules](const http::Request& r, const std::string&) {
        const auto q = query_params(r.query);
        alerting::Matchers filter;
        if (auto e = filter_of(q, filter)) return *e;
        const std::string receiver = param(q, "receiver"), expand = param(q, "expand");
        const std::string only_group = param(q, "group"), only_fp = param(q, "fingerprint");
        static const std::set<std::string> kStates = {"active",    "suppressed", "silenced", "unsilenced",
                                                      "inhibited", "acked",      "unacked",  "resolved"};
        std::set<std::string> states;  // every one must hold
        for (auto [it, end] = q.equal_range("state"); it != end; ++it) {
          if (!kStates.count(it->second))
            return fail(400, "unknown state \"" + it->second + "\"",
                        "state= active, suppressed, silenced, unsilenced, inhibited, acked, unacked or resolved");
          states.insert(it->second);
        }
        const bool want_resolved = states.count("resolved") > 0;
        auto number = [&q](const char* key, size_t fallback, size_t most) {
          const std::string v = param(q, key);
          return v.empty() ? fallback : std::min<size_t>(std::strtoul(v.c_str(), nullptr, 10), most);
        };
        const size_t offset = number("offset", 0, SIZE_MAX), limit = std::max<size_t>(1, number("limit", 50, 1000));
        const size_t per_group = number("alerts_per_group", 0, SIZE_MAX);
        const Time now = alerting::Clock::now();
        std::map<uint64_t, alerting::AlertView> views;
        for (auto& v : svc.engine().alerts(now)) views[v.fp] = std::move(v);
        json list = json::array();
        size_t groups_matched = 0, active_total = 0, suppressed_total = 0, acked_total = 0;
        std::set<uint64_t> counted;  // an alert in several groups (continue = true) counts once
        struct Match {
          const alerting::Alert* alert;
          const alerting::AlertView* view;
        };
        // group_by=LABEL regroups the alerts by that label's value instead of by route (a view,
        // as karma offers; such groups have no receiver and cannot be acknowledged as one).
        const std::string group_by = param(q, "group_by");
        std::vector<alerting::GroupView> grouped;
        if (group_by.empty()) {
          grouped = svc.engine().groups();
        } else {
          std::map<std::string, alerting::GroupView> by_value;
          for (const auto& [fp, v] : views) {
            if (!receiver.empty() && std::find(v.receivers.begin(), v.receivers.end(), receiver) == v.receivers.end())
              continue;
            const std::string* value = v.alert.label(group_by);
            auto& g = by_value[value ? *value : ""];
            if (g.group_key.empty()) {
              g.group_key = "{" + group_by + "=\"" + (value ? *value : "") + "\"}";
              g.group_labels = {{group_by, value ? *value : ""}};
            }
            g.alerts.push_back(v.alert);
          }
          for (auto& [value, g] : by_value) {
            std::sort(g.alerts.begin(), g.alerts.end(),
                      [](const auto& a, const auto& b) { return a.labels < b.labels; });
            grouped.push_back(std::move(g));
          }
        }
        for (const auto& g : grouped) {
          if ((group_by.empty() && !receiver.empty() && g.receiver != receiver) ||
              (!only_group.empty() && g.group_key != only_group))
            continue;
          std::vector<Match> matched;
          size_t active = 0, silenced = 0, inhibited = 0, acked = 0;
          for (const auto& a : g.alerts) {
            const bool resolved = a.resolved(now);
            if (resolved != want_resolved || !alerting::matches(filter, a.labels) ||
                (!only_fp.empty() && alerting::fingerprint_hex(a.fp()) != only_fp))
              continue;
            auto it = views.find(a.fp());
            const alerting::AlertView* v = it == views.end() ? nullptr : &it->second;
            const bool is_silenced = v && !v->silenced_by.empty(), is_inhibited = v && !v->inhibited_by.empty();
            const bool is_acked = v && v->ack, is_active = !resolved && (!v || v->state == "active");
            auto holds = [&](const std::string& st) {
              return st == "resolved" || (st == "active" && is_active) || (st == "suppressed" && !is_active) ||
                     (st == "silenced" && is_silenced) || (st == "unsilenced" && !is_silenced) ||
                     (st == "inhibited" && is_inhibited) || (st == "acked" && is_acked) ||
                     (st == "unacked" && !is_acked);
            };
            if (!std::all_of(states.begin(), states.end(), holds)) continue;
            matched.push_back({&a, v});
            active += is_active;
            silenced += is_silenced;
            inhibited += is_inhibited;
            acked += is_acked;
            if (counted.insert(a.fp()).second) {
              active_total += is_active;
              suppressed_total += !resolved && !is_active;
              acked_total += is_acked;
            }
          }
          if (matched.empty() || groups_matched++ < offset || list.size() >= limit) continue;
          // Only the groups on this page are rendered, and of each at most alerts_per_group.
          const size_t shown =
              per_group == 0 || g.group_key == expand ? matched.size() : std::min(per_group, matched.size());
          json alerts = json::array();
          for (size_t i = 0; i < shown; ++i) {
            const auto& a = *matched[i].alert;
            const auto* v = matched[i].view;
            json j{{"labels", pairs(a.labels)},
                   {"annotations", pairs(a.annotations)},
                   {"fingerprint", alerting::fingerprint_hex(a.fp())},
                   {"startsAt", alerting::rfc3339(a.starts_at)},
                   {"state", a.resolved(now) ? "resolved" : "firing"}};
            if (a.value) j["value"] = metrics::format_float(*a.value);
            if (v) {
              j["status"] = {{"state", v->state}, {"silencedBy", v->silenced_by}, {"inhibitedBy", v->inhibited_by}};
              j["ack"] = v->ack ? ack_json(*v->ack) : json(nullptr);
            }
            alerts.push_back(std::move(j));
          }
          list.push_back({{"groupKey", g.group_key},
                          {"labels", pairs(g.group_labels)},
                          {"receiver", g.receiver},
                          {"nextFlush", group_by.empty() ? json(alerting::rfc3339(g.next_flush)) : json(nullptr)},
                          {"counts",
                           {{"alerts", matched.size()},
                            {"active", active},
                            {"silenced", silenced},
                            {"inhibited", inhibited},
                            {"acked", acked}}},
                          {"alertsOmitted", matched.size() - shown},
                          {"alerts", alerts}});
        }
        // Rules' pending alerts (their `for` not yet elapsed) reach no group; listed beside them
        // when no state, receiver or group narrows the view.
        json pending = json::array();
        size_t pending_count = 0;
        if (states.empty() && receiver.empty() && only_group.empty())
          for (const auto& rg : rules.snapshot())
            for (const auto& rs : rg.rules)
              for (const auto& a : rs.alerts) {
                const std::string fp = alerting::fingerprint_hex(alerting::fingerprint(a.labels));
                if (a.state != rules::AlertState::pending || !alerting::matches(filter, a.labels) ||
                    (!only_fp.empty() && fp != only_fp))
                  continue;
                if (++pending_count <= 100)
                  pending.push_back({{"labels", pairs(a.labels)},
                                     {"annotations", pairs(a.annotations)},
                                     {"fingerprint", fp},
                                     {"activeAt", alerting::rfc3339(alerting::from_ms(a.active_at_ms))},
                                     {"value", metrics::format_float(a.value)},
                                     {"state", "pending"}});
              }
        return ok(json{{"groups", list},
                       {"pending", pending},
                       {"pendingCount", pending_count},
                       {"offset", offset},
                       {"limit", limit},
                       {"totalGroups", groups_matched},
                       {"totals",
                        {{"alerts", counted.size()},
                         {"active", active_total},
                         {"suppressed", suppressed_total},
                         {"acked", acked_total}}}});
      }));

  router.add("POST", "/api/v1/alerts/{fingerprint}/ack",
             guarded("ack", [&svc](const http::Request& r, const std::string& who) {
               json b;
               if (auto e = parse_object(r.body, {"author", "comment", "expiresAt", "expiresIn"}, b)) return *e;
               auto fp = fingerprint_of(r.params.at("fingerprint"));
               if (!fp.ok()) return fail(400, fp.message());
               auto req = alerting::ack_from_request(b, alerting::Clock::now());
               if (!req.ok()) return fail(400, req.message());
               auto ack = svc.ack_alert(*fp, req->author, req->comment, req->expires_at, who);
               if (!ack.ok())
                 return fail(ack.message().find("no firing alert") == 0 ? 404 : 400, ack.message(),
                             "author is required; expiresIn such as \"2h\" is optional");
               return ok(ack_json(*ack));
             }));
  router.add("DELETE", "/api/v1/alerts/{fingerprint}/ack",
             guarded("ack_remove", [&svc](const http::Request& r, const std::string& who) {
               auto fp = fingerprint_of(r.params.at("fingerprint"));
               if (!fp.ok()) return fail(400, fp.message());
               if (auto st = svc.remove_ack(*fp, who); !st.ok()) return fail(404, st.message());
               return ok(json::object());
             }));
  router.add("GET", "/api/v1/acks", guarded("", [&svc](const http::Request&, const std::string&) {
               // Newest first; an ack past its expiry is gone even before the engine's next tick.
               const Time now = alerting::Clock::now();
               auto acks = svc.engine().acks();
               std::sort(acks.begin(), acks.end(),
                         [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
               json list = json::array();
               for (const auto& a : acks)
                 if (a.expires_at == Time{} || a.expires_at > now) list.push_back(ack_json(a));
               return ok(json{{"acks", list}});
             }));
  router.add("POST", "/api/v1/alerts/groups/ack",
             guarded("group_ack", [&svc](const http::Request& r, const std::string& who) {
               json b;
               if (auto e = parse_object(r.body, {"groupKey", "author", "comment", "expiresAt", "expiresIn"}, b))
                 return *e;
               auto req = alerting::ack_from_request(b, alerting::Clock::now());
               if (!req.ok()) return fail(400, req.message());
               auto ack = svc.ack_group(req->group_key, req->author, req->comment, req->expires_at, who);
               if (!ack.ok())
                 return fail(400, ack.message(), "groupKey from /api/v1/alerts/groups; author is required");
               return ok(ack_json(*ack));
             }));

  // How many current alerts a silence matches, against alerts(now) taken once per request.
  auto matched = [](const alerting::Silence& s, const std::vector<alerting::AlertView>& alerts, Time now) {
    size_t n = 0;
    for (const auto& v : alerts)
      if (!v.alert.resolved(now) && alerting::matches(s.matchers, v.alert.labels)) ++n;
    return n;
  };
  router.add("GET", "/api/v1/silences", guarded("", [&svc, matched](const http::Request& r, const std::string&) {
               const auto q = query_params(r.query);
               const std::string state = param(q, "state");
               const Time now = alerting::Clock::now();
               const auto alerts = svc.engine().alerts(now);
               json list = json::array();
               for (const auto& s : svc.engine().silences()) {
                 if (!state.empty() && state != alerting::silence_state_name(s.state(now))) continue;
                 list.push_back(silence_json(s, now, matched(s, alerts, now)));
               }
               return ok(json{{"silences", list}});
             }));
  router.add("GET", "/api/v1/silences/{id}", guarded("", [&svc, matched](const http::Request& r, const std::string&) {
               auto s = svc.engine().silence(r.params.at("id"));
               if (!s) return fail(404, "no silence has id " + r.params.at("id"));
               const Time now = alerting::Clock::now();
               return ok(silence_json(*s, now, matched(*s, svc.engine().alerts(now), now)));
             }));
  router.add(
      "POST", "/api/v1/silences", guarded("silence_create", [&svc](const http::Request& r, const std::string& who) {
        json b;
        if (auto e = parse_object(
                r.body, {"id", "matchers", "startsAt", "endsAt", "duration", "createdBy", "comment", "schedule"}, b))
          return *e;
        auto s = alerting::silence_from_request(b, alerting::Clock::now());
        if (!s.ok()) return fail(400, s.message());
        auto id = svc.put_silence(std::move(s.value()), who);
        if (!id.ok()) return fail(id.message().find("not found") != std::string::npos ? 404 : 400, id.message());
        return ok(json{{"silenceID", *id}});
      }));
  router.add(
      "POST", "/api/v1/silences/preview", guarded("", [&svc](const http::Request& r, const std::string&) {
        json b;
        if (auto e = parse_object(r.body, {"matchers"}, b)) return *e;
        auto ms = alerting::matchers_from_json(b.contains("matchers") ? b["matchers"] : json());
        if (!ms.ok()) return fail(400, ms.message());
        const Time now = alerting::Clock::now();
        json per_matcher = json::array();
        const auto all = svc.engine().alerts(now);
        size_t active = 0;
        for (const auto& v : all) active += v.alert.resolved(now) ? 0 : 1;
        for (const auto& m : *ms) {
          size_t n = 0;
          for (const auto& v : all) n += !v.alert.resolved(now) && alerting::matches({m}, v.alert.labels) ? 1 : 0;
          per_matcher.push_back({{"matcher", alerting::matchers_text({m})}, {"matches", n}});
        }
        json alerts = json::array();
        for (const auto& v : svc.engine().preview(*ms, now))
          alerts.push_back({{"labels", pairs(v.alert.labels)}, {"fingerprint", alerting::fingerprint_hex(v.fp)}});
        json warnings = json::array();
        if (alerts.empty()) warnings.push_back("matches no current alert");
        if (active > 0 && alerts.size() * 2 > active) warnings.push_back("matches most current alerts");
        return ok(
            json{{"alerts", alerts}, {"perMatcher", per_matcher}, {"activeAlerts", active}, {"warnings", warnings}});
      }));
  router.add("DELETE", "/api/v1/silences/{id}",
             guarded("silence_expire", [&svc](const http::Request& r, const std::string& who) {
               if (auto st = svc.expire_silence(r.params.at("id"), who); !st.ok())
                 return fail(st.message().find("not found") != std::string::npos ? 404 : 400, st.message());
               return ok(json::object());
             }));

  router.add("GET", "/api/v1/history", guarded("", [&svc](const http::Request& r, const std::string&) {
               const auto q = query_params(r.query);
               alerting::HistoryQuery hq;
               for (const auto& [key, field] :
                    std::vector<std::pair<std::string, std::string*>>{{"kind", &hq.kind},
                                                                      {"alertname", &hq.alertname},
                                                                      {"severity", &hq.severity},
                                                                      {"receiver", &hq.receiver},
                                                                      {"fingerprint", &hq.fingerprint},
                                                                      {"group_key", &hq.group_key}})
                 *field = param(q, key);
               for (const char* k : {"from", "to"}) {
                 if (param(q, k).empty()) continue;
                 auto t = alerting::parse_rfc3339(param(q, k));
                 if (!t.ok()) return fail(400, std::string(k) + ": " + t.message());
                 (std::string(k) == "from" ? hq.from : hq.to) = *t;
               }
               if (auto e = filter_of(q, hq.labels)) return *e;
               if (!param(q, "limit").empty())
                 hq.limit = std::clamp<size_t>(std::strtoul(param(q, "limit").c_str(), nullptr, 10), 1, 1000);
               if (!param(q, "before").empty()) hq.before_id = std::strtoll(param(q, "before").c_str(), nullptr, 10);
               auto page = svc.db().history(hq);
               if (!page.ok()) return fail(500, page.message());
               json list = json::array();
               for (const auto& e : page->events)
                 list.push_back({{"id", e.id},
                                 {"time", alerting::rfc3339(e.at)},
                                 {"kind", e.kind},
                                 {"fingerprint", e.fingerprint},
                                 {"alertname", e.alertname},
                                 {"severity", e.severity},
                                 {"receiver", e.receiver},
                                 {"groupKey", e.group_key},
                                 {"labels", pairs(e.labels)},
                                 {"detail", json::parse(e.detail, nullptr, false)}});
               json data{{"events", list}};
               // A page is cut at `limit` events or after reading max_scanned rows (label filters
               // are applied to what was read): either way `next` continues it.
               if (page->next_before > 0) data["next"] = "before=" + std::to_string(page->next_before);
               return ok(data);
             }));

  router.add(
      "GET", "/api/v1/receivers", guarded("", [&svc](const http::Request&, const std::string&) {
        json list = json::array();
        for (const auto& rs : svc.receivers())
          list.push_back(
              {{"name", rs.name},
               {"notifiers", rs.notifiers},
               {"lastSuccess", rs.last_success == Time{} ? json(nullptr) : json(alerting::rfc3339(rs.last_success))},
               {"lastFailure", rs.last_failure == Time{} ? json(nullptr) : json(alerting::rfc3339(rs.last_failure))},
               {"lastError", rs.last_error},
               {"pending", rs.pending},
               {"deadLetters", rs.dead},
               {"p99DeliverySeconds", rs.p99_delivery_seconds}});
        return ok(json{{"receivers", list}});
      }));
  router.add("GET", "/api/v1/receivers/{name}/log", guarded("", [&svc](const http::Request& r, const std::string&) {
               const auto q = query_params(r.query);
               json list = json::array();
               for (const auto& it : svc.db().outbox(param(q, "state"), r.params.at("name"), 100))
                 list.push_back({{"id", it.id},
                                 {"notifier", it.notifier},
                                 {"groupKey", it.group_key},
                                 {"idempotencyKey", it.idempotency_key},
                                 {"state", it.state},
                                 {"attempts", it.attempts},
                                 {"createdAt", alerting::rfc3339(it.created_at)},
                                 {"nextAttemptAt", alerting::rfc3339(it.next_attempt_at)},
                                 {"lastError", it.last_error}});
               return ok(json{{"notifications", list}});
             }));
  router.add("POST", "/api/v1/receivers/{name}/test",
             guarded("test_notification", [&svc](const http::Request& r, const std::string& who) {
               if (auto st = svc.send_test(r.params.at("name"), who); !st.ok()) return fail(404, st.message());
               return ok(json{{"queued", true}});
             }));
  router.add("POST", "/-/reload", guarded("reload", [request_reload](const http::Request&, const std::string&) {
               request_reload();
               return ok(json{{"reload", "requested; see the log and vigil_config_last_reload_successful"}});
             }));
}

}  // namespace vigil::app
