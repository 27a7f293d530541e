#include "load/report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace vigil::load {
namespace {

using nlohmann::json;

json histogram_json(const Histogram& h) {
  json buckets = json::array();
  for (const auto& [v, n] : h.buckets()) buckets.push_back({v, n});
  return {{"unit", "us"},
          {"digits", h.digits()},
          {"count", h.count()},
          {"min", h.min()},
          {"max", h.max()},
          {"mean", h.mean()},
          {"stddev", h.stddev()},
          {"p50", h.percentile(50)},
          {"p90", h.percentile(90)},
          {"p95", h.percentile(95)},
          {"p99", h.percentile(99)},
          {"p999", h.percentile(99.9)},
          {"buckets", std::move(buckets)}};
}

void histogram_from(const json& j, Histogram& h) {
  h = Histogram(j.value("digits", 3));
  for (const auto& b : j.at("buckets")) h.record_n(b.at(0).get<int64_t>(), b.at(1).get<uint64_t>());
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Latencies as people read them: microseconds below a millisecond, else milliseconds.
std::string ms(int64_t us) {
  return us < 1000 ? std::to_string(us) + " us" : fmt("%.2f ms", static_cast<double>(us) / 1000.0);
}

}  // namespace

uint64_t RunResult::error_count() const {
  uint64_t n = 0;
  for (const auto& [k, v] : errors) n += v;
  return n;
}

double RunResult::offered_rate() const {
  if (stages.empty() || duration_s <= 0) return rate;
  uint64_t offered = 0;
  for (const auto& s : timeline) offered += s.offered;
  return static_cast<double>(offered) / duration_s;
}

void RunResult::add_part(const RunResult& p) {
  latency.add(p.latency);
  service.add(p.service);
  connect.add(p.connect);
  ttfb.add(p.ttfb);
  requests += p.requests;
  ok += p.ok;
  dropped += p.dropped;
  late += p.late;
  interrupted += p.interrupted;
  bytes_sent += p.bytes_sent;
  bytes_received += p.bytes_received;
  connections_opened += p.connections_opened;
  for (const auto& [k, n] : p.errors) errors[k] += n;
  for (const auto& [k, m] : p.error_examples) error_examples.try_emplace(k, m);
  for (const auto& [k, t] : p.tags) {
    auto& into = tags[k];
    into.requests += t.requests;
    into.errors += t.errors;
    into.latency.add(t.latency);
  }
}

std::string report_json(const RunResult& r) {
  json tags = json::object();
  for (const auto& [name, t] : r.tags)
    tags[name] = {{"requests", t.requests}, {"errors", t.errors}, {"latency", histogram_json(t.latency)}};
  json timeline = json::array();
  for (const auto& s : r.timeline)
    timeline.push_back({{"t_ms", s.t_ms},
                        {"offered", s.offered},
                        {"completed", s.completed},
                        {"errors", s.errors},
                        {"dropped", s.dropped},
                        {"p50_us", s.p50_us},
                        {"p95_us", s.p95_us},
                        {"p99_us", s.p99_us},
                        {"connections", s.connections}});
  json thresholds = json::array();
  for (const auto& t : r.thresholds)
    thresholds.push_back({{"expression", t.expression}, {"passed", t.passed}, {"actual", t.actual}, {"unit", t.unit}});
  json j = {{"format", "vigil-bench-report/1"},
            {"run",
             {{"scenario", r.scenario},
              {"target", r.target},
              {"model", r.model},
              {"started_at", r.started_at},
              {"host", r.host},
              {"vigil_version", r.vigil_version},
              {"connections", r.connections},
              {"threads", r.threads},
              {"rate", r.rate},
              {"stages", r.stages},
              {"aborted", r.aborted},
              {"duration_s", r.duration_s},
              {"warmup_s", r.warmup_s},
              {"options", r.options},
              {"goals", r.goals}}},
            {"summary",
             {{"requests", r.requests},
              {"ok", r.ok},
              {"errors", r.error_count()},
              {"error_rate", r.error_rate()},
              {"throughput_rps", r.throughput()},
              {"dropped", r.dropped},
              {"late", r.late},
              {"interrupted", r.interrupted},
              {"bytes_sent", r.bytes_sent},
              {"bytes_received", r.bytes_received},
              {"connections_opened", r.connections_opened},
              {"max_connections_open", r.max_connections_open},
              {"generator_cpu_seconds", r.generator_cpu_seconds}}},
            {"errors", r.errors},
            {"error_examples", r.error_examples},
            {"latency", histogram_json(r.latency)},
            {"service_time", histogram_json(r.service)},
            {"connect", histogram_json(r.connect)},
            {"ttfb", histogram_json(r.ttfb)},
            {"tags", std::move(tags)},
            {"timeline", std::move(timeline)},
            {"thresholds", std::move(thresholds)},
            {"warnings", r.warnings}};
  if (r.target_cpu_seconds) j["target"]["cpu_seconds"] = *r.target_cpu_seconds;
  if (r.target_rss_bytes) j["target"]["rss_bytes"] = *r.target_rss_bytes;
  return j.dump(1) + "\n";
}

Result<RunResult> parse_report_json(const std::string& text) {
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "vigil-bench-report/1")
      return Status::error("not a vigil benchmark report (its \"format\" is not \"vigil-bench-report/1\")");
    RunResult r;
    const auto& run = j.at("run");
    r.scenario = run.value("scenario", "");
    r.target = run.value("target", "");
    r.model = run.value("model", "");
    r.started_at = run.value("started_at", "");
    r.host = run.value("host", "");
    r.vigil_version = run.value("vigil_version", "");
    r.connections = run.value("connections", 0);
    r.threads = run.value("threads", 0);
    r.rate = run.value("rate", 0.0);
    r.stages = run.value("stages", std::string());
    r.aborted = run.value("aborted", std::string());
    r.duration_s = run.value("duration_s", 0.0);
    r.warmup_s = run.value("warmup_s", 0.0);
    r.options = run.value("options", std::map<std::string, std::string>{});
    r.goals = run.value("goals", std::map<std::string, std::string>{});
    const auto& s = j.at("summary");
    r.requests = s.value("requests", uint64_t{0});
    r.ok = s.value("ok", uint64_t{0});
    r.dropped = s.value("dropped", uint64_t{0});
    r.late = s.value("late", uint64_t{0});
    r.interrupted = s.value("interrupted", uint64_t{0});
    r.bytes_sent = s.value("bytes_sent", uint64_t{0});
    r.bytes_received = s.value("bytes_received", uint64_t{0});
    r.connections_opened = s.value("connections_opened", uint64_t{0});
    r.max_connections_open = s.value("max_connections_open", uint64_t{0});
    r.generator_cpu_seconds = s.value("generator_cpu_seconds", 0.0);
    r.errors = j.value("errors", std::map<std::string, uint64_t>{});
    r.error_examples = j.value("error_examples", std::map<std::string, std::string>{});
    histogram_from(j.at("latency"), r.latency);
    histogram_from(j.at("service_time"), r.service);
    histogram_from(j.at("connect"), r.connect);
    histogram_from(j.at("ttfb"), r.ttfb);
    const json tags = j.value("tags", json::object());
    for (const auto& [name, t] : tags.items()) {
      TagStats ts;
      ts.requests = t.value("requests", uint64_t{0});
      ts.errors = t.value("errors", uint64_t{0});
      histogram_from(t.at("latency"), ts.latency);
      r.tags[name] = std::move(ts);
    }
    for (const auto& e : j.value("timeline", json::array())) {
      SecondStats ss;
      ss.t_ms = e.value("t_ms", int64_t{0});
      ss.offered = e.value("offered", uint64_t{0});
      ss.completed = e.value("completed", uint64_t{0});
      ss.errors = e.value("errors", uint64_t{0});
      ss.dropped = e.value("dropped", uint64_t{0});
      ss.p50_us = e.value("p50_us", int64_t{0});
      ss.p95_us = e.value("p95_us", int64_t{0});
      ss.p99_us = e.value("p99_us", int64_t{0});
      ss.connections = e.value("connections", uint64_t{0});
      r.timeline.push_back(ss);
    }
    for (const auto& t : j.value("thresholds", json::array()))
      r.thresholds.push_back(
          {t.value("expression", ""), t.value("passed", false), t.value("actual", 0.0), t.value("unit", "")});
    r.warnings = j.value("warnings", std::vector<std::string>{});
    if (j.contains("target")) {
      if (j["target"].contains("cpu_seconds")) r.target_cpu_seconds = j["target"]["cpu_seconds"].get<double>();
      if (j["target"].contains("rss_bytes")) r.target_rss_bytes = j["target"]["rss_bytes"].get<double>();
    }
    return r;
  } catch (const std::exception& e) {
    return Status::error(std::string("the report is not valid: ") + e.what());
  }
}

