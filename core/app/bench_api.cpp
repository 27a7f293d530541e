#include "app/bench_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/bounded_read.h"
#include "http/query_string.h"
#include "load/report.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

http::Response reply(unsigned status, const json& body) {
  return http::Response{status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}

http::Response fail(unsigned status, const std::string& error, const std::string& hint) {
  return reply(status, json{{"status", "error"}, {"error", error}, {"hint", hint}});
}

// A scenario alias or run stamp: a plain file name, never "..", "/" or a hidden file.
bool safe_name(const std::string& s) {
  return !s.empty() && s.size() <= 200 && s.front() != '.' &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == std::string::npos;
}

// A report is written by vigil, but the directory may hold anything: bounded, regular files only.
std::string read_file(const fs::path& p) {
  auto r = config::read_bounded_file(p.string(), 64ull << 20, "report");
  return r.ok() ? std::move(r.value()) : std::string();
}

// "scenario/run" -> the report, or an error response.
Result<load::RunResult> load_run(const std::string& dir, const std::string& id) {
  const auto slash = id.find('/');
  const std::string scenario = id.substr(0, slash), run = slash == std::string::npos ? "" : id.substr(slash + 1);
  if (!safe_name(scenario) || !safe_name(run))
    return Status::error("\"" + id +
                         "\" is not a run name; runs are named SCENARIO/RUN as /api/v1/bench/runs lists them");
  const fs::path file = fs::path(dir) / scenario / (run + ".json");
  std::error_code ec;
  if (dir.empty() || !fs::is_regular_file(file, ec)) return Status::error("no run " + id + " is kept");
  auto r = load::parse_report_json(read_file(file));
  if (!r.ok()) return Status::error(id + ": " + r.message());
  return r;
}

json headline(const std::string& id, const load::RunResult& r) {
  json thresholds = json::array();
  bool passed = true;
  for (const auto& t : r.thresholds) {
    thresholds.push_back({{"expression", t.expression}, {"passed", t.passed}, {"actual", t.actual}, {"unit", t.unit}});
    passed = passed && t.passed;
  }
  return {{"id", id},
          {"scenario", r.scenario},
          {"target", r.target},
          {"startedAt", r.started_at},
          {"load", load::load_text(r)},
          {"durationSeconds", r.duration_s},
          {"requests", r.requests},
          {"rps", r.throughput()},
          {"p50Ms", static_cast<double>(r.latency.percentile(50)) / 1000},
          {"p95Ms", static_cast<double>(r.latency.percentile(95)) / 1000},
          {"p99Ms", static_cast<double>(r.latency.percentile(99)) / 1000},
          {"errorRate", r.error_rate()},
          {"thresholds", thresholds},
          {"passed", passed}};
}

// Every file of `dir` (none when it cannot be read); never throws.
std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  return out;
}

constexpr size_t kRunsListed = 200;

}  // namespace

void add_bench_routes(http::Router& router, const std::string& report_dir, const ApiAuth& auth) {
  router.add(
      "GET", "/api/v1/bench/runs", guarded(auth, "", [report_dir](const http::Request&, const std::string&) {
        json runs = json::array();
        std::vector<std::pair<std::string, fs::path>> files;  // (stamp, file)
        if (!report_dir.empty())
          for (const auto& scenario : entries(report_dir))
            for (const auto& f : entries(scenario))
              if (f.extension() == ".json" && safe_name(scenario.filename().string()) && safe_name(f.stem().string()))
                files.emplace_back(f.stem().string(), f);
        std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        if (files.size() > kRunsListed) files.resize(kRunsListed);
        for (const auto& [stamp, file] : files) {
          const std::string id = file.parent_path().filename().string() + "/" + stamp;
          auto r = load::parse_report_json(read_file(file));
          if (r.ok())
            runs.push_back(headline(id, *r));
          else
            runs.push_back({{"id", id}, {"error", r.message()}});
        }
        return reply(200, json{{"status", "success"}, {"data", {{"runs", runs}, {"reportDir", report_dir}}}});
      }));
  router.add("GET", "/api/v1/bench/runs/{scenario}/{run}",
             guarded(auth, "", [report_dir](const http::Request& q, const std::string&) {
               const std::string id = q.params.at("scenario") + "/" + q.params.at("run");
               auto r = load_run(report_dir, id);
               if (!r.ok()) return fail(404, r.message(), "GET /api/v1/bench/runs lists the runs kept");
               json data = json::parse(load::report_json(*r), nullptr, false);
               data["headline"] = headline(id, *r);
               return reply(200, json{{"status", "success"}, {"data", data}});
             }));
  router.add("GET", "/api/v1/bench/runs/{scenario}/{run}/report.html",
             guarded(auth, "", [report_dir](const http::Request& q, const std::string&) {
               auto r = load_run(report_dir, q.params.at("scenario") + "/" + q.params.at("run"));
               if (!r.ok()) return fail(404, r.message(), "GET /api/v1/bench/runs lists the runs kept");
               http::Response out{200, "text/html; charset=utf-8", load::report_html(*r)};
               // The report has inline CSS and SVG and no script: it may style itself, run nothing, load
               // nothing, and be framed by the console only.
               out.headers = {{"Content-Security-Policy",
                               "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"X-Frame-Options", "SAMEORIGIN"},
                              {"Referrer-Policy", "no-referrer"}};
               return out;
             }));
  router.add(
      "GET", "/api/v1/bench/compare", guarded(auth, "", [report_dir](const http::Request& q, const std::string&) {
        const std::string hint = "baseline=SCENARIO/RUN&current=SCENARIO/RUN[&goal=rps=+50%]";
        const auto params = http::query_params(q.query);
        const std::string baseline = http::query_param(params, "baseline"),
                          current = http::query_param(params, "current");
        if (baseline.empty() || current.empty()) return fail(400, "compare needs two runs", hint);
        auto b = load_run(report_dir, baseline), c = load_run(report_dir, current);
        if (!b.ok()) return fail(404, "baseline: " + b.message(), hint);
        if (!c.ok()) return fail(404, "current: " + c.message(), hint);
        std::map<std::string, std::string> goals = c->goals;  // the current run's scenario goals, then the request's
        for (auto [it, end] = params.equal_range("goal"); it != end; ++it) {
          const std::string& g = it->second;
          const auto eq = g.find('=');
          if (eq == std::string::npos) return fail(400, "goal \"" + g + "\" is not METRIC=GOAL", hint);
          goals[g.substr(0, eq)] = g.substr(eq + 1);
        }
        auto rows = load::compare_runs(*b, *c, goals);
        if (!rows.ok()) return fail(400, rows.message(), hint);
        json list = json::array();
        bool passed = true;
        for (const auto& row : *rows) {
          list.push_back({{"metric", row.metric},
                          {"unit", row.unit},
                          {"baseline", row.baseline},
                          {"current", row.current},
                          {"change", row.change},
                          {"goal", row.goal},
                          {"hasGoal", row.has_goal},
                          {"passed", row.passed}});
          passed = passed && row.passed;
        }
        return reply(200, json{{"status", "success"},
                               {"data",
                                {{"baseline", headline(baseline, *b)},
                                 {"current", headline(current, *c)},
                                 {"rows", list},
                                 {"passed", passed}}}});
      }));
}

}  // namespace vigil::app
