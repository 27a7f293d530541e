#include "metrics/agent_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "log/log.h"
#include "metrics/process_stats.h"
#include "metrics/sample_store.h"

namespace vigil::metrics {

struct AgentMetrics::Families {
  prometheus::Family<prometheus::Gauge>& build_info;
  prometheus::Family<prometheus::Histogram>& collector_duration;
  prometheus::Family<prometheus::Counter>& collector_runs;
  prometheus::Family<prometheus::Counter>& collector_errors;
  prometheus::Family<prometheus::Counter>& collector_timeouts;
  prometheus::Family<prometheus::Counter>& collector_skipped;
  prometheus::Family<prometheus::Counter>& collector_samples;
  prometheus::Family<prometheus::Counter>& collector_invalid;
  prometheus::Family<prometheus::Counter>& collector_over_limit;
  prometheus::Family<prometheus::Gauge>& collector_up;
  prometheus::Family<prometheus::Gauge>& collector_last_success;
  prometheus::Histogram& scheduler_lag;
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Family<prometheus::Histogram>& http_duration;
  prometheus::Gauge& http_connections;
  prometheus::Counter& http_rejected_total;       // limit="max_connections"
  prometheus::Counter& http_rejected_per_client;  // limit="max_connections_per_client"
  prometheus::Family<prometheus::Counter>& reloads;
  prometheus::Gauge& last_reload_success;
  prometheus::Family<prometheus::Counter>& plugin_failures;
  prometheus::Gauge& config_hash;
  prometheus::Family<prometheus::Counter>& api_auth_failures;
  prometheus::Family<prometheus::Counter>& api_mutations;
  prometheus::Family<prometheus::Gauge>& plugin_quarantined;
  prometheus::Family<prometheus::Counter>& plugin_host_crashes;
  prometheus::Family<prometheus::Counter>& plugin_host_restarts;
  prometheus::Family<prometheus::Gauge>& plugin_host_rss;
};

namespace {

const prometheus::Histogram::BucketBoundaries kDurationBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};

template <class Builder>
auto& build(Builder b, const char* name, const char* help, prometheus::Registry& r) {
  return b.Name(name).Help(help).Register(r);
}

}  // namespace

AgentMetrics::AgentMetrics(const std::string& version) : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  auto& lag_family = build(prometheus::BuildHistogram(), "vigil_scheduler_lag_seconds",
                           "Delay between a collection's due time and its start.", r);
  auto& conn_family =
      build(prometheus::BuildGauge(), "vigil_http_connections", "Open connections to the HTTP server.", r);
  auto& rejected_family =
      build(prometheus::BuildCounter(), "vigil_http_rejected_connections_total",
            "Connections closed at once, by the limit reached (max_connections, max_connections_per_client).", r);
  auto& last_reload = build(prometheus::BuildGauge(), "vigil_config_last_reload_success_timestamp_seconds",
                            "Unix time of the last successful config load.", r);
  f_.reset(new Families{
      build(prometheus::BuildGauge(), "vigil_build_info", "vigil version and plugin ABI; always 1.", r),
      build(prometheus::BuildHistogram(), "vigil_collector_duration_seconds", "Duration of collections.", r),
      build(prometheus::BuildCounter(), "vigil_collector_runs_total", "Collections started.", r),
      build(prometheus::BuildCounter(), "vigil_collector_errors_total", "Collections that returned an error.", r),
      build(prometheus::BuildCounter(), "vigil_collector_timeouts_total", "Collections that ran past their deadline.",
            r),
      build(prometheus::BuildCounter(), "vigil_collector_skipped_total",
            "Collections skipped because the previous one was still running.", r),
      build(prometheus::BuildCounter(), "vigil_collector_samples_emitted_total", "Samples accepted.", r),
      build(prometheus::BuildCounter(), "vigil_collector_invalid_samples_total",
            "Samples rejected for invalid names or labels.", r),
      build(prometheus::BuildCounter(), "vigil_collector_sample_limit_exceeded_total",
            "Collections that emitted more samples than their sample_limit, and so failed whole.", r),
      build(prometheus::BuildGauge(), "vigil_collector_up", "1 when the last collection succeeded.", r),
      build(prometheus::BuildGauge(), "vigil_collector_last_success_timestamp_seconds",
            "Unix time of the last successful collection.", r),
      lag_family.Add({}, kDurationBuckets),
      build(prometheus::BuildCounter(), "vigil_http_requests_total", "HTTP requests served.", r),
      build(prometheus::BuildHistogram(), "vigil_http_request_duration_seconds", "HTTP request durations.", r),
      conn_family.Add({}),
      rejected_family.Add({{"limit", "max_connections"}}),
      rejected_family.Add({{"limit", "max_connections_per_client"}}),
      build(prometheus::BuildCounter(), "vigil_config_loads_total", "Config loads and reloads by result.", r),
      last_reload.Add({}),
      build(prometheus::BuildCounter(), "vigil_plugin_failures_total",
            "Collector plugins that could not be used, by stage (load, create, start) and reason.", r),
      build(prometheus::BuildGauge(), "vigil_config_hash",
            "Hash of the loaded config file's text (53 bits); changes when the applied config changes.", r)
          .Add({}),
      build(prometheus::BuildCounter(), "vigil_api_auth_failures_total",
            "API calls refused for their credentials, by reason (disabled, missing, wrong, scope).", r),
      build(prometheus::BuildCounter(), "vigil_api_mutations_total",
            "Changes made through the API, by principal (token:NAME, user:NAME, cert:CN) and action.", r),
      build(prometheus::BuildGauge(), "vigil_plugin_quarantined",
            "Plugin instances removed by a reload while a call into them was still running: kept alive, their "
            "results discarded, until the call returns.",
            r),
      build(prometheus::BuildCounter(), "vigil_plugin_host_crashes_total",
            "Host processes of isolated plugin instances that ended without being asked to: by signal (SIGSEGV, "
            "SIGABRT, SIGKILL when killed past a deadline, none for an exit or a broken protocol).",
            r),
      build(prometheus::BuildCounter(), "vigil_plugin_host_restarts_total",
            "Host processes of isolated plugin instances started again after a crash.", r),
      build(prometheus::BuildGauge(), "vigil_plugin_host_rss_bytes",
            "Resident memory of each isolated plugin instance's host process, read after each call.", r),
  });
  f_->build_info.Add({{"version", version}, {"abi", "1"}}).Set(1);
}