std::string load_text(const RunResult& r) {
  const std::string threads = ", " + std::to_string(r.threads) + (r.threads == 1 ? " thread" : " threads");
  if (r.model != "open")
    return "closed model, " +
           (r.stages.empty()
                ? std::to_string(r.connections) + " connections"
                : "connections through stages " + r.stages + " (up to " + std::to_string(r.connections) + ")") +
           threads;
  return "open model, " +
         (r.stages.empty() ? fmt("%.0f", r.rate) + " requests/s offered"
                           : "requests/s from " + fmt("%.0f", r.rate) + " through stages " + r.stages) +
         ", up to " + std::to_string(r.connections) + " connections" + threads;
}

std::string summary_text(const RunResult& r) {
  std::string out;
  auto line = [&](const std::string& k, const std::string& v) {
    out += "  " + k + std::string(k.size() < 22 ? 22 - k.size() : 1, ' ') + v + "\n";
  };
  out += r.scenario + " -> " + r.target + " (" + load_text(r) + ", " + fmt("%.1f s", r.duration_s) + ")\n";
  line("requests", std::to_string(r.requests) + " (" + std::to_string(r.ok) + " ok, " +
                       std::to_string(r.error_count()) + " failed" +
                       (r.dropped ? ", " + std::to_string(r.dropped) + " dropped" : "") + ")");
  line("throughput", fmt("%.1f req/s", r.throughput()));
  line("error rate", fmt("%.4f", r.error_rate()));
  line("latency", "p50 " + ms(r.latency.percentile(50)) + ", p95 " + ms(r.latency.percentile(95)) + ", p99 " +
                      ms(r.latency.percentile(99)) + ", max " + ms(r.latency.max()));
  if (r.model == "open")
    line("service time", "p50 " + ms(r.service.percentile(50)) + ", p95 " + ms(r.service.percentile(95)) + ", p99 " +
                             ms(r.service.percentile(99)) + " (from the actual send)");
  if (r.tags.count("hit") || r.tags.count("miss")) {
    const double hits = r.tags.count("hit") ? static_cast<double>(r.tags.at("hit").requests) : 0;
    const double misses = r.tags.count("miss") ? static_cast<double>(r.tags.at("miss").requests) : 0;
    line("hit ratio", fmt("%.3f", hits + misses > 0 ? hits / (hits + misses) : 0));
  }
  if (r.max_connections_open)
    line("connections",
         std::to_string(r.connections_opened) + " opened, " + std::to_string(r.max_connections_open) + " open at most");
  if (r.connect.count())
    line("connect", "p50 " + ms(r.connect.percentile(50)) + ", p99 " + ms(r.connect.percentile(99)));
  for (const auto& [kind, n] : r.errors)
    line("errors: " + kind,
         std::to_string(n) + (r.error_examples.count(kind) ? " (" + r.error_examples.at(kind) + ")" : ""));
  for (const auto& t : r.thresholds)
    line(t.passed ? "threshold ok" : "threshold FAILED",
         t.expression + " (actual " + fmt("%.3f", t.actual) + (t.unit.empty() ? "" : " " + t.unit) + ")");
  for (const auto& w : r.warnings) line("warning", w);
  return out;
}

