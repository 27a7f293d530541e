#include "rules/rule_test_runner.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <set>
#include <sstream>

#include "metrics/sample_store.h"
#include "metrics/series_store.h"
#include "rules/evaluator.h"
#include "rules/promql_parser.h"
#include "rules/rule_group.h"

namespace vigil::rules {
namespace {

using metrics::LabelSet;

struct TestError {
  std::string message;
};

int64_t duration_ms(const YAML::Node& n, int64_t fallback) {
  if (!n) return fallback;
  auto d = parse_promql_duration(n.as<std::string>());
  if (!d.ok()) throw TestError{d.message()};
  return d.value().count();
}

// 'up{job="a"}' -> sorted labels with __name__.
LabelSet series_labels(const std::string& text) {
  // A metric with no labels at all ("{}", as aggregations without grouping return) is no
  // valid selector, but promtool's metric syntax allows it.
  if (text.find_first_not_of(" {}") == std::string::npos && text.find('{') != std::string::npos) return {};
  auto e = parse_expr(text);
  if (!e.ok() || e.value()->kind != Expr::Kind::vector_selector)
    throw TestError{"invalid series \"" + text + "\"" + (e.ok() ? "" : ": " + e.message())};
  LabelSet l;
  for (const auto& m : e.value()->matchers) {
    if (m.op != MatchOp::equal) throw TestError{"series \"" + text + "\" may only use = matchers"};
    l.emplace_back(m.name, m.value);
  }
  std::sort(l.begin(), l.end());
  return l;
}

// A test file may be hostile or mistyped: every number is checked, and the work it asks for is
// bounded (values per series, evaluation steps), so `vigil test rules` always ends.
constexpr int64_t kMaxValuesPerSeries = 1'000'000;
constexpr int64_t kMaxValuesPerTest = 5'000'000;  // all series of one test case together
constexpr int64_t kMaxEvaluationSteps = 10'000'000;

double number(const std::string& tok, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(tok.c_str(), &end);
  if (tok.empty() || end != tok.c_str() + tok.size())
    throw TestError{"values \"" + text + "\": \"" + tok + "\" is not a number (write e.g. \"1 2 3\" or \"0+10x5\")"};
  return v;
}

// promtool's expanding notation: "1 2 3", "1+2x3" (1 3 5 7), "5-1x2", "_", "_x3", "stale", "1x3" (1 1 1 1).
std::vector<std::optional<double>> expand_values(const std::string& text) {
  std::vector<std::optional<double>> out;
  const auto room = [&](long n) {
    if (n < 0 || static_cast<int64_t>(out.size()) + n >= kMaxValuesPerSeries)
      throw TestError{"values \"" + text.substr(0, 80) + "\": more than " + std::to_string(kMaxValuesPerSeries) +
                      " values in one series"};
  };
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    if (tok == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    if (tok == "stale") {
      out.push_back(metrics::stale_marker());
      continue;
    }
    const auto x = tok.find('x');
    if (x == std::string::npos) {
      out.push_back(number(tok, text));
      continue;
    }
    const std::string count = tok.substr(x + 1);
    if (count.empty() || count.size() > 9 || count.find_first_not_of("0123456789") != std::string::npos)
      throw TestError{"values \"" + text.substr(0, 80) + "\": \"" + tok +
                      "\" needs a repeat count after x, e.g. 0+1x10"};
    const long n = std::stol(count);
    room(n);
    const std::string head = tok.substr(0, x);
    if (head == "_") {
      for (long i = 0; i < n; ++i) out.push_back(std::nullopt);
      continue;
    }
    // Find the step's sign after the first character (the start may be negative).
    size_t op = head.find_first_of("+-", 1);
    while (op != std::string::npos && (head[op - 1] == 'e' || head[op - 1] == 'E'))
      op = head.find_first_of("+-", op + 1);
    const double start = number(head.substr(0, op), text);
    const double step = op == std::string::npos ? 0 : number(head.substr(op), text);
    for (long i = 0; i <= n; ++i) out.push_back(start + step * static_cast<double>(i));
  }
  return out;
}

std::string labels_text(const LabelSet& l) {
  std::string name, inner;
  for (const auto& [k, v] : l) {
    if (k == "__name__") {
      name = v;
      continue;
    }
    inner += (inner.empty() ? "" : ", ") + k + "=\"" + v + "\"";
  }
  return name + "{" + inner + "}";
}

std::string format_duration_ms(int64_t ms) {
  std::string out;
  if (ms >= 3600000) out += std::to_string(ms / 3600000) + "h", ms %= 3600000;
  if (ms >= 60000) out += std::to_string(ms / 60000) + "m", ms %= 60000;
  if (ms >= 1000 || out.empty()) out += std::to_string(ms / 1000) + "s";
  return out;
}

struct ExpAlert {
  LabelSet labels;
  LabelSet annotations;
  bool operator<(const ExpAlert& o) const { return std::tie(labels, annotations) < std::tie(o.labels, o.annotations); }
  bool operator==(const ExpAlert& o) const { return labels == o.labels && annotations == o.annotations; }
};

std::string alerts_text(const std::vector<ExpAlert>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out += std::string(i ? ", " : "") + "\n          " + std::to_string(i) +
           ":\n            Labels:" + labels_text(v[i].labels) +
           "\n            Annotations:" + labels_text(v[i].annotations);
  }
  return out + "\n        ]";
}

LabelSet map_of(const YAML::Node& n) {
  LabelSet l;
  if (n)
    for (const auto& kv : n) l.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
  std::sort(l.begin(), l.end());
  return l;
}

// Runs one test case; returns its failure messages.
std::vector<std::string> run_case(const YAML::Node& t, const std::vector<RuleGroupSpec>& specs,
                                  const std::vector<std::string>& order, int64_t eval_interval,
                                  const std::map<std::string, std::string>& external) {
  std::vector<std::string> failures;
  const int64_t interval = duration_ms(t["interval"], 60000);
  if (interval <= 0) throw TestError{"a test's interval must be greater than 0, e.g. 1m"};
  metrics::SeriesStore store(metrics::SeriesStoreLimits{INT64_MAX / 4, 10000000, size_t(1) << 34});
  int64_t values_in_test = 0;
  for (const auto& s : t["input_series"]) {
    const LabelSet l = series_labels(s["series"].as<std::string>());
    const auto values = expand_values(s["values"].as<std::string>());
    values_in_test += static_cast<int64_t>(values.size());
    if (values_in_test > kMaxValuesPerTest)
      throw TestError{"a test's input_series hold more than " + std::to_string(kMaxValuesPerTest) +
                      " values together; shorten them or use a longer interval"};
    if (!values.empty() && static_cast<int64_t>(values.size() - 1) > INT64_MAX / interval)
      throw TestError{"series " + s["series"].as<std::string>() + ": its values reach past the largest time"};
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i]) store.append(l, static_cast<int64_t>(i) * interval, *values[i]);
  }
  // Groups in group_eval_order when given, else file order.
  std::vector<std::unique_ptr<RuleGroup>> groups;
  std::vector<const RuleGroupSpec*> ordered;
  for (const auto& name : order)
    for (const auto& g : specs)
      if (g.name == name) ordered.push_back(&g);
  for (const auto& g : specs)
    if (std::find(ordered.begin(), ordered.end(), &g) == ordered.end()) ordered.push_back(&g);
  for (const auto* g : ordered)
    groups.push_back(
        std::make_unique<RuleGroup>(*g, std::chrono::milliseconds(eval_interval), external, 5 * 60 * 1000));

  std::map<int64_t, std::vector<std::pair<std::string, std::vector<ExpAlert>>>> alert_checks;
  int64_t max_t = 0;
  for (const auto& a : t["alert_rule_test"]) {
    const int64_t at = duration_ms(a["eval_time"], 0);
    std::vector<ExpAlert> exp;
    for (const auto& e : a["exp_alerts"]) {
      ExpAlert x{map_of(e["exp_labels"]), map_of(e["exp_annotations"])};
      x.labels.emplace_back("alertname", a["alertname"].as<std::string>());
      std::sort(x.labels.begin(), x.labels.end());
      exp.push_back(std::move(x));
    }
    std::sort(exp.begin(), exp.end());
    alert_checks[at].emplace_back(a["alertname"].as<std::string>(), std::move(exp));
    max_t = std::max(max_t, at);
  }
  for (const auto& p : t["promql_expr_test"]) max_t = std::max(max_t, duration_ms(p["eval_time"], 0));

  if (max_t / eval_interval > kMaxEvaluationSteps)
    throw TestError{"eval_time " + format_duration_ms(max_t) + " at evaluation_interval " +
                    format_duration_ms(eval_interval) + " needs more than " + std::to_string(kMaxEvaluationSteps) +
                    " evaluations; use a longer evaluation_interval or an earlier eval_time"};
  metrics::SampleStore sink;
  for (int64_t step = 0; step <= max_t / eval_interval; ++step) {
    const int64_t ts = step * eval_interval;
    for (auto& g : groups) g->evaluate(ts, store, sink);
    auto it = alert_checks.find(ts);
    if (it == alert_checks.end()) continue;
    for (const auto& [name, exp] : it->second) {
      std::vector<ExpAlert> got;
      for (auto& g : groups)
        for (const auto& r : g->snapshot().rules)
          if (r.spec.alert == name)
            for (const auto& a : r.alerts)
              if (a.state == AlertState::firing)
                got.push_back({a.labels, LabelSet(a.annotations.begin(), a.annotations.end())});
      for (auto& g : got) std::sort(g.annotations.begin(), g.annotations.end());
      std::sort(got.begin(), got.end());
      if (got != exp)
        failures.push_back("    alertname: " + name + ", time: " + format_duration_ms(ts) +
                           ", \n        exp:" + alerts_text(exp) + ", \n        got:" + alerts_text(got));
    }
  }
  for (const auto& p : t["promql_expr_test"]) {
    const std::string expr = p["expr"].as<std::string>();
    const int64_t at = duration_ms(p["eval_time"], 0);
    auto parsed = parse_expr(expr);
    if (!parsed.ok()) {
      failures.push_back("    expr: \"" + expr + "\", time: " + format_duration_ms(at) + ", err: " + parsed.message());
      continue;
    }
    auto v = Evaluator(store).eval(*parsed.value(), at);
    if (!v.ok()) {
      failures.push_back("    expr: \"" + expr + "\", time: " + format_duration_ms(at) + ", err: " + v.message());
      continue;
    }
    std::vector<std::pair<LabelSet, double>> got, exp;
    if (v->type == ValueType::scalar) got.emplace_back(LabelSet{}, v->scalar);
    for (const auto& s : v->vector) got.emplace_back(s.labels, s.value);
    for (const auto& s : p["exp_samples"])
      exp.emplace_back(s["labels"] ? series_labels(s["labels"].as<std::string>()) : LabelSet{},
                       s["value"].as<double>());
    std::sort(got.begin(), got.end());
    std::sort(exp.begin(), exp.end());
    bool same = got.size() == exp.size();
    // Exact comparison, as promtool does (NaN equals NaN).
    for (size_t i = 0; same && i < got.size(); ++i)
      same = got[i].first == exp[i].first &&
             (got[i].second == exp[i].second || (std::isnan(got[i].second) && std::isnan(exp[i].second)));
    if (!same) {
      auto text = [](const std::vector<std::pair<LabelSet, double>>& s) {
        std::string out = "\n";
        for (const auto& [l, val] : s) {
          char buf[40];
          std::snprintf(buf, sizeof buf, "%.17g", val);
          out += "        " + labels_text(l) + " " + buf + "\n";
        }
        return out;
      };
      failures.push_back("    expr: \"" + expr + "\", time: " + format_duration_ms(at) + ",\n        exp:" + text(exp) +
                         "        got:" + text(got));
    }
  }
  return failures;
}

}  // namespace