AgentMetrics::~AgentMetrics() = default;

CollectorSeries& AgentMetrics::collector(const std::string& plugin, const std::string& alias) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = collectors_.try_emplace({plugin, alias});
  if (inserted) {
    const prometheus::Labels l{{"collector", plugin}, {"alias", alias}};
    auto& s = it->second;
    s.duration = &f_->collector_duration.Add(l, kDurationBuckets);
    s.runs = &f_->collector_runs.Add(l);
    s.errors = &f_->collector_errors.Add(l);
    s.timeouts = &f_->collector_timeouts.Add(l);
    s.skipped = &f_->collector_skipped.Add(l);
    s.samples = &f_->collector_samples.Add(l);
    s.invalid_samples = &f_->collector_invalid.Add(l);
    s.over_sample_limit = &f_->collector_over_limit.Add(l);
    s.up = &f_->collector_up.Add(l);
    s.last_success = &f_->collector_last_success.Add(l);
  }
  return it->second;
}

void AgentMetrics::remove_collector(const std::string& plugin, const std::string& alias) {
  std::lock_guard lock(mu_);
  auto it = collectors_.find({plugin, alias});
  if (it == collectors_.end()) return;
  auto& s = it->second;
  f_->collector_duration.Remove(s.duration);
  f_->collector_runs.Remove(s.runs);
  f_->collector_errors.Remove(s.errors);
  f_->collector_timeouts.Remove(s.timeouts);
  f_->collector_skipped.Remove(s.skipped);
  f_->collector_samples.Remove(s.samples);
  f_->collector_invalid.Remove(s.invalid_samples);
  f_->collector_over_limit.Remove(s.over_sample_limit);
  f_->collector_up.Remove(s.up);
  f_->collector_last_success.Remove(s.last_success);
  collectors_.erase(it);
}

void AgentMetrics::observe_scheduler_lag(double seconds) {
  f_->scheduler_lag.Observe(seconds);
}

void AgentMetrics::observe_http(const std::string& route, unsigned code, double seconds) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = http_requests_.try_emplace({route, code}, nullptr);
  if (inserted) it->second = &f_->http_requests.Add({{"route", route}, {"code", std::to_string(code)}});
  it->second->Increment();
  auto [dit, dins] = http_durations_.try_emplace(route, nullptr);
  if (dins) dit->second = &f_->http_duration.Add({{"route", route}}, kDurationBuckets);
  dit->second->Observe(seconds);
}

void AgentMetrics::set_http_connections(double open) {
  f_->http_connections.Set(open);
}
void AgentMetrics::inc_http_rejected(std::string_view limit) {
  (limit == "max_connections" ? f_->http_rejected_total : f_->http_rejected_per_client).Increment();
}

void AgentMetrics::config_reload(bool ok, double unix_seconds, uint64_t hash) {
  f_->reloads.Add({{"result", ok ? "success" : "failure"}}).Increment();
  if (!ok) return;
  f_->last_reload_success.Set(unix_seconds);
  f_->config_hash.Set(static_cast<double>(hash & ((uint64_t{1} << 53) - 1)));  // exact in a double
}

