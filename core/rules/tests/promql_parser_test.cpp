#include "rules/promql_parser.h"

#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <vector>

using namespace vigil::rules;

namespace {

ExprPtr parse_ok(const std::string& s) {
  auto r = parse_expr(s);
  INFO(s);
  INFO((r.ok() ? std::string() : r.message()));
  REQUIRE(r.ok());
  return r.value();
}

std::string error_of(const std::string& s) {
  auto r = parse_expr(s);
  INFO(s);
  REQUIRE_FALSE(r.ok());
  return r.message();
}

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

}  // namespace

TEST_CASE("selectors with every matcher, ranges and offsets", "[rules]") {
  auto e = parse_ok("http_requests_total{job=\"api\", code!=\"200\", path=~\"/v1/.*\", method!~'GET|HEAD'}");
  REQUIRE(e->kind == Expr::Kind::vector_selector);
  CHECK(e->metric == "http_requests_total");
  REQUIRE(e->matchers.size() == 5);
  CHECK(e->matchers[0].name == "__name__");
  CHECK(e->matchers[3].op == MatchOp::regex);
  CHECK(e->matchers[4].op == MatchOp::not_regex);
  CHECK(e->type == ValueType::vector);

  auto m = parse_ok("node_cpu_seconds_total{mode=\"idle\"}[1h30m] offset 5m");
  CHECK(m->kind == Expr::Kind::matrix_selector);
  CHECK(m->range == std::chrono::minutes(90));
  CHECK(m->offset == std::chrono::minutes(5));
  CHECK(m->type == ValueType::matrix);
  CHECK(parse_ok("{__name__=~\"node_.+\"}")->metric.empty());
  CHECK(parse_ok("up offset -1m")->offset == std::chrono::minutes(-1));
  CHECK(parse_ok("x[250ms]")->range == std::chrono::milliseconds(250));
}

TEST_CASE("operator precedence and associativity follow Prometheus", "[rules]") {
  CHECK(to_string(*parse_ok("1 + 2 * 3")) == "1 + 2 * 3");
  auto e = parse_ok("a + b * c");
  REQUIRE(e->op == BinaryOp::add);
  CHECK(e->rhs->op == BinaryOp::mul);
  auto p = parse_ok("2 ^ 3 ^ 2");  // right-associative
  CHECK(p->rhs->kind == Expr::Kind::binary);
  auto u = parse_ok("-a ^ 2");  // unary minus binds looser than ^
  CHECK(u->kind == Expr::Kind::unary);
  CHECK(u->operand->op == BinaryOp::pow);
  auto s = parse_ok("a > 1 and b or c unless d");
  CHECK(s->op == BinaryOp::lor);
  CHECK(s->lhs->op == BinaryOp::land);
  CHECK(s->rhs->op == BinaryOp::lunless);
  CHECK(parse_ok("-5")->number == -5);
}

TEST_CASE("comparisons, bool and vector matching", "[rules]") {
  auto b = parse_ok("up == bool 0");
  CHECK(b->return_bool);
  auto m = parse_ok("a / on(instance, job) group_left(version) b");
  CHECK(m->matching.on);
  CHECK(m->matching.labels == std::vector<std::string>{"instance", "job"});
  CHECK(m->matching.card == Cardinality::many_to_one);
  CHECK(m->matching.include == std::vector<std::string>{"version"});
  auto r = parse_ok("a * ignoring(mode) group_right b");
  CHECK_FALSE(r->matching.on);
  CHECK(r->matching.card == Cardinality::one_to_many);
  CHECK(parse_ok("a and on(x) b")->matching.card == Cardinality::many_to_many);
  CHECK(parse_ok("1 < bool 2")->type == ValueType::scalar);
}

