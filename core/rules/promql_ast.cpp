#include "rules/promql_ast.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace vigil::rules {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string duration_text(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"y", 31536000000}, {"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
  if (ms == 0) return "0s";
  for (const auto& [u, n] : kUnits)
    if (ms >= n) {
      out += std::to_string(ms / n) + u;
      ms %= n;
    }
  return out;
}

std::string list(const std::vector<std::string>& v) {
  std::string out = "(";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + ")";
}

std::string number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the shortest form that reads back the same.
  for (int prec = 1; prec <= 17; ++prec) {
    char s[32];
    std::snprintf(s, sizeof s, "%.*g", prec, v);
    if (std::strtod(s, nullptr) == v) return s;
  }
  return buf;
}

}  // namespace

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::scalar: return "scalar";
    case ValueType::vector: return "instant vector";
    case ValueType::matrix: return "range vector";
    case ValueType::string: return "string";
  }
  return "?";
}

const char* binary_op_text(BinaryOp op) {
  static const char* kText[] = {"+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and", "or", "unless"};
  return kText[static_cast<int>(op)];
}

bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::eq && op <= BinaryOp::le;
}
bool is_set_operator(BinaryOp op) {
  return op >= BinaryOp::land;
}

std::string to_string(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::number: return number_text(e.number);
    case Expr::Kind::string: return quote(e.text);
    case Expr::Kind::vector_selector:
    case Expr::Kind::matrix_selector: {
      std::string out = e.metric;
      std::string inner;
      for (const auto& m : e.matchers) {
        if (m.name == "__name__" && !e.metric.empty()) continue;
        static const char* kOps[] = {"=", "!=", "=~", "!~"};
        inner += (inner.empty() ? "" : ", ") + m.name + kOps[static_cast<int>(m.op)] + quote(m.value);
      }
      if (!inner.empty() || e.metric.empty()) out += "{" + inner + "}";
      if (e.kind == Expr::Kind::matrix_selector) out += "[" + duration_text(e.range) + "]";
      if (e.offset.count() != 0) out += " offset " + duration_text(e.offset);
      return out;
    }
    case Expr::Kind::unary: return "-" + to_string(*e.operand);
    case Expr::Kind::paren: return "(" + to_string(*e.operand) + ")";
    case Expr::Kind::binary: {
      std::string out = to_string(*e.lhs) + " " + binary_op_text(e.op);
      if (e.return_bool) out += " bool";
      if (e.matching.has_modifier) out += std::string(e.matching.on ? " on" : " ignoring") + list(e.matching.labels);
      // The label list is always printed: "group_left (x)" would read x as labels, not operand.
      if (e.matching.card == Cardinality::many_to_one) out += " group_left" + list(e.matching.include);
      if (e.matching.card == Cardinality::one_to_many) out += " group_right" + list(e.matching.include);
      return out + " " + to_string(*e.rhs);
    }
    case Expr::Kind::aggregate: {
      std::string out = e.text;
      if (!e.grouping.empty() || e.without) out += std::string(e.without ? " without " : " by ") + list(e.grouping);
      out += " (";
      if (e.param) out += to_string(*e.param) + ", ";
      return out + to_string(*e.operand) + ")";
    }
    case Expr::Kind::call: {
      std::string out = e.text + "(";
      for (size_t i = 0; i < e.args.size(); ++i) out += (i ? ", " : "") + to_string(*e.args[i]);
      return out + ")";
    }
  }
  return "";
}

}  // namespace vigil::rules
