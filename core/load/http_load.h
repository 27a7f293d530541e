// The HTTP load engine: HTTP/1.1 keep-alive connections driven by Asio on `threads` threads
// (each thread an io_context with its share of the connections and of the rate, as wrk does),
// in one of two models:
//  - closed: each connection sends its next request as soon as the last reply arrived (wrk);
//  - open: requests are due at a constant rate; a due request waits for a free connection, and
//    its latency counts from when it was due, so a stall shows in the numbers instead of
//    silently lowering the rate (wrk2, k6's constant-arrival-rate: coordinated omission is
//    corrected). A request still waiting after request_timeout is dropped and counted.
// The warm-up is run but not measured; at the end no new request starts and those in flight
// get up to `drain` to finish. Failures are counted by kind and never recorded as latency.
//
// The scenario shapes the traffic through RequestSource; the engine does the I/O and timing.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "load/load_profile.h"
#include "load/run_result.h"

namespace vigil::load {

struct HttpRequestSpec {
  std::string method = "GET";
  std::string target = "/";  // path and query, appended to the base URL's path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string tag;  // per-endpoint breakdown in reports ("" = the method and path)
};

// Borrowed from the engine's parser for the duration of the check.
struct HttpReplyView {
  int status = 0;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

// [ts]: called from every engine thread.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // Request number seq (0-based, unique in the run). An error stops the run.
  virtual Status build(uint64_t seq, HttpRequestSpec& out) = 0;
  // "" when the reply is right; otherwise why not (counted as a validation failure).
  virtual std::string check(uint64_t seq, const HttpReplyView& reply) = 0;
  // Setup requests sent in order on one connection before the load (login, session start),
  // not measured: false when there is no step `step`. An error from either ends the run.
  virtual Result<bool> setup_request(uint32_t step, HttpRequestSpec& out) {
    (void)step, (void)out;
    return false;
  }
  virtual Status check_setup(uint32_t step, const HttpReplyView& reply) {
    (void)step, (void)reply;
    return {};
  }
};

struct LoadOptions {
  std::string url;       // http[s]://host[:port][/base-path]
  int connections = 10;  // closed model: the connections (at the start, with stages); open: the most used
  int threads = 1;
  double rate = 0;  // > 0: the open model at this many requests a second (at the start, with stages)
  std::chrono::milliseconds duration{10000}, warmup{0};
  // Staged ramps: from `connections` (closed model), or from `rate` when rate_stages (open model,
  // then also with a rate of 0), the level moves to each stage's target; the measured part is
  // the stages and `duration` is not used. The warm-up holds the starting level.
  std::vector<Stage> stages;
  bool rate_stages = false;
  uint64_t iterations = 0;  // > 0: stop after this many requests
  std::chrono::milliseconds request_timeout{10000}, connect_timeout{3000}, drain{5000};
  int target_pid = 0;  // > 0: CPU and memory of this process go into the report
  // https and wss: the server's certificate is checked against the system's CAs (and
  // tls_ca_file's, PEM) and the host name, unless tls_skip_verify.
  std::string tls_ca_file;
  bool tls_skip_verify = false;
  // Optional: called about once a second from the calling thread with the measured part so far
  // (see LiveTotals); a non-empty reason ends the run early, as RunResult::aborted.
  std::function<std::string(const RunResult& so_far)> judge;

  bool open() const { return rate > 0 || (rate_stages && !stages.empty()); }
  // The level over the whole run, warm-up first: connections (closed model) or rate (open).
  LoadProfile profile() const {
    const double start = open() ? rate : connections;
    std::vector<Stage> all{{warmup, start}};
    if (stages.empty()) all.push_back({duration, start});
    all.insert(all.end(), stages.begin(), stages.end());
    return LoadProfile(start, std::move(all));
  }
  std::chrono::milliseconds measured_duration() const {
    if (stages.empty()) return duration;
    std::chrono::milliseconds d{0};
    for (const auto& s : stages) d += s.duration;
    return d;
  }
};

struct Progress {
  double elapsed_s = 0;
  uint64_t completed = 0, errors = 0, dropped = 0;
  double rate = 0;     // completions a second over the last interval
  int64_t p95_us = 0;  // over the last second
  bool warming_up = false;
};

// Runs to the end (or until *abort). An error only when the run cannot start (a URL that does
// not parse or resolve, a scenario that cannot build requests); an unreachable target is a run
// full of connect errors. progress is called about once a second from the calling thread.
Result<RunResult> run_http_load(const LoadOptions& options, RequestSource& source,
                                const std::atomic<bool>* abort = nullptr,
                                const std::function<void(const Progress&)>& progress = {});

struct ParsedUrl {
  std::string host, port = "80", base_path;
  bool tls = false;  // https
};
Result<ParsedUrl> parse_http_url(const std::string& url);

}  // namespace vigil::load