TEST_CASE("aggregations with by, without and parameters in both positions", "[rules]") {
  auto a = parse_ok("sum by (job) (rate(x[5m]))");
  CHECK(a->kind == Expr::Kind::aggregate);
  CHECK(a->grouping == std::vector<std::string>{"job"});
  auto b = parse_ok("avg(x) without (cpu, mode)");
  CHECK(b->without);
  CHECK(b->grouping.size() == 2);
  CHECK(parse_ok("topk(5, x)")->param->number == 5);
  CHECK(parse_ok("quantile(0.9, x)")->param->number == 0.9);
  CHECK(parse_ok("count_values(\"version\", build_info)")->param->text == "version");
  for (const char* op : {"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"})
    CHECK(parse_ok(std::string(op) + "(x)")->text == op);
  CHECK(parse_ok("bottomk by (a) (3, x)")->grouping.size() == 1);
}

TEST_CASE("every supported function parses with its argument types", "[rules]") {
  for (const char* e : {"rate(x[5m])",
                        "increase(x[1h])",
                        "delta(x[5m])",
                        "irate(x[5m])",
                        "idelta(x[5m])",
                        "deriv(x[10m])",
                        "predict_linear(node_filesystem_avail_bytes[6h], 4 * 3600)",
                        "changes(x[15m])",
                        "resets(x[1h])",
                        "avg_over_time(x[5m])",
                        "min_over_time(x[5m])",
                        "max_over_time(x[5m])",
                        "sum_over_time(x[5m])",
                        "count_over_time(x[5m])",
                        "last_over_time(x[5m])",
                        "quantile_over_time(0.95, x[5m])",
                        "stddev_over_time(x[5m])",
                        "present_over_time(x[5m])",
                        "absent_over_time(up{job=\"a\"}[5m])",
                        "absent(up{job=\"a\"})",
                        "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))",
                        "abs(x)",
                        "ceil(x)",
                        "floor(x)",
                        "round(x)",
                        "round(x, 0.5)",
                        "clamp(x, 0, 1)",
                        "clamp_min(x, 0)",
                        "clamp_max(x, 1)",
                        "sqrt(x)",
                        "ln(x)",
                        "log2(x)",
                        "log10(x)",
                        "exp(x)",
                        "sgn(x)",
                        "time()",
                        "timestamp(x)",
                        "vector(1)",
                        "scalar(x)",
                        "label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
                        "label_join(up, \"addr\", \":\", \"host\", \"port\")",
                        "time() - x > 3600"})
    parse_ok(e);
  CHECK(parse_ok("time()")->type == ValueType::scalar);
  CHECK(parse_ok("scalar(x) * 2")->type == ValueType::scalar);
}

TEST_CASE("expressions print back to text that parses to the same text", "[rules]") {
  for (const char* e : {"sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) "
                        "(rate(http_requests_total[5m])) > 0.05",
                        "a / on(instance) group_left(version) b", "-x ^ 2", "up == bool 0", "x offset 1h", "topk(3, x)",
                        "avg(x) without (cpu)", "{__name__=\"up\"}", "1e3 + 0x10",
                        "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")"}) {
    INFO(e);
    const std::string once = to_string(*parse_ok(e));
    CHECK(to_string(*parse_ok(once)) == once);
  }
}

TEST_CASE("errors quote the expression with a caret at the position", "[rules]") {
  const auto msg = error_of("rate(x[5m]) + holt_winters(y[1h], 0.5, 0.5)");
  CHECK(contains(msg, "1:15: unknown or unsupported function \"holt_winters\" (supported: "));
  CHECK(contains(msg, "\n  rate(x[5m]) + holt_winters(y[1h], 0.5, 0.5)\n                ^"));
}

