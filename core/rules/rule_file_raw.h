// Private to the rules module: a rule file as read from YAML or TOML, before validation. Each
// reader checks only what its syntax decides (node kinds, unknown keys); everything else about a
// rule is checked once, in rule_file.cpp, so both forms give the same answers and messages.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "rules/rule_file.h"

namespace vigil::rules::raw {

struct Text {
  std::string value;
  std::string where;  // file:line:col of the value
};

using TextMap = std::vector<std::pair<Text, Text>>;  // key (with its location) -> value

struct Rule {
  std::string where;
  std::optional<Text> alert, record, expr, for_duration, keep_firing_for;
  std::optional<TextMap> labels, annotations;
};

struct Group {
  std::string where;
  std::optional<Text> name, interval, query_offset;
  std::optional<int64_t> limit;
  std::optional<TextMap> labels;
  bool has_rules = false;
  std::vector<Rule> rules;
};

struct File {
  std::vector<Group> groups;
};

inline const std::vector<std::string>& group_keys() {
  static const std::vector<std::string> k{"name", "interval", "limit", "rules", "query_offset", "labels"};
  return k;
}
inline const std::vector<std::string>& rule_keys() {
  static const std::vector<std::string> k{"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"};
  return k;
}

// Each reader fills `file` and adds syntax problems; an unreadable document leaves it empty.
void read_yaml(const std::string& text, const std::string& name, File& file, Problems& problems);
void read_toml(const std::string& text, const std::string& name, File& file, Problems& problems);

}  // namespace vigil::rules::raw
