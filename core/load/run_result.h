// RunResult: everything one benchmark run measured, as the engine produces it and as reports
// store it (report.h writes and reads it as JSON without loss, histograms included).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "load/histogram.h"

namespace vigil::load {

// Microseconds from a to b on the steady clock: what every engine records.
inline int64_t us_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// Keeps `value` as the level of the measured second that `now` falls in (engines call it about
// every 100 ms; the last call in a second wins), for SecondStats::connections.
inline void sample_level(std::vector<uint64_t>& per_second, std::chrono::steady_clock::time_point measure_from,
                         std::chrono::steady_clock::time_point end, std::chrono::steady_clock::time_point now,
                         uint64_t value) {
  if (now < measure_from || now >= end) return;
  const auto i = static_cast<size_t>(us_between(measure_from, now) / 1'000'000);
  if (per_second.size() <= i) per_second.resize(i + 1);
  per_second[i] = value;
}

// Error kinds, never mixed into latency: a failed request is counted here and not recorded in
// the latency histograms.
inline constexpr const char* kErrConnect = "connect";        // refused, unreachable, DNS
inline constexpr const char* kErrTimeout = "timeout";        // no (complete) reply in time
inline constexpr const char* kErrReset = "reset";            // the peer closed or reset mid-request
inline constexpr const char* kErrHttp4xx = "http_4xx";       // a reply with a 4xx status
inline constexpr const char* kErrHttp5xx = "http_5xx";       // a reply with a 5xx status
inline constexpr const char* kErrValidation = "validation";  // the scenario's check refused the reply
inline constexpr const char* kErrProtocol = "protocol";      // not HTTP, or not the expected protocol

// One second of the run, for the charts over time.
struct SecondStats {
  int64_t t_ms = 0;  // since the start of the measured part
  uint64_t offered = 0, completed = 0, errors = 0, dropped = 0;
  int64_t p50_us = 0, p95_us = 0, p99_us = 0;
  uint64_t connections = 0;  // open (WebSocket: held; call: workers running) at the end of the second
};

struct TagStats {  // per endpoint / request kind ("send_message", "tools/call echo")
  uint64_t requests = 0, errors = 0;
  Histogram latency{3};
};

struct ThresholdOutcome {
  std::string expression;
  bool passed = false;
  double actual = 0;
  std::string unit;  // "ms", "" ...
};

struct RunResult {
  // What was run.
  std::string scenario, target, model;  // model: "closed" or "open"
  std::string started_at;               // RFC 3339, UTC
  std::string host, vigil_version;
  int connections = 0, threads = 0;
  double rate = 0;     // open model: requests a second offered (at the start, with stages)
  std::string stages;  // staged ramps as given, "30s:100 1m:100" ("" = a constant level)
  double duration_s = 0, warmup_s = 0;
  std::map<std::string, std::string> options;  // the scenario's settings, as given

  // What happened in the measured part (warm-up excluded).
  Histogram latency{3};  // from the intended start (open model: corrected for coordinated omission)
  Histogram service{3};  // from the actual send: what the server took, plus queueing in the client
  Histogram connect{3}, ttfb{3};
  uint64_t requests = 0;  // completed, successful or not
  uint64_t ok = 0, dropped = 0, late = 0, interrupted = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t connections_opened = 0, max_connections_open = 0;
  std::map<std::string, uint64_t> errors;             // by kind
  std::map<std::string, std::string> error_examples;  // by kind: one message
  std::map<std::string, TagStats> tags;
  std::vector<SecondStats> timeline;
  std::vector<std::string> warnings;  // reasons the numbers can not be trusted
  std::string aborted;                // why the run ended before its end ("" = it did not)
  // Of the target process, when its pid was given.
  std::optional<double> target_cpu_seconds, target_rss_bytes;
  double generator_cpu_seconds = 0;

  std::vector<ThresholdOutcome> thresholds;
  std::map<std::string, std::string> goals;  // metric -> "+50%", for `vigil bench compare`

  uint64_t error_count() const;
  // Adds what one engine thread measured: histograms, counts, errors, examples, tags. The
  // run's description, timeline, warnings and thresholds are the caller's.
  void add_part(const RunResult& part);
  double error_rate() const {
    return requests ? static_cast<double>(error_count()) / static_cast<double>(requests) : 0;
  }
  double throughput() const { return duration_s > 0 ? static_cast<double>(ok) / duration_s : 0; }
  // Open model: requests a second offered over the measured part (the rate, or its average
  // with stages).
  double offered_rate() const;
};

}  // namespace vigil::load
