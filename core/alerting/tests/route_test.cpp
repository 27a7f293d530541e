#include <catch2/catch_test_macros.hpp>
#include <map>

#include "alerting/config.h"
#include "config/core_schema.h"
#include "config/toml_loader.h"

using namespace vigil::alerting;

namespace {

AlertingConfigResult parse(const std::string& toml, std::vector<std::string> notifiers = {"log", "pager", "mail"}) {
  auto loaded = vigil::config::load_config_text(toml, "a.toml");
  INFO((loaded.problems.empty() ? "" : loaded.problems[0]));
  REQUIRE(loaded.problems.empty());
  return parse_alerting_config(loaded.settings.alerting, notifiers);
}

bool has(const vigil::Problems& ps, const std::string& needle) {
  for (const auto& p : ps)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

std::vector<std::string> receivers(const AlertingConfig& c, const LabelSet& l) {
  std::vector<std::string> out;
  for (const auto* r : c.route->match(l)) out.push_back(r->options.receiver);
  return out;
}

const char* kTree = R"(
[alerting.route]
receiver = "default"
group_by = ["alertname"]
group_wait = "10s"

[[alerting.route.routes]]
matchers = ['severity="critical"']
receiver = "pager"
continue = true
group_by = ["..."]

[[alerting.route.routes]]
matchers = ['team=~"db|web"']
receiver = "team"
repeat_interval = "1h"

[[alerting.route.routes.routes]]
matchers = ['env="staging"']
receiver = "mail"

[[alerting.route.routes]]
matchers = ['severity="critical"']
receiver = "never"

[[alerting.receivers]]
name = "default"
notifiers = ["log"]
[[alerting.receivers]]
name = "pager"
notifiers = ["pager"]
[[alerting.receivers]]
name = "team"
notifiers = ["mail"]
[[alerting.receivers]]
name = "mail"
notifiers = ["mail"]
[[alerting.receivers]]
name = "never"
notifiers = ["log"]
)";

}  // namespace

TEST_CASE("the routing tree: first match, continue, fallback to the parent, inheritance", "[alerting]") {
  auto r = parse(kTree);
  INFO((r.problems.empty() ? "" : r.problems[0]));
  REQUIRE(r.problems.empty());
  const auto& c = r.config;
  CHECK(receivers(c, {{"alertname", "A"}}) == std::vector<std::string>{"default"});
  CHECK(receivers(c, {{"alertname", "A"}, {"team", "db"}}) == std::vector<std::string>{"team"});
  CHECK(receivers(c, {{"env", "staging"}, {"team", "web"}}) == std::vector<std::string>{"mail"});
  // continue: the critical route matches and matching goes on; the team route stops it, so
  // the later "never" route is not reached.
  CHECK(receivers(c, {{"severity", "critical"}, {"team", "db"}}) == std::vector<std::string>{"pager", "team"});
  CHECK(receivers(c, {{"severity", "critical"}}) == std::vector<std::string>{"pager", "never"});

  const auto routes = c.route->match({{"alertname", "A"}, {"team", "db"}, {"env", "staging"}});
  REQUIRE(routes.size() == 1);
  const Route& staging = *routes[0];
  CHECK(staging.options.group_wait == std::chrono::seconds(10));     // from the root
  CHECK(staging.options.repeat_interval == std::chrono::hours(1));   // from its parent
  CHECK(staging.options.group_interval == std::chrono::minutes(5));  // Alertmanager's default
  CHECK(staging.key() == "{}/{team=~\"db|web\"}/{env=\"staging\"}");
  const LabelSet alert{{"alertname", "A"}, {"env", "staging"}, {"team", "db"}};
  CHECK(staging.group_key(staging.group_labels(alert)) == "{}/{team=~\"db|web\"}/{env=\"staging\"}:{alertname=\"A\"}");
  const auto critical = c.route->match({{"severity", "critical"}, {"x", "1"}});
  CHECK(critical[0]->group_labels({{"severity", "critical"}, {"x", "1"}}).size() == 2);  // "..." = every label
}

