#include "runtime/collector_set.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <set>

#include "log/log.h"
#include "log/rate_limiter.h"
#include "metrics/agent_metrics.h"
#include "metrics/sample_store.h"
#include "metrics/series_store.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/plugin_catalog.h"

namespace vigil::runtime {

struct CollectorSet::Entry {
  std::shared_ptr<plugin_host::CollectorInstance> instance;
  std::string identity;
  std::string source;  // sample store key
  metrics::CollectorSeries* series = nullptr;
  std::mutex mu;
  Clock::time_point last_success{};  // guarded by mu
  bool ever_succeeded = false;       // guarded by mu
  std::string last_error;            // guarded by mu
  double interval_seconds = 0;       // set before the job starts
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
    : scheduler_(scheduler), metrics_(metrics), store_(store) {}

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
  job.run = [e, store, series](Clock::time_point deadline) {
    const int64_t deadline_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    e->series->runs->Increment();
    auto out = e->instance->collect(deadline_ns);
    e->series->duration->Observe(out.seconds);
    e->series->samples->Increment(static_cast<double>(out.samples.size()));
    if (out.invalid_samples) e->series->invalid_samples->Increment(static_cast<double>(out.invalid_samples));
    if (auto* s = series->load()) {
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      auto with_labels = out.samples;
      for (auto& smp : with_labels) metrics::add_missing_labels(smp, e->instance->settings().labels);
      if (!with_labels.empty() || out.result == plugin_host::CollectOutcome::Result::ok)
        s->append_batch(e->source, now_ms, with_labels);
    }
    // Whatever valid samples the run produced are published, even from a failed run.
    if (!out.samples.empty() || out.result == plugin_host::CollectOutcome::Result::ok)
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
    e->series->skipped->Increment();
    log::debug("scheduler", "run skipped: previous still running",
               {{"collector", e->instance->plugin_name()}, {"alias", e->instance->alias()}});
  };
  job.on_overrun = [e, timeout = job.spec.timeout] {
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
    scheduler_.remove(e->identity);
    e->instance->stop();
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

void CollectorSet::clear() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(running_);
  }
  for (auto& [id, e] : all) e->instance->stop();
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
