// Prometheus' YAML rule file syntax -> raw::File.
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "rules/rule_file_raw.h"

namespace vigil::rules::raw {
namespace {

class YamlReader {
 public:
  YamlReader(const std::string& file, Problems& p) : file_(file), p_(p) {}

  std::string where(const YAML::Mark& m) const {
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  void check_keys(const YAML::Node& n, const std::vector<std::string>& known, const std::string& what) {
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), k) == known.end())
        p_.push_back(where(kv.first.Mark()) + ": unknown field \"" + k + "\" in " + what);
    }
  }

  std::optional<Text> text(const YAML::Node& n, const char* key) {
    const YAML::Node v = n[key];
    if (!v) return std::nullopt;
    if (!v.IsScalar()) {
      p_.push_back(where(v.Mark()) + ": \"" + key + "\" must be a string");
      return std::nullopt;
    }
    return Text{v.Scalar(), where(v.Mark())};
  }

  std::optional<TextMap> text_map(const YAML::Node& n, const char* key) {
    const YAML::Node m = n[key];
    if (!m || m.IsNull()) return std::nullopt;
    if (!m.IsMap()) {
      p_.push_back(where(m.Mark()) + ": \"" + key + "\" must be a map of strings");
      return std::nullopt;
    }
    TextMap out;
    for (const auto& kv : m) {
      const std::string k = kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        p_.push_back(where(kv.second.Mark()) + ": \"" + key + "." + k + "\" must be a string");
        continue;
      }
      out.emplace_back(Text{k, where(kv.first.Mark())}, Text{kv.second.Scalar(), where(kv.second.Mark())});
    }
    return out;
  }

  void read(const YAML::Node& root, File& file) {
    if (!root || root.IsNull()) return;
    if (!root.IsMap() || !root["groups"]) {
      p_.push_back(file_ + ":1:1: a rule file is a map with a \"groups\" list (Prometheus rule file format)");
      return;
    }
    check_keys(root, {"groups"}, "the rule file");
    const YAML::Node groups = root["groups"];
    if (!groups.IsSequence()) {
      p_.push_back(where(groups.Mark()) + ": \"groups\" must be a list");
      return;
    }
    for (const auto& g : groups) {
      Group group;
      group.where = where(g.Mark());
      if (!g.IsMap()) {
        p_.push_back(group.where + ": a rule group must be a map (name, interval, rules)");
        continue;
      }
      check_keys(g, group_keys(), "a rule group");
      group.name = text(g, "name");
      group.interval = text(g, "interval");
      if (const YAML::Node l = g["limit"]) {
        try {
          group.limit = l.as<int64_t>();
        } catch (const YAML::Exception&) {
          p_.push_back(where(l.Mark()) + ": \"limit\" must be a whole number");
        }
      }
      group.query_offset = text(g, "query_offset");
      group.labels = text_map(g, "labels");
      const YAML::Node rules = g["rules"];
      group.has_rules = rules && rules.IsSequence();
      if (group.has_rules) {
        for (const auto& r : rules) {
          Rule rule;
          rule.where = where(r.Mark());
          if (!r.IsMap()) {
            p_.push_back(rule.where + ": a rule must be a map (alert or record, expr, ...)");
            continue;
          }
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
      }
      file.groups.push_back(std::move(group));
    }
  }

 private:
  const std::string& file_;
  Problems& p_;
};

}  // namespace

void read_yaml(const std::string& text, const std::string& name, File& file, Problems& problems) {
  YamlReader reader(name, problems);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    problems.push_back(reader.where(e.mark) + ": invalid YAML: " + e.msg);
    return;
  }
  reader.read(root, file);
}

}  // namespace vigil::rules::raw