std::string report_markdown(const RunResult& r) {
  std::string out = "# " + r.scenario + " against " + r.target + "\n\n";
  bool all = true;
  for (const auto& t : r.thresholds) all = all && t.passed;
  out += "**Verdict: " + std::string(r.thresholds.empty() ? "no thresholds" : all ? "passed" : "FAILED") + "**\n\n";
  if (!r.thresholds.empty()) {
    out += "| threshold | actual | result |\n|---|---|---|\n";
    for (const auto& t : r.thresholds)
      out += "| `" + t.expression + "` | " + fmt("%.3f", t.actual) + (t.unit.empty() ? "" : " " + t.unit) + " | " +
             (t.passed ? "pass" : "FAIL") + " |\n";
    out += "\n";
  }
  out += "Started " + r.started_at + " on " + r.host + "; " + load_text(r) + "; " + fmt("%.1f", r.duration_s) +
         " s measured after " + fmt("%.1f", r.warmup_s) + " s of warm-up.\n\n";
  out += "| metric | value |\n|---|---|\n";
  out += "| requests | " + std::to_string(r.requests) + " |\n";
  out += "| throughput | " + fmt("%.1f", r.throughput()) + " req/s |\n";
  out += "| error rate | " + fmt("%.4f", r.error_rate()) + " |\n";
  out += "| dropped (open model) | " + std::to_string(r.dropped) + " |\n";
  for (double p : {50.0, 95.0, 99.0, 99.9})
    out += "| latency p" + fmt("%g", p) + " | " + ms(r.latency.percentile(p)) + " |\n";
  out += "| latency max | " + ms(r.latency.max()) + " |\n";
  if (!r.tags.empty()) {
    out += "\n| endpoint | requests | errors | p50 | p95 | p99 |\n|---|---|---|---|---|---|\n";
    for (const auto& [name, t] : r.tags)
      out += "| " + name + " | " + std::to_string(t.requests) + " | " + std::to_string(t.errors) + " | " +
             ms(t.latency.percentile(50)) + " | " + ms(t.latency.percentile(95)) + " | " +
             ms(t.latency.percentile(99)) + " |\n";
  }
  if (!r.errors.empty()) {
    out += "\n| error | count | example |\n|---|---|---|\n";
    for (const auto& [k, n] : r.errors)
      out += "| " + k + " | " + std::to_string(n) + " | " + (r.error_examples.count(k) ? r.error_examples.at(k) : "") +
             " |\n";
  }
  if (!r.warnings.empty()) {
    out += "\n**Warnings**\n\n";
    for (const auto& w : r.warnings) out += "- " + w + "\n";
  }
  return out;
}

