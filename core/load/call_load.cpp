#include "load/call_load.h"
#include "load/process_stats.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace vigil::load {
namespace {

using Clock = std::chrono::steady_clock;

struct WorkerResult {
  RunResult part;
  std::vector<uint64_t> completed_per_second, errors_per_second;
};

}  // namespace

Result<RunResult> run_call_load(const LoadOptions& o, CallSource& source, const std::atomic<bool>* abort,
                                const std::function<void(const Progress&)>& progress) {
  if (o.connections < 1) return Status::error("at least one worker (--vus) is needed");
  if (o.rate < 0) return Status::error("the rate must be positive");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_seq{0}, completed{0}, errors{0}, dropped{0};
  const auto start = Clock::now();
  const auto measure_from = start + o.warmup;
  const auto end = measure_from + o.duration;
  const double cpu0 = self_cpu_seconds();
  std::vector<WorkerResult> results(static_cast<size_t>(o.connections));
  std::vector<std::thread> workers;
  for (int w = 0; w < o.connections; ++w) {
    workers.emplace_back([&, w] {
      auto& r = results[static_cast<size_t>(w)];
      const double interval_us = o.rate > 0 ? 1e6 * o.connections / o.rate : 0;
      const double phase = o.rate > 0 ? 1e6 / o.rate * w : 0;
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto intended = Clock::now();
        if (o.rate > 0) {
          intended =
              start + std::chrono::microseconds(static_cast<int64_t>(phase + interval_us * static_cast<double>(i)));
          if (intended >= end) break;
          if (intended > Clock::now()) std::this_thread::sleep_until(intended);
          if (Clock::now() - intended > o.request_timeout) {  // far behind: drop, as the HTTP engine does
            dropped.fetch_add(1);
            if (intended >= measure_from) ++r.part.dropped;
            continue;
          }
        }
        const uint64_t seq = next_seq.fetch_add(1, std::memory_order_relaxed);
        if (o.iterations && seq >= o.iterations) {
          stop = true;
          break;
        }
        std::string error;
        const auto sent = Clock::now();
        const auto deadline =
            std::chrono::duration_cast<std::chrono::nanoseconds>((sent + o.request_timeout).time_since_epoch()).count();
        const CallOutcome outcome = source.call(seq, deadline, error);
        const auto done = Clock::now();
        const bool measured = intended >= measure_from;
        if (outcome == CallOutcome::failed) {
          errors.fetch_add(1, std::memory_order_relaxed);
          if (!measured) continue;
          ++r.part.requests;
          ++r.part.errors[kErrValidation];
          r.part.error_examples.try_emplace(kErrValidation, error);
          continue;
        }
        completed.fetch_add(1, std::memory_order_relaxed);
        if (!measured) continue;
        const int64_t lat = us_between(intended, done);
        ++r.part.requests;
        ++r.part.ok;
        r.part.latency.record(lat);
        r.part.service.record(us_between(sent, done));
        auto& tag = r.part.tags[outcome == CallOutcome::miss ? "miss" : "hit"];
        ++tag.requests;
        tag.latency.record(lat);
        const auto sec = static_cast<size_t>(us_between(measure_from, done) / 1'000'000);
        if (r.completed_per_second.size() <= sec) r.completed_per_second.resize(sec + 1);
        ++r.completed_per_second[sec];
      }
    });
  }
  uint64_t last = 0;
  auto last_tick = start;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    if (now >= end || (abort && abort->load())) stop = true;
    if (progress && now - last_tick >= std::chrono::seconds(1)) {
      Progress p;
      p.elapsed_s = std::chrono::duration<double>(now - start).count();
      p.completed = completed.load();
      p.errors = errors.load();
      p.dropped = dropped.load();
      p.rate = static_cast<double>(p.completed - last) / std::chrono::duration<double>(now - last_tick).count();
      p.warming_up = now < measure_from;
      last = p.completed;
      last_tick = now;
      progress(p);
    }
    if (stop) break;
  }
  for (auto& t : workers) t.join();
  const auto finished = Clock::now();
  RunResult r;
  r.model = o.rate > 0 ? "open" : "closed";
  r.target = "call";
  r.connections = o.connections;
  r.threads = o.connections;
  r.rate = o.rate;
  r.warmup_s = std::chrono::duration<double>(o.warmup).count();
  r.duration_s = std::max(0.0, std::chrono::duration<double>(std::min(finished, end) - measure_from).count());
  std::vector<uint64_t> per_second;
  for (auto& w : results) {
    r.add_part(w.part);
    if (per_second.size() < w.completed_per_second.size()) per_second.resize(w.completed_per_second.size());
    for (size_t i = 0; i < w.completed_per_second.size(); ++i) per_second[i] += w.completed_per_second[i];
  }
  for (size_t i = 0; i < per_second.size(); ++i)
    r.timeline.push_back({static_cast<int64_t>(i) * 1000, 0, per_second[i], 0, 0, 0, 0, 0});
  r.generator_cpu_seconds = self_cpu_seconds() - cpu0;
  if (r.dropped)
    r.warnings.push_back(std::to_string(r.dropped) + " due operations were dropped: the workers fell behind the rate");
  return r;
}

}  // namespace vigil::load
