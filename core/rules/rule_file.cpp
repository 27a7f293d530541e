#include "rules/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "metrics/sample.h"
#include "rules/promql_parser.h"

namespace vigil::rules {
namespace {

std::string where(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void check_keys(const YAML::Node& n, const std::vector<std::string>& known, const std::string& file,
                const std::string& what, Problems& p) {
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), k) == known.end())
      p.push_back(where(file, kv.first.Mark()) + ": unknown field \"" + k + "\" in " + what);
  }
}

std::vector<std::pair<std::string, std::string>> string_map(const YAML::Node& n, const std::string& file,
                                                            const std::string& what, Problems& p, bool label_names) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n) return out;
  if (!n.IsMap()) {
    p.push_back(where(file, n.Mark()) + ": \"" + what + "\" must be a map of strings");
    return out;
  }
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (label_names) {
      if (auto st = metrics::validate_label_name(k); !st.ok())
        p.push_back(where(file, kv.first.Mark()) + ": " + st.message());
    }
    if (!kv.second.IsScalar()) {
      p.push_back(where(file, kv.second.Mark()) + ": \"" + what + "." + k + "\" must be a string");
      continue;
    }
    out.emplace_back(k, kv.second.as<std::string>());
  }
  return out;
}

std::chrono::milliseconds duration(const YAML::Node& n, const std::string& file, const char* key, Problems& p) {
  if (!n) return std::chrono::milliseconds(0);
  auto d = parse_promql_duration(n.as<std::string>());
  if (!d.ok()) {
    p.push_back(where(file, n.Mark()) + ": \"" + key + "\": " + d.message());
    return std::chrono::milliseconds(0);
  }
  return d.value();
}

// The expression's text starts at the node's mark; a caret error is mapped to its line.
std::string expr_error(const std::string& file, const YAML::Node& n, const std::string& message) {
  return where(file, n.Mark()) + ": in expr: " + message;
}

}  // namespace

RuleFileResult parse_rule_yaml(const std::string& text, const std::string& file) {
  RuleFileResult out;
  auto& p = out.problems;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    p.push_back(where(file, e.mark) + ": invalid YAML: " + e.msg);
    return out;
  }
  if (!root || root.IsNull()) return out;
  if (!root.IsMap() || !root["groups"]) {
    p.push_back(file + ":1:1: a rule file is a map with a \"groups\" list (Prometheus rule file format)");
    return out;
  }
  check_keys(root, {"groups"}, file, "the rule file", p);
  const YAML::Node groups = root["groups"];
  if (!groups.IsSequence()) {
    p.push_back(where(file, groups.Mark()) + ": \"groups\" must be a list");
    return out;
  }
  std::set<std::string> names;
  for (const auto& g : groups) {
    RuleGroupSpec group;
    group.file = file;
    check_keys(g, {"name", "interval", "limit", "rules", "query_offset", "labels"}, file, "a rule group", p);
    if (!g["name"] || g["name"].as<std::string>().empty()) {
      p.push_back(where(file, g.Mark()) + ": a rule group needs a name");
      continue;
    }
    group.name = g["name"].as<std::string>();
    if (!names.insert(group.name).second)
      p.push_back(where(file, g["name"].Mark()) + ": duplicate group name \"" + group.name + "\"");
    group.interval = duration(g["interval"], file, "interval", p);
    if (g["limit"]) group.limit = g["limit"].as<int64_t>();
    const YAML::Node rules = g["rules"];
    if (!rules || !rules.IsSequence()) {
      p.push_back(where(file, g.Mark()) + ": group \"" + group.name + "\" needs a \"rules\" list");
      continue;
    }
    for (const auto& r : rules) {
      RuleSpec rule;
      rule.where = where(file, r.Mark());
      check_keys(r, {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}, file, "a rule", p);
      if (r["alert"]) rule.alert = r["alert"].as<std::string>();
      if (r["record"]) rule.record = r["record"].as<std::string>();
      if (rule.alert.empty() == rule.record.empty()) {
        p.push_back(rule.where + ": a rule needs exactly one of \"alert\" or \"record\"");
        continue;
      }
      if (!rule.record.empty()) {
        if (auto st = metrics::validate_metric_name(rule.record); !st.ok())
          p.push_back(where(file, r["record"].Mark()) + ": " + st.message());
        if (r["for"] || r["keep_firing_for"] || r["annotations"])
          p.push_back(rule.where + ": recording rule \"" + rule.record +
                      "\" can not have for, keep_firing_for or annotations");
      }
      if (!r["expr"]) {
        p.push_back(rule.where + ": rule needs an \"expr\"");
        continue;
      }
      rule.expr_text = r["expr"].as<std::string>();
      auto parsed = parse_expr(rule.expr_text);
      if (!parsed.ok()) {
        p.push_back(expr_error(file, r["expr"], parsed.message()));
        continue;
      }
      rule.expr = parsed.value();
      if (rule.expr->type != ValueType::vector && rule.expr->type != ValueType::scalar)
        p.push_back(where(file, r["expr"].Mark()) + ": rule expressions must be an instant vector or a scalar, not a " +
                    value_type_name(rule.expr->type));
      rule.for_duration = duration(r["for"], file, "for", p);
      rule.keep_firing_for = duration(r["keep_firing_for"], file, "keep_firing_for", p);
      rule.labels = string_map(r["labels"], file, "labels", p, true);
      rule.annotations = string_map(r["annotations"], file, "annotations", p, false);
      group.rules.push_back(std::move(rule));
    }
    out.groups.push_back(std::move(group));
  }
  return out;
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
  std::ifstream in(path);
  if (!in) {
    RuleFileResult r;
    r.problems.push_back(path + ": cannot read the rule file (check the path in rule_files)");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_rule_yaml(ss.str(), path);
}

}  // namespace vigil::rules
