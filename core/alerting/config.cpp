#include "alerting/config.h"

#include <algorithm>
#include <functional>
#include <set>

#include "alerting/message_template.h"
#include "config/core_schema.h"
#include "config/duration.h"

namespace vigil::alerting {
namespace {

using config::PluginTable;
using Type = PluginTable::Type;

class Reader {
 public:
  Reader(const PluginTable& t, Problems& p) : t_(t), p_(p) {}

  PluginTable::Lookup find(const std::string& path) const { return t_.find(path); }
  void problem(const std::string& where, const std::string& what) { p_.push_back(where + ": " + what); }

  void check_keys(const std::string& path, const std::vector<std::string>& known, const std::string& what) {
    for (size_t i = 0;; ++i) {
      auto k = t_.key_at(path, i);
      if (!k) break;
      if (std::find(known.begin(), known.end(), *k) == known.end()) {
        const std::string key(*k);
        std::string list;
        for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
        problem(find(path.empty() ? key : path + "." + key).where,
                "unknown key \"" + key + "\" in " + what + " (known: " + list + ")");
      }
    }
  }

  bool string(const std::string& path, std::string& out) {
    auto l = find(path);
    if (l.type == Type::missing) return false;
    if (l.type != Type::string) {
      problem(l.where, "\"" + path + "\" must be a string");
      return false;
    }
    out = std::string(l.text);
    return true;
  }
  void boolean(const std::string& path, bool& out) {
    auto l = find(path);
    if (l.type == Type::missing) return;
    if (l.type != Type::boolean) return problem(l.where, "\"" + path + "\" must be true or false");
    out = l.boolean;
  }
  bool duration(const std::string& path, Duration& out) {
    std::string text;
    if (!string(path, text)) return false;
    auto d = config::parse_duration(text);
    if (!d.ok() || d.value().count() <= 0) {
      problem(find(path).where, "\"" + path + "\": " + (d.ok() ? "must be greater than zero" : d.message()));
      return false;
    }
    out = std::chrono::duration_cast<Duration>(d.value());
    return true;
  }
  bool strings(const std::string& path, std::vector<std::string>& out) {
    auto l = find(path);
    if (l.type == Type::missing) return false;
    if (l.type != Type::array) {
      problem(l.where, "\"" + path + "\" must be an array of strings");
      return false;
    }
    out.clear();
    for (size_t i = 0; i < l.count; ++i) {
      auto e = find(path + "[" + std::to_string(i) + "]");
      if (e.type != Type::string) {
        problem(e.where, "\"" + path + "\" must hold strings only");
        continue;
      }
      out.emplace_back(e.text);
    }
    return true;
  }
  Matchers matchers(const std::string& path) {
    Matchers out;
    std::vector<std::string> texts;
    if (!strings(path, texts)) return out;
    for (size_t i = 0; i < texts.size(); ++i) {
      auto m = parse_matchers(texts[i]);
      if (!m.ok()) {
        problem(find(path + "[" + std::to_string(i) + "]").where, m.message());
        continue;
      }
      for (auto& x : m.value()) out.push_back(std::move(x));
    }
    return out;
  }
  // The number of tables in an array of tables at path (0 when missing).
  size_t tables(const std::string& path, const std::string& example) {
    auto l = find(path);
    if (l.type == Type::missing) return 0;
    if (l.type != Type::array) {
      problem(l.where, "\"" + path + "\" must be an array of tables; write " + example);
      return 0;
    }
    for (size_t i = 0; i < l.count; ++i) {
      if (find(path + "[" + std::to_string(i) + "]").type != Type::table) {
        problem(l.where, "\"" + path + "\" must be an array of tables; write " + example);
        return 0;
      }
    }
    return l.count;
  }

