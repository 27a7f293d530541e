#include "rules/rule_file.h"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "config/bounded_read.h"
#include "metrics/sample.h"
#include "rules/promql_parser.h"
#include "rules/rule_file_raw.h"

namespace vigil::rules {
namespace {

std::chrono::milliseconds duration(const std::optional<raw::Text>& t, const char* key, Problems& p) {
  if (!t) return std::chrono::milliseconds(0);
  auto d = parse_promql_duration(t->value);
  if (!d.ok()) {
    p.push_back(t->where + ": \"" + key + "\": " + d.message());
    return std::chrono::milliseconds(0);
  }
  return d.value();
}

std::vector<std::pair<std::string, std::string>> string_map(const std::optional<raw::TextMap>& m, bool label_names,
                                                            Problems& p) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!m) return out;
  for (const auto& [k, v] : *m) {
    if (label_names) {
      if (auto st = metrics::validate_label_name(k.value); !st.ok()) p.push_back(k.where + ": " + st.message());
    }
    out.emplace_back(k.value, v.value);
  }
  return out;
}

// Group labels apply to every rule; a rule's own label of the same name wins (as in Prometheus).
void add_group_labels(std::vector<std::pair<std::string, std::string>>& rule_labels,
                      const std::vector<std::pair<std::string, std::string>>& group_labels) {
  for (const auto& [k, v] : group_labels) {
    const bool own = std::any_of(rule_labels.begin(), rule_labels.end(), [&](const auto& l) { return l.first == k; });
    if (!own) rule_labels.emplace_back(k, v);
  }
}

std::optional<RuleSpec> validate_rule(const raw::Rule& r, Problems& p) {
  RuleSpec rule;
  rule.where = r.where;
  if (r.alert) rule.alert = r.alert->value;
  if (r.record) rule.record = r.record->value;
  if (rule.alert.empty() == rule.record.empty()) {
    p.push_back(rule.where + ": a rule needs exactly one of \"alert\" or \"record\"");
    return std::nullopt;
  }
  if (r.record) {
    if (auto st = metrics::validate_metric_name(rule.record); !st.ok())
      p.push_back(r.record->where + ": " + st.message());
    if (r.for_duration || r.keep_firing_for || r.annotations)
      p.push_back(rule.where + ": recording rule \"" + rule.record +
                  "\" can not have for, keep_firing_for or annotations");
  }
  if (!r.expr) {
    p.push_back(rule.where + ": rule needs an \"expr\"");
    return std::nullopt;
  }
  rule.expr_text = r.expr->value;
  auto parsed = parse_expr(rule.expr_text);
  if (!parsed.ok()) {
    // The caret position inside the message is relative to the expression's own text.
    p.push_back(r.expr->where + ": in expr: " + parsed.message());
    return std::nullopt;
  }
  rule.expr = parsed.value();
  if (rule.expr->type != ValueType::vector && rule.expr->type != ValueType::scalar)
    p.push_back(r.expr->where + ": rule expressions must be an instant vector or a scalar, not a " +
                value_type_name(rule.expr->type));
  rule.for_duration = duration(r.for_duration, "for", p);
  rule.keep_firing_for = duration(r.keep_firing_for, "keep_firing_for", p);
  rule.labels = string_map(r.labels, true, p);
  rule.annotations = string_map(r.annotations, false, p);
  return rule;
}

RuleFileResult validate(const raw::File& file, const std::string& name, Problems problems) {
  RuleFileResult out;
  out.problems = std::move(problems);
  auto& p = out.problems;
  std::set<std::string> names;
  for (const auto& g : file.groups) {
    RuleGroupSpec group;
    group.file = name;
    if (!g.name || g.name->value.empty()) {
      p.push_back(g.where + ": a rule group needs a name");
      continue;
    }
    group.name = g.name->value;
    if (!names.insert(group.name).second) p.push_back(g.name->where + ": duplicate group name \"" + group.name + "\"");
    group.interval = duration(g.interval, "interval", p);
    group.query_offset = duration(g.query_offset, "query_offset", p);
    if (g.limit) {
      if (*g.limit < 0) p.push_back(g.where + ": \"limit\" must be 0 (no limit) or more");
      group.limit = std::max<int64_t>(0, *g.limit);
    }
    const auto group_labels = string_map(g.labels, true, p);
    if (!g.has_rules) {
      p.push_back(g.where + ": group \"" + group.name + "\" needs a \"rules\" list");
      continue;
    }
    for (const auto& r : g.rules) {
      if (auto rule = validate_rule(r, p)) {
        add_group_labels(rule->labels, group_labels);
        group.rules.push_back(std::move(*rule));
      }
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

bool is_toml_name(const std::string& name) {
  return name.size() >= 5 && name.compare(name.size() - 5, 5, ".toml") == 0;
}

}  // namespace

RuleFileResult parse_rule_yaml(const std::string& text, const std::string& name) {
  raw::File file;
  Problems problems;
  raw::read_yaml(text, name, file, problems);
  return validate(file, name, std::move(problems));
}

RuleFileResult parse_rule_toml(const std::string& text, const std::string& name) {
  raw::File file;
  Problems problems;
  raw::read_toml(text, name, file, problems);
  return validate(file, name, std::move(problems));
}

RuleFileResult load_rule_files(const std::vector<std::string>& globs, const std::string& base_dir) {
  RuleFileResult out;
  std::set<std::string> names;
  for (const auto& g : globs) {
    const std::string pattern = (!g.empty() && g[0] != '/' && !base_dir.empty()) ? base_dir + "/" + g : g;
    glob_t gl{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &gl);
    if (rc != 0) {
      out.problems.push_back("rule_files: \"" + g + "\" matches no file (looked for " + pattern + ")");
      globfree(&gl);
      continue;
    }
    std::vector<std::string> files(gl.gl_pathv, gl.gl_pathv + gl.gl_pathc);
    globfree(&gl);
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto r = load_rule_file(f);
      for (auto& p : r.problems) out.problems.push_back(std::move(p));
      for (auto& grp : r.groups) {
        if (!names.insert(grp.name).second)
          out.problems.push_back(f + ": group \"" + grp.name + "\" is also defined in another rule file");
        out.groups.push_back(std::move(grp));
      }
    }
  }
  return out;
}

RuleFileResult load_rule_file(const std::string& path) {
  auto text = config::read_bounded_file(path, config::kMaxConfigFileBytes, "rule file");
  if (!text.ok()) {
    RuleFileResult r;
    r.problems.push_back(text.message() + " (listed in [rules] files)");
    return r;
  }
  return is_toml_name(path) ? parse_rule_toml(text.value(), path) : parse_rule_yaml(text.value(), path);
}

}  // namespace vigil::rules