TEST_CASE("type errors, unsupported syntax and malformed input are rejected clearly", "[rules]") {
  CHECK(contains(error_of("rate(x)"), "expected type range vector in call to function \"rate\", got instant vector"));
  CHECK(contains(error_of("x[5m] + 1"), "binary expression must contain only scalar and instant vector types"));
  CHECK(contains(error_of("sum(x[5m])"), "expected type instant vector in aggregation expression, got range vector"));
  CHECK(contains(error_of("rate(x[5m:1m])"), "subqueries (expr[range:step]) are not supported"));
  CHECK(contains(error_of("x @ 100"), "the @ modifier is not supported"));
  CHECK(contains(error_of("1 > 2"), "comparisons between scalars must use the bool modifier"));
  CHECK(contains(error_of("1 and 2"), "set operator \"and\" not allowed in binary scalar expression"));
  CHECK(contains(error_of("a and on(x) group_left b"), "no grouping allowed for \"and\" operation"));
  CHECK(contains(error_of("a + bool b"), "bool modifier can only be used on comparison operators"));
  CHECK(contains(error_of("{job=~\".*\"}"), "at least one non-empty matcher"));
  CHECK(contains(error_of("{job!~\".+\"}"), "at least one non-empty matcher"));
  CHECK(contains(error_of("up{job=~\"(a\"}"), "1:9: invalid regular expression \"(a\" for label job: missing )"));
  CHECK(contains(error_of("x{job==\"a\"}"), "use \"=\" (not \"==\")"));
  CHECK(contains(error_of("x{job=a}"), "expected a quoted label value"));
  CHECK(contains(error_of("sum(x"), "expected \")\""));
  CHECK(contains(error_of("x{a=\"b"), "unterminated string"));
  CHECK(contains(error_of("rate(x[5m]"), "expected \",\" or \")\" in arguments of rate"));
  CHECK(contains(error_of("clamp(x, 1)"), "function \"clamp\" expects 3 argument(s), got 2"));
  CHECK(contains(error_of("x[5x]"), "unknown unit \"x\""));
  CHECK(contains(error_of("topk(x, y)"), "expected type scalar in aggregation parameter"));
  CHECK(contains(error_of("a b"), "unexpected \"b\" after a complete expression"));
  CHECK(contains(error_of(""), "an expression is missing"));
  CHECK(contains(error_of("x $ 1"), "unexpected character '$'"));
  CHECK(contains(error_of("(x offset 5m)[1m]"), "ranges are only allowed on vector selectors"));
}

