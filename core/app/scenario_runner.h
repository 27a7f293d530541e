// One run of a configured scenario: its [[scenarios]] settings become load options, the engine
// its transport needs runs it, and the result gets the run's metadata and its thresholds'
// verdicts. `vigil bench run` and the scenarios `vigil run` schedules both run through here.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "load/http_load.h"
#include "load/run_result.h"
#include "load/thresholds.h"

namespace vigil::plugin_host {
class ScenarioInstance;
}

namespace vigil::app {

struct ScenarioRunOptions {
  int target_pid = 0;       // > 0: this process's CPU and memory go into the report
  double connect_rate = 0;  // WebSocket: connections opened a second (0 = the engine's default)
  const std::atomic<bool>* abort = nullptr;
  std::function<void(const load::Progress&)> progress;
};

// The thresholds of a scenario, parsed; the error names the expression and its table.
Result<std::vector<load::Threshold>> parse_thresholds(const config::InstanceSettings& inst);

// The engine's options from a scenario's host keys (target, vus, rate, stages ...).
load::LoadOptions load_options(const config::BenchSettings& b);

// With abort_on_fail: judges the thresholds on the run so far, once a second from 5 s of
// measured load on; the reason for the first that fails. A count that can still grow into its
// bound ("requests > 1000") is left for the end.
std::string judge_so_far(const load::RunResult& so_far, const std::vector<load::Threshold>& thresholds);

// Runs the started scenario once. An error only when the run cannot start (options that cannot
// run, a target that does not parse, a scenario that cannot build requests).
Result<load::RunResult> run_scenario(plugin_host::ScenarioInstance& scenario, const config::InstanceSettings& inst,
                                     const std::vector<load::Threshold>& thresholds, const ScenarioRunOptions& run);

// Whether every threshold held.
bool thresholds_passed(const load::RunResult& r);
// Nothing reached the target: every request failed to connect.
bool unreachable(const load::RunResult& r);

}  // namespace vigil::app
