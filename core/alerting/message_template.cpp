#include "alerting/message_template.h"

#include <kainjow/mustache.hpp>

#include <algorithm>

#include "alerting/notification_json.h"
#include "metrics/sample.h"

namespace vigil::alerting {
namespace {

namespace mu = kainjow::mustache;

template <class Pairs>
mu::data pairs(const Pairs& p) {
  mu::data list{mu::data::type::list};
  for (const auto& [k, v] : p) {
    mu::data item;
    item.set("name", k);
    item.set("value", v);
    list.push_back(item);
  }
  return list;
}

template <class Pairs>
std::string get(const Pairs& p, const std::string& key) {
  for (const auto& [k, v] : p)
    if (k == key) return v;
  return "";
}

// What the templates at hand use, so large notifications skip building lists nobody reads.
struct Needs {
  bool alerts = true, firing = true, resolved = true, labels = true, annotations = true;
  static Needs of(const std::string& text) {
    auto uses = [&](const char* name) {
      return text.find(std::string("{{#") + name) != std::string::npos ||
             text.find(std::string("{{^") + name) != std::string::npos;
    };
    Needs n;
    n.alerts = uses("alerts");
    n.firing = uses("firing");
    n.resolved = uses("resolved");
    n.labels = uses("labels");
    n.annotations = uses("annotations");
    return n;
  }
  Needs operator|(const Needs& o) const {
    return {alerts || o.alerts, firing || o.firing, resolved || o.resolved, labels || o.labels,
            annotations || o.annotations};
  }
};

mu::data alert_data(const NotifiedAlert& na, const Needs& needs) {
  const Alert& a = na.alert;
  mu::data d;
  d.set("status", na.firing ? "firing" : "resolved");
  d.set("alertname", get(a.labels, "alertname"));
  d.set("severity", get(a.labels, "severity"));
  d.set("summary", get(a.annotations, "summary"));
  d.set("description", get(a.annotations, "description"));
  if (needs.labels) d.set("labels", pairs(a.labels));
  if (needs.annotations) d.set("annotations", pairs(a.annotations));
  std::string text;
  for (const auto& [k, v] : a.labels)
    if (k != "alertname") text += (text.empty() ? "" : ", ") + k + "=" + v;
  d.set("labelsText", text);
  d.set("startsAt", rfc3339(a.starts_at));
  d.set("endsAt", na.firing ? std::string() : rfc3339(a.ends_at));
  d.set("fingerprint", fingerprint_hex(a.fp()));
  d.set("generatorURL", a.generator_url);
  d.set("value", a.value ? metrics::format_float(*a.value) : std::string());
  d.set("ackedBy", na.ack ? na.ack->author : std::string());
  d.set("ackComment", na.ack ? na.ack->comment : std::string());
  d.set("silenced", na.silenced_by.empty() ? mu::data(false) : mu::data(true));
  return d;
}

mu::data notification_data(const Notification& n, const Needs& needs) {
  mu::data d;
  const size_t firing = n.firing_count();
  d.set("status", n.firing() ? "firing" : "resolved");
  d.set("statusText", n.firing() ? "FIRING:" + std::to_string(firing) : std::string("RESOLVED"));
  d.set("receiver", n.receiver);
  d.set("reason", n.reason);
  d.set("groupKey", n.group_key);
  d.set("externalURL", n.external_url);
  d.set("consoleURL", n.console_url());
  d.set("firingCount", std::to_string(firing));
  d.set("resolvedCount", std::to_string(n.alerts.size() - firing));
  std::string group_values, other_values;
  for (const auto& [k, v] : n.group_labels) group_values += (group_values.empty() ? "" : " ") + v;
  for (const auto& [k, v] : n.common_labels) {
    const bool grouped =
        std::any_of(n.group_labels.begin(), n.group_labels.end(), [&](const auto& g) { return g.first == k; });
    if (!grouped) other_values += (other_values.empty() ? "" : " ") + v;
  }
  d.set("groupLabelValues", group_values);
  d.set("otherCommonLabelValues", other_values);
  d.set("groupLabels", pairs(n.group_labels));
  d.set("commonLabels", pairs(n.common_labels));
  d.set("commonAnnotations", pairs(n.common_annotations));
  mu::data all{mu::data::type::list}, fl{mu::data::type::list}, rl{mu::data::type::list};
  if (needs.alerts || needs.firing || needs.resolved) {
    for (const auto& na : n.alerts) {
      mu::data a = alert_data(na, needs);
      if (na.firing ? needs.firing : needs.resolved) (na.firing ? fl : rl).push_back(a);
      if (needs.alerts) all.push_back(a);
    }
  }
  d.set("alerts", all);
  d.set("firing", fl);
  d.set("resolved", rl);
  return d;
}

}  // namespace

const char* const kDefaultTitleTemplate =
    "[{{statusText}}] {{groupLabelValues}}{{#otherCommonLabelValues}} ({{otherCommonLabelValues}}){{/"
    "otherCommonLabelValues}}";

const char* const kDefaultBodyTemplate =
    "{{#alerts}}"
    "[{{status}}] {{alertname}}{{#severity}} ({{severity}}){{/severity}}{{#summary}}: {{summary}}{{/summary}}\n"
    "{{#description}}  {{description}}\n{{/description}}"
    "  {{labelsText}}\n"
    "  since {{startsAt}}{{#endsAt}}, resolved {{endsAt}}{{/endsAt}}{{#value}}, value {{value}}{{/value}}"
    "{{#ackedBy}}, acknowledged by {{ackedBy}}{{/ackedBy}}\n"
    "{{/alerts}}"
    "{{#consoleURL}}Open in vigil: {{consoleURL}}\n{{/consoleURL}}";

Result<std::shared_ptr<const MessageTemplate>> MessageTemplate::compile(const std::string& text) {
  mu::mustache m(text);
  if (!m.is_valid()) return Status::error("invalid template: " + m.error_message());
  auto t = std::make_shared<MessageTemplate>();
  t->text_ = text;
  return std::shared_ptr<const MessageTemplate>(std::move(t));
}

namespace {
std::string render_with(const std::string& text, const mu::data& d) {
  mu::mustache m(text);
  m.set_custom_escape([](const std::string& s) { return s; });
  return m.render(d);
}
}  // namespace

std::string MessageTemplate::render(const Notification& n) const {
  return render_with(text_, notification_data(n, Needs::of(text_)));
}

std::pair<std::string, std::string> render_message(const MessageTemplate& title, const MessageTemplate& body,
                                                   const Notification& n) {
  const mu::data d = notification_data(n, Needs::of(title.text_) | Needs::of(body.text_));
  return {render_with(title.text_, d), render_with(body.text_, d)};
}

}  // namespace vigil::alerting
