// The TOML form of a rule file -> raw::File. Same structure as Prometheus' YAML:
//   [[groups]]            name, interval, limit, query_offset, labels
//   [[groups.rules]]      alert | record, expr, for, keep_firing_for, labels, annotations
#include <toml++/toml.h>

#include <algorithm>

#include "config/nesting_limit.h"
#include "rules/rule_file_raw.h"

namespace vigil::rules::raw {
namespace {

class TomlReader {
 public:
  TomlReader(const std::string& file, Problems& p) : file_(file), p_(p) {}

  std::string where(const toml::source_region& src) const {
    return file_ + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  }

  void check_keys(const toml::table& t, const std::vector<std::string>& known, const std::string& what) {
    for (auto&& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(known.begin(), known.end(), key) == known.end())
        p_.push_back(where(k.source()) + ": unknown field \"" + key + "\" in " + what);
    }
  }

  std::optional<Text> text(const toml::table& t, const char* key) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) {
      p_.push_back(where(n->source()) + ": \"" + key + "\" must be a string");
      return std::nullopt;
    }
    return Text{n->as_string()->get(), where(n->source())};
  }

  std::optional<TextMap> text_map(const toml::table& t, const char* key) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (!n->is_table()) {
      p_.push_back(where(n->source()) + ": \"" + key + "\" must be a table of strings");
      return std::nullopt;
    }
    TextMap out;
    for (auto&& [k, v] : *n->as_table()) {
      const std::string name(k.str());
      if (!v.is_string()) {
        p_.push_back(where(v.source()) + ": \"" + key + "." + name + "\" must be a string");
        continue;
      }
      out.emplace_back(Text{name, where(k.source())}, Text{v.as_string()->get(), where(v.source())});
    }
    return out;
  }

  void read(const toml::table& root, File& file) {
    if (root.empty()) return;
    check_keys(root, {"groups"}, "the rule file");
    const toml::node* groups = root.get("groups");
    if (!groups || !groups->is_array_of_tables()) {
      p_.push_back(file_ + ":1:1: a TOML rule file is a list of [[groups]] tables, each with [[groups.rules]]");
      return;
    }
    for (const toml::node& gn : *groups->as_array()) {
      const toml::table& g = *gn.as_table();
      Group group;
      group.where = where(g.source());
      check_keys(g, group_keys(), "a rule group");
      group.name = text(g, "name");
      group.interval = text(g, "interval");
      group.query_offset = text(g, "query_offset");
      group.labels = text_map(g, "labels");
      if (const toml::node* l = g.get("limit")) {
        if (auto v = l->value<int64_t>())
          group.limit = *v;
        else
          p_.push_back(where(l->source()) + ": \"limit\" must be a whole number");
      }
      const toml::node* rules = g.get("rules");
      group.has_rules = rules && rules->is_array_of_tables();
      if (rules && !group.has_rules && !(rules->is_array() && rules->as_array()->empty()))
        p_.push_back(where(rules->source()) + ": \"rules\" must be a list of [[groups.rules]] tables");
      if (group.has_rules) {
        for (const toml::node& rn : *rules->as_array()) {
          const toml::table& r = *rn.as_table();
          Rule rule;
          rule.where = where(r.source());
          check_keys(r, rule_keys(), "a rule");
          rule.alert = text(r, "alert");
          rule.record = text(r, "record");
          rule.expr = text(r, "expr");
          rule.for_duration = text(r, "for");
          rule.keep_firing_for = text(r, "keep_firing_for");
          rule.labels = text_map(r, "labels");
          rule.annotations = text_map(r, "annotations");
          group.rules.push_back(std::move(rule));
        }
      } else if (rules) {
        group.has_rules = true;  // an empty list
      }
      file.groups.push_back(std::move(group));
    }
  }

 private:
  const std::string& file_;
  Problems& p_;
};

}  // namespace

void read_toml(const std::string& text, const std::string& name, File& file, Problems& problems) {
  TomlReader reader(name, problems);
  toml::table root;
  if (auto deep = config::toml_too_deep(text, name)) {
    problems.push_back(*deep);
    return;
  }
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    problems.push_back(reader.where(e.source()) + ": invalid TOML: " + std::string(e.description()));
    return;
  }
  reader.read(root, file);
}

}  // namespace vigil::rules::raw
