#include "load/call_load.h"
#include "load/live_totals.h"
#include "load/process_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

namespace vigil::load {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct WorkerResult {
  RunResult part;
  LiveTotals::Batch batch;  // for the run's LiveTotals, when it is judged as it goes
  std::vector<uint64_t> completed_per_second, errors_per_second;
};

}  // namespace

Result<RunResult> run_call_load(const LoadOptions& o, CallSource& source, const std::atomic<bool>* abort,
                                const std::function<void(const Progress&)>& progress) {
  if (o.connections < (!o.open() && !o.stages.empty() ? 0 : 1))
    return Status::error("at least one worker (--vus) is needed");
  if (o.rate < 0) return Status::error("the rate must be positive");
  const LoadProfile profile = o.profile();
  const bool open = o.open(), ramped = !open && !o.stages.empty();
  // Closed model with stages: worker w runs while the level exceeds w.
  const int worker_count = ramped ? std::max(1, static_cast<int>(std::ceil(profile.peak() - 1e-9))) : o.connections;
  if (worker_count > 10000) return Status::error("at most 10000 workers (the stages ask for more)");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_seq{0}, completed{0}, errors{0}, dropped{0};
  std::atomic<int> running{0};
  const bool judged = static_cast<bool>(o.judge);
  LiveTotals live;
  const auto start = Clock::now();
  const auto measure_from = start + o.warmup;
  const auto end = measure_from + o.measured_duration();
  const double cpu0 = self_cpu_seconds();
  std::vector<WorkerResult> results(static_cast<size_t>(worker_count));
  std::vector<std::thread> workers;
  for (int w = 0; w < worker_count; ++w) {
    workers.emplace_back([&, w] {
      auto& r = results[static_cast<size_t>(w)];
      bool active = false;
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed);) {
        auto intended = Clock::now();
        if (ramped) {
          const double t = std::chrono::duration<double>(intended - start).count();
          const bool wanted = profile.at(t) + 1e-9 >= w + 1;
          if (wanted != active) running.fetch_add(wanted ? 1 : -1);
          active = wanted;
          if (!active) {  // wait (in slices, to see the stop) for the level to come back
            const double when = profile.first_reaching(w + 1, t).value_or(profile.duration_s());
            std::this_thread::sleep_until(
                std::min(start + std::chrono::microseconds(static_cast<int64_t>(when * 1e6)), intended + 100ms));
            continue;
          }
        }
        if (open) {
          // The workers take the run's arrivals in turn.
          const auto at = profile.arrival_time(
              static_cast<double>(i++ * static_cast<uint64_t>(worker_count) + static_cast<uint64_t>(w)));
          if (!at) break;
          intended = start + std::chrono::microseconds(static_cast<int64_t>(*at * 1e6));
          if (intended >= end) break;
          if (intended > Clock::now()) std::this_thread::sleep_until(intended);
          if (Clock::now() - intended > o.request_timeout) {  // far behind: drop, as the HTTP engine does
            dropped.fetch_add(1);
            if (intended >= measure_from) ++r.part.dropped;
            if (judged && intended >= measure_from) ++r.batch.dropped;
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
          if (judged) {
            ++r.batch.failed;
            live.offer(r.batch, done);
          }
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
        if (judged) {
          r.batch.latency.record(lat);
          ++r.batch.ok;
          live.offer(r.batch, done);
        }
        const auto sec = static_cast<size_t>(us_between(measure_from, done) / 1'000'000);
        if (r.completed_per_second.size() <= sec) r.completed_per_second.resize(sec + 1);
        ++r.completed_per_second[sec];
      }
    });
  }
  if (!ramped) running = worker_count;
  uint64_t last = 0;
  auto last_tick = start;
  std::vector<uint64_t> running_per_second;
  std::string aborted_why;
  auto last_judged = start;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    sample_level(running_per_second, measure_from, end, now, static_cast<uint64_t>(std::max(0, running.load())));
    if (abort && abort->load() && !stop) aborted_why = "stopped before its end";
    if (now >= end || (abort && abort->load())) stop = true;
    if (judged && !stop && now >= measure_from && now - last_judged >= 1s) {
      last_judged = now;
      aborted_why = o.judge(live.snapshot(std::chrono::duration<double>(now - measure_from).count()));
      if (!aborted_why.empty()) stop = true;
    }
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
  r.model = open ? "open" : "closed";
  r.target = "call";
  r.connections = worker_count;
  r.threads = worker_count;
  r.rate = o.rate;
  r.stages = stages_text(o.stages);
  r.warmup_s = std::chrono::duration<double>(o.warmup).count();
  r.duration_s = std::max(0.0, std::chrono::duration<double>(std::min(finished, end) - measure_from).count());
  std::vector<uint64_t> per_second;
  for (auto& w : results) {
    r.add_part(w.part);
    if (per_second.size() < w.completed_per_second.size()) per_second.resize(w.completed_per_second.size());
    for (size_t i = 0; i < w.completed_per_second.size(); ++i) per_second[i] += w.completed_per_second[i];
  }
  for (size_t i = 0; i < per_second.size(); ++i)
    r.timeline.push_back({static_cast<int64_t>(i) * 1000, 0, per_second[i], 0, 0, 0, 0, 0,
                          i < running_per_second.size() ? running_per_second[i] : 0});
  r.generator_cpu_seconds = self_cpu_seconds() - cpu0;
  r.aborted = aborted_why;
  if (!r.aborted.empty()) r.warnings.push_back("the run ended early: " + r.aborted);
  if (r.dropped)
    r.warnings.push_back(std::to_string(r.dropped) + " due operations were dropped: the workers fell behind the rate");
  return r;
}

}  // namespace vigil::load
