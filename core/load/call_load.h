// The call load engine: the "call" transport, where the scenario performs each operation itself
// (an in-process cache, a library) and the host times it. `connections` worker threads each call
// in a loop (closed model), or at their share of `rate` with latency counted from the due time
// (open model, coordinated omission corrected, as in the HTTP engine). An operation that
// reports "not found" is a success counted as a miss (tags "hit" and "miss"), so cache
// scenarios get their hit ratio.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "base/status.h"
#include "load/http_load.h"
#include "load/run_result.h"

namespace vigil::load {

enum class CallOutcome { ok, miss, failed };

// [ts]: called from every worker thread.
class CallSource {
 public:
  virtual ~CallSource() = default;
  // Performs operation seq; on failure, `error` says why.
  virtual CallOutcome call(uint64_t seq, int64_t deadline_mono_ns, std::string& error) = 0;
};

// options.url is not used. An error only for options that cannot run.
Result<RunResult> run_call_load(const LoadOptions& options, CallSource& source,
                                const std::atomic<bool>* abort = nullptr,
                                const std::function<void(const Progress&)>& progress = {});

}  // namespace vigil::load