TEST_CASE("alerting config errors say where and what to write", "[alerting]") {
  auto r = parse(R"(
[alerting]
resolve_timout = "5m"
[alerting.route]
receiver = "nobody"
matchers = ['a="b"']
[[alerting.route.routes]]
matchers = ['severity=="x"']
receiver = "default"
mute_time_intervals = ["nights"]
group_wait = "soon"
[[alerting.receivers]]
name = "default"
notifiers = ["pagr"]
[[alerting.inhibit_rules]]
source_matchers = ['severity="critical"']
[[alerting.time_intervals]]
name = "weekend"
[[alerting.time_intervals.time_intervals]]
weekdays = ["saturday:sundae"]
)");
  CHECK(has(r.problems, "a.toml:3:18: unknown key \"resolve_timout\" in [alerting]"));
  CHECK(has(r.problems, "the root route matches every alert and can not set \"matchers\""));
  CHECK(has(r.problems, "route names receiver \"nobody\", which is not defined"));
  CHECK(has(r.problems, "a.toml:8:13: invalid matcher \"severity==\"x\"\" at column 9: use = (not ==)"));
  CHECK(has(r.problems, "route names time interval \"nights\", which is not defined"));
  CHECK(has(r.problems, "\"route.routes[0].group_wait\": "));
  CHECK(has(r.problems, "names notifier \"pagr\", but no [[notifiers.NAME]] instance has that alias"));
  CHECK(has(r.problems, "an inhibit rule needs source_matchers and target_matchers"));
  CHECK(has(r.problems, "time interval \"weekend\": weekdays: \"sundae\" is not a day of the week"));
}

TEST_CASE("without [alerting], every notifier gets every alert grouped by alertname", "[alerting]") {
  auto r = parse("", {"log"});
  REQUIRE(r.problems.empty());
  REQUIRE(r.config.receivers.size() == 1);
  CHECK(r.config.receivers[0].notifiers == std::vector<std::string>{"log"});
  CHECK(r.config.route->options.receiver == "default");
  CHECK(r.config.route->options.group_by == std::vector<std::string>{"alertname"});
}

// The [alerting] part of the core schema (what `vigil config-reference` documents): every key it
// lists is read and type-checked here, so the reference can not list a key nobody reads.
TEST_CASE("every [alerting] key of the core schema is read and type-checked") {
  // A valid minimal document around each section, with {KEY} replaced by the key under test.
  const std::map<std::string_view, std::string> around = {
      {"alerting", "[alerting]\n{KEY}\n"},
      {"alerting.route", "[alerting.route]\nreceiver = \"r\"\n{KEY}\n[[alerting.receivers]]\nname = \"r\"\n"},
      {"alerting.receivers[]", "[[alerting.receivers]]\nname = \"r\"\n{KEY}\n"},
      {"alerting.inhibit_rules[]", "[[alerting.inhibit_rules]]\nname = \"i\"\n{KEY}\n"},
      {"alerting.time_intervals[]", "[[alerting.time_intervals]]\nname = \"t\"\n{KEY}\n"},
      {"alerting.time_intervals[].time_intervals[]",
       "[[alerting.time_intervals]]\nname = \"t\"\n[[alerting.time_intervals.time_intervals]]\n{KEY}\n"},
      {"alerting.time_intervals[].time_intervals[].times[]",
       "[[alerting.time_intervals]]\nname = \"t\"\n[[alerting.time_intervals.time_intervals]]\n"
       "[[alerting.time_intervals.time_intervals.times]]\n{KEY}\n"},
  };
  size_t checked = 0;
  for (const auto& s : vigil::config::core_schema()) {
    const auto it = around.find(s.id);
    if (it == around.end()) {
      CHECK_FALSE(s.id.starts_with("alerting"));  // every alerting section has a test document
      continue;
    }
    for (const auto& k : s.keys) {
      const bool table = k.type == "table" || k.type == "array of tables" || k.type == "table of strings";
      std::string doc = it->second;
      // The key under test replaces the document's own line for it (receiver, name).
      if (const auto at = doc.find("\n" + std::string(k.key) + " = "); at != std::string::npos)
        doc.erase(at, doc.find('\n', at + 1) - at);
      doc.replace(doc.find("{KEY}"), 5, std::string(k.key) + " = " + (table ? "1" : "{ wrong = 1 }"));
      auto loaded = vigil::config::load_config_text(doc, "a.toml");
      INFO(doc << (loaded.problems.empty() ? "" : loaded.problems[0]));
      REQUIRE(loaded.problems.empty());
      const auto r = parse_alerting_config(loaded.settings.alerting, {"log"});
      std::string all;
      for (const auto& p : r.problems) all += p + "\n";
      INFO(s.title << " " << k.key << ":\n" << doc << "\n" << all);
      CHECK(all.find(std::string(k.key)) != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 30);
}