void AgentMetrics::api_auth_failure(const std::string& reason) {
  f_->api_auth_failures.Add({{"reason", reason}}).Increment();
}

void AgentMetrics::api_mutation(const std::string& principal, const std::string& action) {
  // Principals are names people type: at most 50 distinct ones get their own series.
  constexpr size_t kMaxPrincipals = 50;
  std::string who = principal.empty() ? "api" : principal.substr(0, 64);
  {
    std::lock_guard lock(mu_);
    if (!principals_.count(who) && principals_.size() >= kMaxPrincipals) who = "other";
    principals_.insert(who);
  }
  f_->api_mutations.Add({{"principal", who}, {"action", action}}).Increment();
}

void AgentMetrics::plugin_failure(const std::string& plugin, const std::string& stage, const std::string& reason) {
  f_->plugin_failures.Add({{"plugin", plugin}, {"stage", stage}, {"reason", reason}}).Increment();
}

void AgentMetrics::plugin_quarantined(const std::string& kind, const std::string& plugin, int delta) {
  f_->plugin_quarantined.Add({{"kind", kind}, {"plugin", plugin}}).Increment(delta);
}

void AgentMetrics::plugin_host_crash(const std::string& kind, const std::string& plugin, const std::string& alias,
                                     const std::string& signal) {
  f_->plugin_host_crashes.Add({{"kind", kind}, {"plugin", plugin}, {"alias", alias}, {"signal", signal}}).Increment();
}

void AgentMetrics::plugin_host_restart(const std::string& kind, const std::string& plugin, const std::string& alias) {
  f_->plugin_host_restarts.Add({{"kind", kind}, {"plugin", plugin}, {"alias", alias}}).Increment();
}

void AgentMetrics::plugin_host_rss(const std::string& kind, const std::string& plugin, const std::string& alias,
                                   double bytes) {
  f_->plugin_host_rss.Add({{"kind", kind}, {"plugin", plugin}, {"alias", alias}}).Set(bytes);
}

std::string AgentMetrics::render(const SampleStore& samples) const {
  std::vector<prometheus::MetricFamily> fams = registry_->Collect();
  if (auto p = read_process_stats()) {
    auto add = [&](const char* name, const char* help, prometheus::MetricType type, double v) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = type;
      prometheus::ClientMetric m;
      if (type == prometheus::MetricType::Counter)
        m.counter.value = v;
      else
        m.gauge.value = v;
      f.metric.push_back(std::move(m));
      fams.push_back(std::move(f));
    };
    using T = prometheus::MetricType;
    add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", T::Counter, p->cpu_seconds);
    add("process_resident_memory_bytes", "Resident memory size in bytes.", T::Gauge, double(p->resident_bytes));
    add("process_virtual_memory_bytes", "Virtual memory size in bytes.", T::Gauge, double(p->virtual_bytes));
    add("process_open_fds", "Number of open file descriptors.", T::Gauge, double(p->open_fds));
    add("process_max_fds", "Maximum number of open file descriptors.", T::Gauge, double(p->max_fds));
    add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", T::Gauge,
        p->start_time_seconds);
    add("vigil_process_threads", "Threads of the vigil process.", T::Gauge, double(p->threads));
  }
  {
    prometheus::MetricFamily f;
    f.name = "vigil_log_redactions_total";
    f.help = "Log field values written as [redacted] because their names mark secrets.";
    f.type = prometheus::MetricType::Counter;
    prometheus::ClientMetric m;
    m.counter.value = static_cast<double>(log::redacted_fields_total());
    f.metric.push_back(std::move(m));
    fams.push_back(std::move(f));
  }
  // Registry families are static text; escape their help like every other.
  for (auto& f : fams) f.help = escape_help(f.help);
  const auto c = samples.append_families(fams);
  {
    prometheus::MetricFamily f;
    f.name = "vigil_metrics_conflicts";
    f.help =
        "Samples left out of this /metrics rendering: another source (or vigil itself) has the same series "
        "(duplicate_series) or the family with another type (type_mismatch), or a label value is not "
        "valid UTF-8 (invalid_utf8). Give the instances distinct labels, e.g. labels = { instance = \"...\" }.";
    f.type = prometheus::MetricType::Gauge;
    for (const auto& [reason, v] : {std::pair<const char*, uint64_t>{"duplicate_series", c.duplicate_series},
                                    {"invalid_utf8", c.invalid_utf8},
                                    {"type_mismatch", c.type_mismatch}}) {
      prometheus::ClientMetric m;
      m.label.push_back({"reason", reason});
      m.gauge.value = static_cast<double>(v);
      f.metric.push_back(std::move(m));
    }
    fams.push_back(std::move(f));
  }
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, fams);
  return os.str();
}

}  // namespace vigil::metrics
