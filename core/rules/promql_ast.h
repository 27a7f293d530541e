// The syntax tree of vigil's PromQL subset (instant and range selectors, offset, arithmetic,
// comparisons with `bool`, set operators, vector matching, aggregations and the functions
// public alert rules use). Immutable after parsing; safe to share between threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "metrics/label_matcher.h"

namespace vigil::rules {

enum class ValueType { scalar, vector, matrix, string };
const char* value_type_name(ValueType t);

enum class MatchOp { equal, not_equal, regex, not_regex };

struct LabelMatcher {
  std::string name;
  MatchOp op = MatchOp::equal;
  std::string value;
};

enum class BinaryOp { add, sub, mul, div, mod, pow, eq, ne, gt, lt, ge, le, land, lor, lunless };
const char* binary_op_text(BinaryOp op);
bool is_comparison(BinaryOp op);
bool is_set_operator(BinaryOp op);

enum class Cardinality { one_to_one, many_to_one, one_to_many, many_to_many };

struct VectorMatching {
  Cardinality card = Cardinality::one_to_one;
  bool on = false;                   // on(...) rather than ignoring(...)
  bool has_modifier = false;         // on/ignoring was written
  std::vector<std::string> labels;   // of on/ignoring
  std::vector<std::string> include;  // of group_left/group_right
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  enum class Kind { number, string, vector_selector, matrix_selector, unary, binary, aggregate, call, paren };
  Kind kind;
  size_t pos = 0;  // byte offset in the source, for errors

  // number / string
  double number = 0;
  std::string text;
  // selectors
  std::string metric;                           // may be empty when matchers name __name__
  std::vector<LabelMatcher> matchers;           // includes __name__="metric" when metric is set
  std::vector<metrics::LabelMatcher> compiled;  // the matchers, compiled by the parser
  std::chrono::milliseconds range{0};           // matrix selector
  std::chrono::milliseconds offset{0};
  // unary (negation) / paren / aggregate / call operands
  ExprPtr operand;
  // binary
  BinaryOp op = BinaryOp::add;
  ExprPtr lhs, rhs;
  bool return_bool = false;
  VectorMatching matching;
  // aggregate: text = "sum" ...; param for topk/bottomk/quantile/count_values
  ExprPtr param;
  std::vector<std::string> grouping;
  bool without = false;
  // call: text = function name
  std::vector<ExprPtr> args;

  ValueType type = ValueType::scalar;  // set by the parser
  // Height of this subtree (1 for a leaf). The parser bounds it (kMaxExprHeight), so code that
  // walks a tree recursively (evaluation, printing, destruction) never runs out of stack.
  uint32_t height = 1;
};

inline constexpr uint32_t kMaxExprHeight = 1000;

// Canonical PromQL text of an expression (parses back to the same tree).
std::string to_string(const Expr& e);

}  // namespace vigil::rules
