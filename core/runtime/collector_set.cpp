#include "runtime/collector_set.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <condition_variable>
#include <set>

#include "log/log.h"
#include "log/rate_limiter.h"
#include "metrics/agent_metrics.h"
#include "metrics/sample_store.h"
#include "metrics/series_store.h"
#include "isolation/isolated_collector.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/plugin_catalog.h"

namespace vigil::runtime {

struct CollectorSet::Entry {
  std::shared_ptr<plugin_host::Collector> instance;
  std::string identity;
  std::string source;  // sample store key
  metrics::CollectorSeries* series = nullptr;
  std::mutex mu;
  Clock::time_point last_success{};  // guarded by mu
  bool ever_succeeded = false;       // guarded by mu
  std::string last_error;            // guarded by mu
  double interval_seconds = 0;       // set before the job starts

  // The gate between the job and retire(): a run touches the instance, its metrics and the
  // stores only while it holds gate_mu and `retired` is false, or inside collect() with
  // `in_call` set; retire() waits for in_call to clear and quarantines the entry if it won't.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool in_call = false;            // guarded by gate_mu
  bool retired = false;            // guarded by gate_mu
  bool quarantined = false;        // guarded by gate_mu: its run stops the instance on return
  Clock::time_point retired_at{};  // guarded by gate_mu
};

namespace {

log::RateLimiter& failure_log_limiter() {
  static log::RateLimiter limiter(std::chrono::minutes(1));
  return limiter;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

CollectorSet::CollectorSet(Scheduler& scheduler, metrics::AgentMetrics& metrics, metrics::SampleStore& store)
    : scheduler_(scheduler), metrics_(metrics), plugin_host_path_(isolation::default_host_path()), store_(store) {}

CollectorSet::~CollectorSet() = default;

CollectorSet::Prepared CollectorSet::prepare(const config::Settings& settings,
                                             plugin_host::PluginCatalog& catalog) const {
  Prepared out;
  out.agent = settings.agent;
  std::set<std::string> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : running_) running.insert(id);
  }
  for (const auto& inst : settings.collectors) {
    const std::string id = inst.identity();
    out.identities.push_back(id);
    if (running.count(id)) continue;
    // stage "load": no loadable plugin of that name (reason: missing, or why its file was
    // refused); "create": the plugin refused the instance's settings.
    auto fail = [&](const std::string& msg, const char* stage, const std::string& reason) {
      if (inst.optional) {
        out.warnings.push_back(msg + " (optional = true: skipped)");
      } else {
        out.problems.push_back(msg);
      }
      metrics_.plugin_failure(inst.plugin, stage, reason);
    };
    if (inst.isolation == "process") {
      // Only the host process loads an isolated plugin: nothing of it runs in the agent.
      const std::string path = catalog.locate(inst.plugin);
      if (path.empty()) {
        fail(inst.where + ": " + catalog.not_found_message(inst.plugin, "collector"), "load",
             catalog.refusal_reason(inst.plugin));
        continue;
      }
      isolation::IsolationOptions options;
      options.host_path = plugin_host_path_;
      options.log_level = settings.log.level;
      options.memory_limit = inst.memory_limit;
      options.metrics = &metrics_;
      auto created = isolation::IsolatedCollector::create(path, inst, std::move(options));
      if (!created.ok()) {
        fail(created.message(), "create", "settings");
        continue;
      }
      out.created[id] = std::move(created.value());
      continue;
    }
    auto plugin = catalog.find(inst.plugin);
    if (!plugin) {
      fail(inst.where + ": " + catalog.not_found_message(inst.plugin, "collector"), "load",
           catalog.refusal_reason(inst.plugin));
      continue;
    }
    auto created = plugin_host::CollectorInstance::create(plugin, inst);
    if (!created.ok()) {
      fail(created.message(), "create", "settings");
      continue;
    }
    out.created[id] = std::move(created.value());
  }
  return out;
}

Job CollectorSet::make_job(const std::shared_ptr<Entry>& e, const config::AgentSettings& agent) {
  const auto& s = e->instance->settings();
  Job job;
  job.id = e->identity;
  job.spec.interval = s.interval.count() ? s.interval : agent.interval;
  job.spec.timeout = s.timeout.count() ? s.timeout : agent.timeout;
  job.spec.jitter = std::min(agent.jitter, job.spec.interval);
  job.spec.max_backoff = agent.max_backoff;
  e->interval_seconds = std::chrono::duration<double>(job.spec.interval).count();
  metrics::SampleStore* store = &store_;
  auto series = series_ptr_;
  metrics::AgentMetrics* agent_metrics = &metrics_;
  job.run = [e, store, series, agent_metrics](Clock::time_point deadline) {
    const int64_t deadline_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    {
      std::lock_guard gate(e->gate_mu);
      if (e->retired) return false;
      e->in_call = true;
      e->series->runs->Increment();
    }
    auto out = e->instance->collect(deadline_ns);
    std::unique_lock gate(e->gate_mu);
    e->in_call = false;
    e->gate_cv.notify_all();
    if (e->retired) {
      // Removed while collecting: the results are discarded; a quarantined instance is stopped
      // here, now that no call into it is in flight.
      const bool release = e->quarantined;
      e->quarantined = false;
      gate.unlock();
      if (release) {
        e->instance->stop();
        agent_metrics->plugin_quarantined("collector", e->instance->plugin_name(), -1);
        log::info("collector", "a quarantined collector returned; its results were discarded and it was stopped",
                  {{"collector", e->instance->plugin_name()}, {"alias", e->instance->alias()}});
      }
      return false;
    }
    e->series->duration->Observe(out.seconds);
    e->series->samples->Increment(static_cast<double>(out.samples.size()));
    if (out.invalid_samples) e->series->invalid_samples->Increment(static_cast<double>(out.invalid_samples));
    if (out.over_sample_limit) e->series->over_sample_limit->Increment();
    if (auto* s = series->load()) {
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      auto with_labels = out.samples;
      for (auto& smp : with_labels) metrics::add_missing_labels(smp, e->instance->settings().labels);
      if (!with_labels.empty() || out.result == plugin_host::CollectOutcome::Result::ok || out.over_sample_limit)
        s->append_batch(e->source, now_ms, with_labels);
    }
    // Whatever valid samples the run produced are published, even from a failed run, except one
    // over its sample_limit: its series are gone, as after a failed scrape in Prometheus.
    if (!out.samples.empty() || out.result == plugin_host::CollectOutcome::Result::ok || out.over_sample_limit)
      store->replace(e->source, std::move(out.samples), e->instance->settings().labels);
    const bool ok = out.result == plugin_host::CollectOutcome::Result::ok;
    {
      std::lock_guard lock(e->mu);
      if (ok) {
        e->last_success = Clock::now();
        e->ever_succeeded = true;
        e->last_error.clear();
      } else {
        e->last_error = out.error;
      }
    }
    e->series->up->Set(ok ? 1 : 0);
    if (ok) {
      e->series->last_success->Set(unix_now());
    } else {
      if (out.result == plugin_host::CollectOutcome::Result::error) e->series->errors->Increment();
      if (auto suppressed = failure_log_limiter().admit(e->identity)) {
        log::warn("collector", "collection failed",
                  {{"collector", e->instance->plugin_name()},
                   {"alias", e->instance->alias()},
                   {"error", out.error},
                   {"suppressed", *suppressed}});
      }
    }
    return ok;
  };
  job.on_skip = [e] {
    std::lock_guard gate(e->gate_mu);
    if (e->retired) return;
    e->series->skipped->Increment();
    log::debug("scheduler", "run skipped: previous still running",
               {{"collector", e->instance->plugin_name()}, {"alias", e->instance->alias()}});
  };
  job.on_overrun = [e, timeout = job.spec.timeout] {
    std::lock_guard gate(e->gate_mu);
    if (e->retired) return;
    e->series->timeouts->Increment();
    e->instance->request_stop();
    if (failure_log_limiter().admit(e->identity + "/overrun"))
      log::warn("collector", "collection passed its deadline; later runs are skipped until it returns",
                {{"collector", e->instance->plugin_name()},
                 {"alias", e->instance->alias()},
                 {"timeout_seconds", std::chrono::duration<double>(timeout).count()}});
  };
  metrics::AgentMetrics* m = &metrics_;
  job.on_lag = [m](double lag) { m->observe_scheduler_lag(lag); };
  return job;
}

Status CollectorSet::apply(Prepared prepared) {
  // Start every new instance first, so a failure leaves the running set untouched.
  std::vector<std::shared_ptr<Entry>> fresh;
  for (auto& [id, inst] : prepared.created) {
    if (auto st = inst->start(); !st.ok()) {
      metrics_.plugin_failure(inst->plugin_name(), "start", "error");
      if (inst->settings().optional) {
        log::warn("collector", "optional collector failed to start; skipped", {{"error", st.message()}});
        continue;
      }
      for (auto& f : fresh) f->instance->stop();
      return st;
    }
    auto e = std::make_shared<Entry>();
    e->instance = inst;
    e->identity = id;
    e->source = "collector/" + inst->plugin_name() + "/" + inst->alias();
    e->series = &metrics_.collector(inst->plugin_name(), inst->alias());
    fresh.push_back(std::move(e));
  }
  std::set<std::string> wanted(prepared.identities.begin(), prepared.identities.end());
  std::vector<std::shared_ptr<Entry>> removed;
  {
    std::lock_guard lock(mu_);
    for (auto it = running_.begin(); it != running_.end();) {
      if (!wanted.count(it->first)) {
        removed.push_back(it->second);
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& e : removed) {
    scheduler_.remove(e->identity, std::chrono::nanoseconds(0));
    retire(e);
    store_.remove(e->source);
    if (auto* s = series_.load())
      s->end_source(e->source, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  }
  // Series of a removed alias go away unless a new instance reuses the alias.
  std::set<std::pair<std::string, std::string>> live;
  for (auto& e : fresh) live.insert({e->instance->plugin_name(), e->instance->alias()});
  {
    std::lock_guard lock(mu_);
    for (auto& [id, e] : running_) live.insert({e->instance->plugin_name(), e->instance->alias()});
  }
  for (auto& e : removed)
    if (!live.count({e->instance->plugin_name(), e->instance->alias()}))
      metrics_.remove_collector(e->instance->plugin_name(), e->instance->alias());
  for (auto& e : fresh) {
    scheduler_.add(make_job(e, prepared.agent));
    std::lock_guard lock(mu_);
    running_[e->identity] = e;
  }
  log::info("collector", "collectors applied",
            {{"started", fresh.size()}, {"stopped", removed.size()}, {"running", size()}});
  return {};
}

void CollectorSet::retire(const std::shared_ptr<Entry>& e) {
  // A collection in progress gets a moment to return before its instance is quarantined.
  constexpr auto kGrace = std::chrono::milliseconds(500);
  bool stop_now;
  {
    std::unique_lock gate(e->gate_mu);
    e->retired = true;
    e->retired_at = Clock::now();
    e->gate_cv.wait_for(gate, kGrace, [&] { return !e->in_call; });
    e->quarantined = e->in_call;
    stop_now = !e->in_call;
  }
  if (stop_now) {
    e->instance->stop();
    return;
  }
  e->instance->request_stop();
  metrics_.plugin_quarantined("collector", e->instance->plugin_name(), +1);
  log::warn("collector",
            "a removed collector is still inside collect(); it is quarantined until the call returns and its "
            "results will be discarded",
            {{"collector", e->instance->plugin_name()}, {"alias", e->instance->alias()}});
  std::lock_guard lock(mu_);
  std::erase_if(quarantined_, [](const std::shared_ptr<Entry>& q) {
    std::lock_guard gate(q->gate_mu);
    return !q->quarantined;
  });
  quarantined_.push_back(e);
}

void CollectorSet::clear() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(running_);
  }
  for (auto& [id, e] : all) retire(e);
}

std::vector<QuarantinedCollector> CollectorSet::quarantined() const {
  std::vector<QuarantinedCollector> out;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  for (const auto& e : quarantined_) {
    std::lock_guard gate(e->gate_mu);
    if (!e->quarantined) continue;
    out.push_back(
        {e->instance->plugin_name(), e->instance->alias(), std::chrono::duration<double>(now - e->retired_at).count()});
  }
  return out;
}

std::vector<CollectorStatus> CollectorSet::statuses() const {
  std::vector<CollectorStatus> out;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  for (const auto& [id, e] : running_) {
    CollectorStatus s;
    s.plugin = e->instance->plugin_name();
    s.alias = e->instance->alias();
    s.optional = e->instance->settings().optional;
    s.interval_seconds = e->interval_seconds;
    std::lock_guard el(e->mu);
    s.ever_succeeded = e->ever_succeeded;
    if (e->ever_succeeded) s.seconds_since_success = std::chrono::duration<double>(now - e->last_success).count();
    s.last_error = e->last_error;
    out.push_back(std::move(s));
  }
  return out;
}

size_t CollectorSet::size() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

}  // namespace vigil::runtime