 private:
  const PluginTable& t_;
  Problems& p_;
};

const std::vector<std::string> kRouteKeys = config::section_keys("alerting.route");

std::unique_ptr<Route> read_route(Reader& r, const std::string& path, const Route* parent, int depth) {
  auto route = std::make_unique<Route>();
  route->parent = parent;
  route->where = r.find(path).where;
  if (parent) route->options = parent->options;
  r.check_keys(path, kRouteKeys, "a route");
  r.string(path + ".receiver", route->options.receiver);
  std::vector<std::string> group_by;
  if (r.strings(path + ".group_by", group_by)) {
    route->options.group_by_all = std::find(group_by.begin(), group_by.end(), "...") != group_by.end();
    if (route->options.group_by_all && group_by.size() > 1)
      r.problem(r.find(path + ".group_by").where, "group_by = [\"...\"] (every label) can not list other labels too");
    route->options.group_by = route->options.group_by_all ? std::vector<std::string>{} : group_by;
  }
  r.duration(path + ".group_wait", route->options.group_wait);
  r.duration(path + ".group_interval", route->options.group_interval);
  r.duration(path + ".repeat_interval", route->options.repeat_interval);
  if (!parent) {
    for (const char* k : {"matchers", "continue", "mute_time_intervals", "active_time_intervals"})
      if (r.find(path + "." + k).type != Type::missing)
        r.problem(r.find(path + "." + k).where,
                  std::string("the root route matches every alert and can not set \"") + k + "\"");
    if (route->options.receiver.empty())
      r.problem(route->where, "the root route needs a receiver, e.g. receiver = \"default\"");
  } else {
    route->matchers = r.matchers(path + ".matchers");
    r.boolean(path + ".continue", route->continue_matching);
    std::vector<std::string> names;
    if (r.strings(path + ".mute_time_intervals", names)) route->options.mute_time_intervals = names;
    if (r.strings(path + ".active_time_intervals", names)) route->options.active_time_intervals = names;
  }
  if (depth > 32) {
    r.problem(route->where, "routes nest more than 32 levels deep");
    return route;
  }
  const size_t n = r.tables(path + ".routes", "[[" + path + ".routes]]");
  for (size_t i = 0; i < n; ++i)
    route->routes.push_back(read_route(r, path + ".routes[" + std::to_string(i) + "]", route.get(), depth + 1));
  return route;
}

void read_time_intervals(Reader& r, AlertingConfig& c) {
  const size_t n = r.tables("time_intervals", "[[alerting.time_intervals]]");
  for (size_t i = 0; i < n; ++i) {
    const std::string path = "time_intervals[" + std::to_string(i) + "]";
    r.check_keys(path, config::section_keys("alerting.time_intervals[]"), "a time interval");
    TimeInterval ti;
    if (!r.string(path + ".name", ti.name) || ti.name.empty()) {
      r.problem(r.find(path).where, "a time interval needs a name");
      continue;
    }
    if (c.time_interval(ti.name))
      r.problem(r.find(path + ".name").where, "duplicate time interval \"" + ti.name + "\"");
    const size_t m = r.tables(path + ".time_intervals", "[[alerting.time_intervals.time_intervals]]");
    for (size_t j = 0; j < m; ++j) {
      const std::string sp = path + ".time_intervals[" + std::to_string(j) + "]";
      r.check_keys(sp, config::section_keys("alerting.time_intervals[].time_intervals[]"), "a time interval spec");
      TimeIntervalText text;
      const size_t nt = r.tables(sp + ".times", "times = [{ start_time = \"09:00\", end_time = \"17:00\" }]");
      for (size_t k = 0; k < nt; ++k) {
        std::string start, end;
        const std::string tp = sp + ".times[" + std::to_string(k) + "]";
        r.check_keys(tp, config::section_keys("alerting.time_intervals[].time_intervals[].times[]"), "a time range");
        r.string(tp + ".start_time", start);
        r.string(tp + ".end_time", end);
        text.times.emplace_back(start, end);
      }
      r.strings(sp + ".weekdays", text.weekdays);
      r.strings(sp + ".days_of_month", text.days_of_month);
      r.strings(sp + ".months", text.months);
      r.strings(sp + ".years", text.years);
      r.string(sp + ".location", text.location);
      auto spec = parse_time_interval(text);
      if (!spec.ok())
        r.problem(r.find(sp).where, "time interval \"" + ti.name + "\": " + spec.message());
      else
        ti.specs.push_back(spec.value());
    }
    c.time_intervals.push_back(std::move(ti));
  }
}

}  // namespace

const ReceiverConfig* AlertingConfig::receiver(const std::string& name) const {
  for (const auto& r : receivers)
    if (r.name == name) return &r;
  return nullptr;
}

const TimeInterval* AlertingConfig::time_interval(const std::string& name) const {
  for (const auto& t : time_intervals)
    if (t.name == name) return &t;
  return nullptr;
}

AlertingConfigResult parse_alerting_config(const config::PluginTable& table,
                                           const std::vector<std::string>& notifier_aliases) {
  AlertingConfigResult out;
  AlertingConfig& c = out.config;
  Reader r(table, out.problems);
  r.check_keys("", config::section_keys("alerting"), "[alerting]");
  r.duration("retry_initial_interval", c.retry_initial_interval);
  r.duration("retry_max_interval", c.retry_max_interval);
  r.duration("retry_max_age", c.retry_max_age);
  r.duration("delivery_timeout", c.delivery_timeout);
  r.duration("history_retention", c.history_retention);
  if (auto l = r.find("history_max_events"); l.type != Type::missing) {
    if (l.type != Type::integer || l.integer < 1)
      r.problem(l.where, "\"history_max_events\" must be a whole number of at least 1");
    else
      c.history_max_events = l.integer;
  }
  for (auto [key, out] :
       {std::pair{"alert_limit", &c.alert_limit}, std::pair{"alerts_per_request_limit", &c.alerts_per_request_limit},
        std::pair{"label_limit", &c.label_limit}, std::pair{"label_name_length_limit", &c.label_name_length_limit},
        std::pair{"label_value_length_limit", &c.label_value_length_limit},
        std::pair{"annotations_size_limit", &c.annotations_size_limit}}) {
    if (auto l = r.find(key); l.type != Type::missing) {
      if (l.type != Type::integer || l.integer < 1)
        r.problem(l.where, "\"" + std::string(key) + "\" must be a whole number of at least 1");
      else
        *out = static_cast<size_t>(l.integer);
    }
  }
  r.duration("resolve_timeout", c.resolve_timeout);
  r.string("external_url", c.external_url);
  r.boolean("notify_resolved_when_silenced", c.notify_resolved_when_silenced);
  r.boolean("replica_dedup", c.replica_dedup);
  read_time_intervals(r, c);

  const size_t nr = r.tables("receivers", "[[alerting.receivers]]");
  for (size_t i = 0; i < nr; ++i) {
    const std::string path = "receivers[" + std::to_string(i) + "]";
    r.check_keys(path, config::section_keys("alerting.receivers[]"), "a receiver");
    ReceiverConfig rc;
    rc.where = r.find(path).where;
    if (!r.string(path + ".name", rc.name) || rc.name.empty()) {
      r.problem(rc.where, "a receiver needs a name");
      continue;
    }
    if (c.receiver(rc.name)) r.problem(r.find(path + ".name").where, "duplicate receiver \"" + rc.name + "\"");
    // Without the key, every notifier instance (as documented); `notifiers = []` is an explicit
    // receiver that sends nothing (a "blackhole", as in Alertmanager).
    if (r.find(path + ".notifiers").type == Type::missing)
      rc.notifiers = notifier_aliases;
    else
      r.strings(path + ".notifiers", rc.notifiers);
    r.boolean(path + ".send_resolved", rc.send_resolved);
    if (auto l = r.find(path + ".max_alerts"); l.type != Type::missing) {
      if (l.type != Type::integer || l.integer < 0)
        r.problem(l.where, "\"max_alerts\" must be a whole number, 0 for all");
      else
        rc.max_alerts = static_cast<size_t>(l.integer);
    }
    for (auto [key, out] :
         {std::pair{"title_template", &rc.title_template}, std::pair{"body_template", &rc.body_template}}) {
      if (!r.string(path + "." + key, *out)) continue;
      if (auto t = MessageTemplate::compile(*out); !t.ok()) r.problem(r.find(path + "." + key).where, t.message());
    }
    for (size_t k = 0; k < rc.notifiers.size(); ++k) {
      if (std::find(notifier_aliases.begin(), notifier_aliases.end(), rc.notifiers[k]) == notifier_aliases.end())
        r.problem(r.find(path + ".notifiers[" + std::to_string(k) + "]").where,
                  "receiver \"" + rc.name + "\" names notifier \"" + rc.notifiers[k] +
                      "\", but no [[notifiers.NAME]] instance has that alias");
    }
    c.receivers.push_back(std::move(rc));
  }
  if (c.receivers.empty()) {
    // No receivers configured: one receiver with every notifier instance.
    ReceiverConfig rc;
    rc.name = "default";
    rc.notifiers = notifier_aliases;
    c.receivers.push_back(std::move(rc));
  }

  std::shared_ptr<Route> root;
  if (r.find("route").type == Type::table) {
    root = read_route(r, "route", nullptr, 0);
  } else {
    if (r.find("route").type != Type::missing)
      r.problem(r.find("route").where, "\"route\" must be a table [alerting.route]");
    root = std::make_shared<Route>();
    root->options.receiver = c.receivers.front().name;
    root->options.group_by = {"alertname"};
  }
  // Every receiver and time interval a route names must exist.
  std::function<void(const Route&)> check = [&](const Route& rt) {
    if (!rt.options.receiver.empty() && !c.receiver(rt.options.receiver))
      r.problem(rt.where, "route names receiver \"" + rt.options.receiver +
                              "\", which is not defined (add [[alerting.receivers]] name = \"" + rt.options.receiver +
                              "\")");
    for (const auto* list : {&rt.options.mute_time_intervals, &rt.options.active_time_intervals})
      for (const auto& name : *list)
        if (!c.time_interval(name))
          r.problem(rt.where,
                    "route names time interval \"" + name + "\", which is not defined in [[alerting.time_intervals]]");
    for (const auto& child : rt.routes) check(*child);
  };
  check(*root);
  c.route = root;

  const size_t ni = r.tables("inhibit_rules", "[[alerting.inhibit_rules]]");
  for (size_t i = 0; i < ni; ++i) {
    const std::string path = "inhibit_rules[" + std::to_string(i) + "]";
    r.check_keys(path, config::section_keys("alerting.inhibit_rules[]"), "an inhibit rule");
    InhibitRule ir;
    r.string(path + ".name", ir.name);
    ir.source = r.matchers(path + ".source_matchers");
    ir.target = r.matchers(path + ".target_matchers");
    r.strings(path + ".equal", ir.equal);
    if (ir.source.empty() || ir.target.empty()) {
      r.problem(r.find(path).where, "an inhibit rule needs source_matchers and target_matchers");
      continue;
    }
    c.inhibit_rules.push_back(std::move(ir));
  }
  return out;
}

}  // namespace vigil::alerting
