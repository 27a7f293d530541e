// `vigil bench run` and `vigil bench compare`: benchmark runs from the command line or from
// [[scenarios.NAME]] tables, with thresholds, reports and before/after comparisons.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::app {

// Exit codes, k6-like: 0 passed, 1 the run could not be done (nothing reached the target),
// 2 bad usage or configuration, 99 a threshold or goal failed.
inline constexpr int kBenchThresholdFailed = 99;

struct BenchRunArgs {
  std::string scenario;  // a [[scenarios.NAME]] alias in --config, else a scenario plugin's name
  std::string config;    // "" = none
  std::string target;    // overrides
  int vus = 0;
  double rate = -1;
  std::string duration, warmup, request_timeout;
  std::vector<std::string> stages;  // "30s:100": replace the config's; targets are rates with --rate
  int threads = 0;
  std::vector<std::string> thresholds;  // added to the config's
  std::vector<std::string> sets;        // KEY=VALUE: the scenario plugin's own settings
  std::string out_dir;                  // report.json and report.md go here
  int target_pid = 0;
  double connect_rate = 0;  // WebSocket: connections opened a second (0 = 1000)
  bool progress = true;
  bool abort_on_fail = false;  // a threshold failing during the run ends it
  std::string tls_ca_file;     // https/wss: PEM certificates to trust besides the system's
  bool tls_skip_verify = false;
};

int bench_run(const BenchRunArgs& args, std::ostream& out, std::ostream& err);
int bench_compare(const std::string& baseline, const std::string& current, const std::vector<std::string>& goals,
                  std::ostream& out, std::ostream& err);

}  // namespace vigil::app
