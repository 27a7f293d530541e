// Benchmark runs over HTTP, for the console's benchmarks page: the reports that scheduled
// scenarios keep under <state_dir>/bench/<scenario>/<started>.json (scheduled_scenarios.h).
//   GET /api/v1/bench/runs                              newest first (at most 200), with headline figures
//   GET /api/v1/bench/runs/{scenario}/{run}             the report's JSON, complete
//   GET /api/v1/bench/runs/{scenario}/{run}/report.html the HTML report (the one `vigil bench run` writes)
//   GET /api/v1/bench/compare?baseline=S/R&current=S/R[&goal=rps=+50%]  the before/after table
// A run is named "<scenario>/<run>"; both parts are file names checked against path tricks.
#pragma once

#include <string>

#include "app/api_auth.h"
#include "http/http_server.h"

namespace vigil::app {

// `report_dir` "" = no reports are kept: the list is empty and runs are not found. Reads follow
// `auth` ([http] read_requires_token).
void add_bench_routes(http::Router& router, const std::string& report_dir, const ApiAuth& auth);

}  // namespace vigil::app
