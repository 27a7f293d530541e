#include "app/agent_cache.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "log/log.h"
#include "plugin_host/instance_context.h"

namespace vigil::app {
namespace {

constexpr const char* kMetricsSource = "cache";

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<AgentCache>> AgentCache::start(PreparedCache prepared, std::string snapshot_dir,
                                                      runtime::Scheduler& scheduler, metrics::SampleStore& store) {
  if (!prepared.backend && !prepared.l2) return std::unique_ptr<AgentCache>();
  std::unique_ptr<AgentCache> self(new AgentCache());
  self->prepared_ = std::move(prepared);
  self->snapshot_dir_ = std::move(snapshot_dir);
  auto& p = self->prepared_;
  // The instances outlive the facade: both are released only after the plugins that use them.
  auto unowned = [](plugin_host::CacheInstance* i) {
    return std::shared_ptr<cache::Backend>(std::shared_ptr<void>(), i);
  };
  if (p.l2) {
    self->tiered_ = std::make_shared<cache::TieredBackend>(unowned(p.l1), unowned(p.l2), p.l1_ttl);
    if (auto st = self->tiered_->start_watching(); !st.ok())
      return Status::error("[cache] backend = \"tiered\": " + st.message() +
                           " (the l2 instance must report changes: a redis instance with track_changes = true)");
    self->backend_ = self->tiered_;
    self->description_ = "tiered (l1 " + p.l1->settings().alias + ", l2 " + p.l2->settings().alias + ")";
  } else {
    self->backend_ = unowned(p.backend);
    self->description_ = p.backend->settings().alias;
  }
  for (auto& c : p.instances)
    if (auto st = c->start(); !st.ok()) return st;
  self->facade_ = std::make_shared<cache::Cache>(self->backend_, p.defaults, p.named, unix_ms_now);
  self->check_health();
  self->restore_snapshots();
  plugin_host::set_host_cache(self->facade_);
  log::info("cache", "cache ready", {{"backend", self->description_}});

  runtime::Job job;
  job.id = "cache/health";
  job.spec.interval = std::chrono::seconds(5);
  job.spec.timeout = std::chrono::seconds(5);
  job.spec.max_backoff = std::chrono::seconds(5);
  AgentCache* raw = self.get();
  job.run = [raw, guard = self->guard_, &store](runtime::Clock::time_point) {
    std::lock_guard l(guard->mu);
    if (!guard->alive) return true;
    raw->check_health();
    raw->publish(store);
    return true;
  };
  scheduler.add(std::move(job));
  return self;
}

AgentCache::~AgentCache() {
  end_job();
  if (!stopped_) {
    plugin_host::set_host_cache(nullptr);
    for (auto& c : prepared_.instances) c->stop();
  }
}

void AgentCache::end_job() {
  std::lock_guard l(guard_->mu);  // waits for a run in progress
  guard_->alive = false;
}

void AgentCache::stop(runtime::Scheduler& scheduler) {
  if (stopped_) return;
  scheduler.remove("cache/health");
  end_job();
  save_snapshots();
  plugin_host::set_host_cache(nullptr);
  facade_.reset();
  for (auto& c : prepared_.instances) c->stop();
  stopped_ = true;
}

std::string AgentCache::problem() const {
  std::lock_guard l(mu_);
  return problem_;
}

void AgentCache::check_health() {
  const auto t0 = std::chrono::steady_clock::now();
  auto st = backend_->ping();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::lock_guard l(mu_);
  const std::string now = st.ok() ? "" : st.message();
  if (now != problem_) {
    if (now.empty())
      log::info("cache", "the cache backend answers again", {{"backend", description_}});
    else
      log::error("cache", "the cache backend does not answer", {{"backend", description_}, {"error", now}});
  }
  problem_ = now;
  ping_seconds_ = secs;
}

void AgentCache::publish(metrics::SampleStore& store) {
  using metrics::SampleType;
  std::vector<metrics::Sample> out;
  for (const auto& [ns, st] : facade_->stats()) {
    const char* help = "Cache requests by namespace and result.";
    auto req = [&](const char* result, uint64_t v) {
      out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_requests_total", static_cast<double>(v),
                                         {{"namespace", ns}, {"result", result}}, help));
    };
    req("hit", st.hits);
    req("miss", st.misses);
    req("negative_hit", st.negative_hits);
    req("load_error", st.load_errors);
    auto counter = [&](const char* name, uint64_t v, const char* h) {
      out.push_back(metrics::make_sample(SampleType::counter, name, static_cast<double>(v), {{"namespace", ns}}, h));
    };
    counter("vigil_cache_singleflight_waits_total", st.waits, "Callers that waited for another caller's load.");
    counter("vigil_cache_singleflight_timeouts_total", st.wait_timeouts, "Waits for another's load that timed out.");
    counter("vigil_cache_early_refreshes_total", st.early_refreshes, "XFetch early refreshes.");
    counter("vigil_cache_backend_errors_total", st.backend_errors, "Failed backend calls.");
    counter("vigil_cache_refused_total", st.refused, "Keys or values refused for their size.");
    const double lookups = static_cast<double>(st.hits + st.misses + st.negative_hits);
    out.push_back(metrics::make_sample(SampleType::gauge, "vigil_cache_hit_ratio",
                                       lookups > 0 ? static_cast<double>(st.hits + st.negative_hits) / lookups : 0,
                                       {{"namespace", ns}}, "Share of lookups answered from the cache since start."));
    metrics::Sample h = metrics::make_sample(SampleType::histogram, "vigil_cache_load_duration_seconds", 0,
                                             {{"namespace", ns}}, "Time spent in get_or_load loaders.");
    for (size_t i = 0; i < cache::kLoadBuckets.size(); ++i)
      h.buckets.emplace_back(cache::kLoadBuckets[i], st.load_buckets[i]);
    h.sum = st.load_seconds_sum;
    h.count = st.loads;
    out.push_back(std::move(h));
  }
  {
    std::lock_guard l(mu_);
    out.push_back(metrics::make_sample(SampleType::gauge, "vigil_cache_up", problem_.empty() ? 1 : 0, {},
                                       "Whether the cache backend answered its last health check (Redis: PING)."));
    out.push_back(metrics::make_sample(SampleType::gauge, "vigil_cache_ping_seconds", ping_seconds_, {},
                                       "Duration of the last health check of the cache backend."));
  }
  if (tiered_) {
    const auto t = tiered_->stats();
    const char* help = "Tiered cache reads by the tier that answered (miss: neither).";
    out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_tier_reads_total",
                                       static_cast<double>(t.l1_hits), {{"tier", "l1"}}, help));
    out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_tier_reads_total",
                                       static_cast<double>(t.l2_hits), {{"tier", "l2"}}, help));
    out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_tier_reads_total",
                                       static_cast<double>(t.misses), {{"tier", "miss"}}, help));
    out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_tier_invalidations_total",
                                       static_cast<double>(t.changes_received), {},
                                       "Keys dropped from L1 because another client changed them in L2."));
    out.push_back(metrics::make_sample(SampleType::counter, "vigil_cache_tier_flushes_total",
                                       static_cast<double>(t.flushes), {},
                                       "Whole-L1 flushes: the change link was lost or L2 was flushed."));
    out.push_back(metrics::make_sample(SampleType::gauge, "vigil_cache_tier_linked", t.linked ? 1 : 0, {},
                                       "Whether L2 reports changes, so L1 is in use."));
  }
  for (auto& c : prepared_.instances)
    for (auto& s : c->take_samples()) out.push_back(std::move(s));
  for (auto& s : out) (void)metrics::normalize(s);
  store.replace(kMetricsSource, std::move(out));
}

