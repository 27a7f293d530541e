#include "load/thresholds.h"

#include <cctype>
#include <cstdlib>

namespace vigil::load {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

}  // namespace

Result<Threshold> parse_threshold(const std::string& text) {
  Threshold t;
  t.expression = text;
  const std::string where = "threshold \"" + text + "\": ";
  size_t op_at = text.find_first_of("<>=!");
  if (op_at == std::string::npos)
    return Status::error(where + "no comparison; write METRIC OP VALUE, e.g. \"p95 < 200ms\" or \"error_rate < 0.01\"");
  size_t op_len = (op_at + 1 < text.size() && text[op_at + 1] == '=') ? 2 : 1;
  t.op = text.substr(op_at, op_len);
  if (t.op == "=" || t.op == "!") return Status::error(where + "the comparison must be <, <=, >, >=, == or !=");
  std::string metric = trim(text.substr(0, op_at));
  std::string value = trim(text.substr(op_at + op_len));
  for (auto& c : metric) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (metric.size() > 1 && metric[0] == 'p' &&
      (std::isdigit(static_cast<unsigned char>(metric[1])) || metric[1] == '(')) {
    std::string n = metric.substr(1);
    if (n.front() == '(') {
      if (n.back() != ')') return Status::error(where + "write p(95) or p95");
      n = n.substr(1, n.size() - 2);
    }
    char* end = nullptr;
    t.percentile = std::strtod(n.c_str(), &end);
    if (!end || *end || t.percentile <= 0 || t.percentile > 100)
      return Status::error(where + "the percentile must be above 0 and at most 100, e.g. p95 or p(99.9)");
    t.metric = "p";
    t.latency = true;
  } else if (metric == "avg" || metric == "min" || metric == "max" || metric == "med") {
    t.metric = metric;
    t.latency = true;
  } else if (metric == "rps" || metric == "error_rate" || metric == "errors" || metric == "dropped" ||
             metric == "requests") {
    t.metric = metric;
  } else {
    return Status::error(where + "unknown metric \"" + metric +
                         "\"; use p95 (any percentile), avg, min, max, med, rps, error_rate, errors, dropped or "
                         "requests");
  }
  char* end = nullptr;
  t.value = std::strtod(value.c_str(), &end);
  if (value.empty() || end == value.c_str())
    return Status::error(where + "the value must be a number with an optional unit (200ms, 1.5s, 800us)");
  std::string unit = trim(end);
  if (t.latency) {
    if (unit == "s")
      t.value *= 1000;
    else if (unit == "us" || unit == "µs")
      t.value /= 1000;
    else if (!unit.empty() && unit != "ms")
      return Status::error(where + "unknown unit \"" + unit + "\"; use us, ms or s");
  } else if (unit == "%" && t.metric == "error_rate") {
    t.value /= 100;
  } else if (!unit.empty()) {
    return Status::error(where + "\"" + t.metric + "\" takes a plain number, not \"" + unit + "\"");
  }
  return t;
}

double metric_value(const RunResult& r, const Threshold& t) {
  const auto ms = [](double us) { return us / 1000.0; };
  if (t.metric == "p") return ms(static_cast<double>(r.latency.percentile(t.percentile)));
  if (t.metric == "avg") return ms(r.latency.mean());
  if (t.metric == "min") return ms(static_cast<double>(r.latency.min()));
  if (t.metric == "max") return ms(static_cast<double>(r.latency.max()));
  if (t.metric == "med") return ms(static_cast<double>(r.latency.percentile(50)));
  if (t.metric == "rps") return r.throughput();
  if (t.metric == "error_rate") return r.error_rate();
  if (t.metric == "errors") return static_cast<double>(r.error_count());
  if (t.metric == "dropped") return static_cast<double>(r.dropped);
  return static_cast<double>(r.requests);
}

ThresholdOutcome evaluate(const RunResult& r, const Threshold& t) {
  ThresholdOutcome o;
  o.expression = t.expression;
  o.actual = metric_value(r, t);
  o.unit = t.latency ? "ms" : "";
  const double a = o.actual, v = t.value;
  o.passed = t.op == "<"    ? a < v
             : t.op == "<=" ? a <= v
             : t.op == ">"  ? a > v
             : t.op == ">=" ? a >= v
             : t.op == "==" ? a == v
                            : a != v;
  return o;
}

}  // namespace vigil::load
