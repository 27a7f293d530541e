#include "rules/promql_parser.h"

#include <catch2/catch_test_macros.hpp>
#include <cmath>

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

TEST_CASE("a corpus of realistic alert expressions parses", "[rules]") {
  // Shapes from public rule collections (host, Kubernetes-style, service, vigil's own).
  const char* corpus[] = {
      "up == 0",
      "100 - (avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[2m])) * 100) > 80",
      "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100 < 10",
      "(node_filesystem_avail_bytes * 100) / node_filesystem_size_bytes < 10 and ON (instance, device, mountpoint) "
      "node_filesystem_readonly == 0",
      "predict_linear(node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay\"}[6h], 24 * 3600) < 0",
      "node_load1 / count without (cpu, mode) (node_cpu_seconds_total{mode=\"idle\"}) > 2",
      "rate(node_network_receive_errs_total[2m]) / rate(node_network_receive_packets_total[2m]) > 0.01",
      "increase(node_vmstat_oom_kill[1m]) > 0",
      "(node_time_seconds - node_boot_time_seconds) < 600",
      "changes(process_start_time_seconds[15m]) > 2",
      "absent(up{job=\"chat-backend\"})",
      "absent_over_time(up{job=\"chat\"}[5m])",
      "sum(rate(http_requests_total{status=~\"5..\"}[5m])) by (service) / sum(rate(http_requests_total[5m])) by "
      "(service) > 0.05",
      "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, route)) > 0.5",
      "histogram_quantile(0.99, sum by (le) (rate(tool_call_duration_seconds_bucket{tool!=\"\"}[10m]))) > 2",
      "sum by (tool) (increase(tool_calls_total{result=\"error\"}[10m])) / sum by (tool) "
      "(increase(tool_calls_total[10m])) > 0.1",
      "delta(websocket_connections[5m]) < -100",
      "deriv(process_resident_memory_bytes[30m]) > 1e6",
      "max_over_time(scrape_duration_seconds[10m]) > 5",
      "avg_over_time(up[10m]) < 0.9",
      "count(up == 0) by (job) > 1",
      "topk(5, sum by (pod) (rate(container_cpu_usage_seconds_total[5m])))",
      "kube_deployment_spec_replicas != kube_deployment_status_replicas_available",
      "kube_pod_container_status_restarts_total - kube_pod_container_status_restarts_total offset 10m >= 1",
      "sum by (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase=~\"Pending|Unknown\"})) > 0",
      "(kube_job_spec_completions - kube_job_status_succeeded) > 0",
      "label_replace(up, \"host\", \"$1\", \"instance\", \"([^:]+):.*\") == 0",
      "time() - vigil_collector_last_success_timestamp_seconds > 300",
      "rate(vigil_collector_errors_total[5m]) > 0",
      "vigil_scrape_up == 0",
      "probe_ssl_earliest_cert_expiry - time() < 86400 * 14",
      "probe_success == 0 unless on(target) maintenance_mode == 1",
      "min_over_time(probe_success[5m]) == 0",
      "sum without (instance) (rate(x[5m])) > bool 1",
      "clamp_max(rate(x[1m]), 100) > 90",
      "round(avg(x), 0.1) == 1",
      "quantile_over_time(0.9, latency_seconds[1h]) > 1",
      "stddev_over_time(x[1h]) > 3 * avg_over_time(x[1h])",
      "last_over_time(x[5m]) or vector(0)",
      "resets(counter_total[1h]) > 3",
      "irate(node_disk_io_time_seconds_total[1m]) > 0.9",
      "group by (job) (up)",
      "count_values(\"version\", vigil_build_info)",
      "sum(rate(x[5m])) by (a) / ignoring(b) group_left sum(rate(y[5m])) by (a, b)",
  };
  for (const char* e : corpus) parse_ok(e);
}