Result<std::vector<CompareRow>> compare_runs(const RunResult& b, const RunResult& c,
                                             const std::map<std::string, std::string>& goals) {
  struct Metric {
    const char* name;
    const char* unit;
    bool higher_is_better;
    double (*get)(const RunResult&);
  };
  static const Metric kMetrics[] = {
      {"rps", "req/s", true, [](const RunResult& r) { return r.throughput(); }},
      {"p50", "ms", false, [](const RunResult& r) { return static_cast<double>(r.latency.percentile(50)) / 1000; }},
      {"p95", "ms", false, [](const RunResult& r) { return static_cast<double>(r.latency.percentile(95)) / 1000; }},
      {"p99", "ms", false, [](const RunResult& r) { return static_cast<double>(r.latency.percentile(99)) / 1000; }},
      {"error_rate", "", false, [](const RunResult& r) { return r.error_rate(); }},
      {"connections", "", true, [](const RunResult& r) { return static_cast<double>(r.max_connections_open); }},
      {"cpu", "s", false, [](const RunResult& r) { return r.target_cpu_seconds.value_or(NAN); }},
      {"rss", "MiB", false, [](const RunResult& r) { return r.target_rss_bytes.value_or(NAN) / 1048576.0; }},
  };
  for (const auto& [metric, goal] : goals) {
    bool known = false;
    for (const auto& m : kMetrics) known = known || metric == m.name;
    if (!known)
      return Status::error("goal \"" + metric + "=" + goal +
                           "\": unknown metric; use rps, p50, p95, p99, error_rate, connections, cpu or rss");
  }
  std::vector<CompareRow> rows;
  for (const auto& m : kMetrics) {
    CompareRow row;
    row.metric = m.name;
    row.unit = m.unit;
    row.baseline = m.get(b);
    row.current = m.get(c);
    if (std::isnan(row.baseline) || std::isnan(row.current)) continue;  // not measured (no target pid)
    row.change = row.baseline != 0 ? (row.current - row.baseline) / row.baseline : 0;
    if (auto it = goals.find(m.name); it != goals.end()) {
      row.goal = it->second;
      row.has_goal = true;
      const std::string& g = it->second;
      char* end = nullptr;
      if (!g.empty() && (g.back() == '%') && (g[0] == '+' || g[0] == '-')) {
        const double want = std::strtod(g.c_str(), &end) / 100;
        if (end != g.c_str() + g.size() - 1)
          return Status::error("goal \"" + row.metric + "=" + g + "\": write +50% or -30%");
        row.passed = want >= 0 ? row.change >= want : row.change <= want;
      } else if (g.rfind("<=", 0) == 0 || g.rfind(">=", 0) == 0) {
        const double bound = std::strtod(g.c_str() + 2, &end);
        if (end == g.c_str() + 2 || *end)
          return Status::error("goal \"" + row.metric + "=" + g + "\": write <=0.01 or >=1000");
        row.passed = g[0] == '<' ? row.current <= bound : row.current >= bound;
      } else {
        return Status::error("goal \"" + row.metric + "=" + g +
                             "\": write a change (+50%, -30%) or a bound (<=0.01, >=1000)");
      }
    }
    rows.push_back(row);
  }
  return rows;
}

std::string compare_table(const std::vector<CompareRow>& rows) {
  std::string out = "| metric | baseline | current | change | goal | result |\n|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    const std::string unit = r.unit.empty() ? "" : " " + r.unit;
    out += "| " + r.metric + " | " + fmt("%.3f", r.baseline) + unit + " | " + fmt("%.3f", r.current) + unit + " | " +
           (r.baseline != 0 ? fmt("%+.1f%%", r.change * 100) : std::string("n/a")) + " | " +
           (r.has_goal ? r.goal : "") + " | " + (r.has_goal ? (r.passed ? "pass" : "FAIL") : "") + " |\n";
  }
  return out;
}

}  // namespace vigil::load