std::string AgentCache::snapshot_path(const std::string& ns) const {
  std::string file;
  for (unsigned char c : ns) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      file += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      file += hex;
    }
  }
  return (std::filesystem::path(snapshot_dir_) / (file + ".snapshot")).string();
}

namespace {

// The namespace a snapshot file is named after (the inverse of snapshot_path), or nullopt when
// the name is not one snapshot_path writes.
std::optional<std::string> decode_snapshot_name(const std::string& stem) {
  std::string ns;
  for (size_t i = 0; i < stem.size(); ++i) {
    if (stem[i] != '%') {
      ns += stem[i];
      continue;
    }
    if (i + 2 >= stem.size() || !std::isxdigit(static_cast<unsigned char>(stem[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(stem[i + 2])))
      return std::nullopt;
    ns += static_cast<char>(std::stoi(stem.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  if (ns.empty()) return std::nullopt;
  return ns;
}

}  // namespace

void AgentCache::restore_snapshots() {
  if (snapshot_dir_.empty()) return;
  std::error_code ec;
  if (!std::filesystem::is_directory(snapshot_dir_, ec)) return;
  for (const auto& entry : std::filesystem::directory_iterator(snapshot_dir_, ec)) {
    if (entry.path().extension() != ".snapshot") continue;
    // The file name is the namespace, with unusual characters %-encoded. Anything else in the
    // directory is not ours: it is skipped with a warning, never a reason to stop.
    const auto ns = decode_snapshot_name(entry.path().stem().string());
    if (!ns) {
      log::warn("cache", "a file in the snapshot directory is not a cache snapshot; ignored",
                {{"file", entry.path().string()}});
      continue;
    }
    if (!facade_->options_for(*ns).snapshot) continue;
    const auto t0 = std::chrono::steady_clock::now();
    auto loaded = facade_->ns(*ns).load_snapshot(entry.path().string(), [&](size_t done, size_t total) {
      log::info("cache", "restoring a cache snapshot",
                {{"namespace", *ns}, {"bytes_read", done}, {"bytes_total", total}});
    });
    if (!loaded.ok()) {
      log::error("cache", "a cache snapshot was not restored", {{"namespace", *ns}, {"error", loaded.message()}});
      continue;
    }
    log::info("cache", "cache snapshot restored",
              {{"namespace", *ns},
               {"entries", loaded.value()},
               {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});
  }
}

void AgentCache::save_snapshots() {
  if (snapshot_dir_.empty() || !facade_) return;
  std::error_code ec;
  for (const auto& ns : facade_->names()) {
    if (!facade_->options_for(ns).snapshot) continue;
    std::filesystem::create_directories(snapshot_dir_, ec);
    auto saved = facade_->ns(ns).save_snapshot(snapshot_path(ns));
    if (saved.ok())
      log::info("cache", "cache snapshot saved", {{"namespace", ns}, {"entries", saved.value()}});
    else
      log::error("cache", "the cache snapshot was not saved", {{"namespace", ns}, {"error", saved.message()}});
  }
}

}  // namespace vigil::app