bool run_rule_test_file(const std::string& path, std::ostream& out) {
  out << "Unit Testing:  " << path << "\n";
  try {
    YAML::Node root = YAML::LoadFile(path);
    const auto slash = path.rfind('/');
    const std::string base = slash == std::string::npos ? "." : path.substr(0, slash);
    std::vector<std::string> globs;
    for (const auto& f : root["rule_files"]) globs.push_back(f.as<std::string>());
    auto loaded = load_rule_files(globs, base);
    if (!loaded.problems.empty()) {
      out << "  FAILED:\n";
      for (const auto& p : loaded.problems) out << "    " << p << "\n";
      return false;
    }
    const int64_t eval_interval = duration_ms(root["evaluation_interval"], 60000);
    if (eval_interval <= 0) throw TestError{path + ": evaluation_interval must be greater than 0, e.g. 1m"};
    std::vector<std::string> order;
    for (const auto& g : root["group_eval_order"]) order.push_back(g.as<std::string>());
    std::map<std::string, std::string> external;
    for (const auto& kv : root["external_labels"]) external[kv.first.as<std::string>()] = kv.second.as<std::string>();
    std::vector<std::string> failures;
    for (const auto& t : root["tests"]) {
      auto f = run_case(t, loaded.groups, order, eval_interval, external);
      failures.insert(failures.end(), f.begin(), f.end());
    }
    if (failures.empty()) {
      out << "  SUCCESS\n";
      return true;
    }
    out << "  FAILED:\n";
    for (const auto& f : failures) out << f << "\n";
    return false;
  } catch (const YAML::Exception& e) {
    out << "  FAILED:\n    " << path << ":" << e.mark.line + 1 << ":" << e.mark.column + 1 << ": " << e.msg << "\n";
  } catch (const TestError& e) {
    out << "  FAILED:\n    " << e.message << "\n";
  } catch (const std::exception& e) {
    out << "  FAILED:\n    " << e.what() << "\n";
  }
  return false;
}

}  // namespace vigil::rules