namespace {

std::vector<std::string> corpus_lines() {
  std::ifstream in(VIGIL_RULES_CORPUS);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

// Every function, aggregation and binary operator (with its modifiers) an expression uses.
void constructs(const Expr& e, std::set<std::string>& seen) {
  switch (e.kind) {
    case Expr::Kind::call: seen.insert("fn:" + e.text); break;
    case Expr::Kind::aggregate:
      seen.insert("agg:" + e.text);
      if (!e.grouping.empty() || e.without) seen.insert(e.without ? "agg:without" : "agg:by");
      break;
    case Expr::Kind::binary:
      seen.insert(std::string("op:") + binary_op_text(e.op));
      if (e.return_bool) seen.insert("op:bool");
      if (e.matching.has_modifier) seen.insert(e.matching.on ? "match:on" : "match:ignoring");
      if (e.matching.card == Cardinality::many_to_one) seen.insert("match:group_left");
      if (e.matching.card == Cardinality::one_to_many) seen.insert("match:group_right");
      break;
    case Expr::Kind::vector_selector:
    case Expr::Kind::matrix_selector:
      if (e.offset.count() != 0) seen.insert("offset");
      for (const auto& m : e.matchers) seen.insert("matcher:" + std::to_string(static_cast<int>(m.op)));
      break;
    case Expr::Kind::unary: seen.insert("op:unary-"); break;
    default: break;
  }
  for (const auto* c : {e.operand.get(), e.lhs.get(), e.rhs.get(), e.param.get()})
    if (c) constructs(*c, seen);
  for (const auto& a : e.args) constructs(*a, seen);
}

}  // namespace

TEST_CASE("a corpus of realistic alert expressions parses, prints back and covers the subset", "[rules]") {
  const auto lines = corpus_lines();
  REQUIRE(lines.size() >= 300);
  std::set<std::string> seen;
  for (const auto& line : lines) {
    const auto e = parse_ok(line);
    CHECK((e->type == ValueType::vector || e->type == ValueType::scalar));
    const std::string printed = to_string(*e);
    const auto again = parse_ok(printed);
    INFO(line);
    CHECK(to_string(*again) == printed);
    constructs(*e, seen);
  }
  const char* expected[] = {"fn:rate",
                            "fn:increase",
                            "fn:delta",
                            "fn:irate",
                            "fn:idelta",
                            "fn:deriv",
                            "fn:predict_linear",
                            "fn:changes",
                            "fn:resets",
                            "fn:avg_over_time",
                            "fn:min_over_time",
                            "fn:max_over_time",
                            "fn:sum_over_time",
                            "fn:count_over_time",
                            "fn:last_over_time",
                            "fn:quantile_over_time",
                            "fn:stddev_over_time",
                            "fn:present_over_time",
                            "fn:absent_over_time",
                            "fn:absent",
                            "fn:histogram_quantile",
                            "fn:abs",
                            "fn:ceil",
                            "fn:floor",
                            "fn:round",
                            "fn:clamp",
                            "fn:clamp_min",
                            "fn:clamp_max",
                            "fn:sqrt",
                            "fn:ln",
                            "fn:log2",
                            "fn:log10",
                            "fn:exp",
                            "fn:sgn",
                            "fn:time",
                            "fn:timestamp",
                            "fn:vector",
                            "fn:scalar",
                            "fn:label_replace",
                            "fn:label_join",
                            "agg:sum",
                            "agg:avg",
                            "agg:min",
                            "agg:max",
                            "agg:count",
                            "agg:group",
                            "agg:topk",
                            "agg:bottomk",
                            "agg:quantile",
                            "agg:stddev",
                            "agg:stdvar",
                            "agg:count_values",
                            "agg:by",
                            "agg:without",
                            "op:+",
                            "op:-",
                            "op:*",
                            "op:/",
                            "op:%",
                            "op:^",
                            "op:==",
                            "op:!=",
                            "op:>",
                            "op:<",
                            "op:>=",
                            "op:<=",
                            "op:and",
                            "op:or",
                            "op:unless",
                            "op:bool",
                            "op:unary-",
                            "match:on",
                            "match:ignoring",
                            "match:group_left",
                            "match:group_right",
                            "offset",
                            "matcher:0",
                            "matcher:1",
                            "matcher:2",
                            "matcher:3"};
  for (const char* c : expected) {
    INFO(c);
    CHECK(seen.count(c) == 1);
  }
}

TEST_CASE("expressions outside the subset fail with a message that says so", "[rules]") {
  const std::pair<const char*, const char*> outside[] = {
      {"max_over_time(rate(http_requests_total[5m])[1h:1m]) > 10", "subqueries (expr[range:step]) are not supported"},
      {"rate(x[5m] @ 1700000000)", "the @ modifier is not supported"},
      {"x @ end()", "the @ modifier is not supported"},
      {"holt_winters(x[1h], 0.3, 0.3)", "unknown or unsupported function \"holt_winters\""},
      {"sort_desc(sum by (job) (rate(x[5m])))", "unknown or unsupported function \"sort_desc\""},
      {"day_of_week() == 6", "unknown or unsupported function \"day_of_week\""},
      {"hour() > 18", "unknown or unsupported function \"hour\""},
      {"histogram_count(rate(x[5m]))", "unknown or unsupported function \"histogram_count\""},
      {"limitk(2, up)", "unknown or unsupported function \"limitk\""},
      {"sin(x)", "unknown or unsupported function \"sin\""},
      {"info(up)", "unknown or unsupported function \"info\""},
  };
  for (const auto& [expr, message] : outside) {
    const auto msg = error_of(expr);
    INFO(expr);
    CHECK(contains(msg, message));
    CHECK(contains(msg, std::string("\n  ") + expr + "\n"));  // quoted, with a caret line below
  }
}
