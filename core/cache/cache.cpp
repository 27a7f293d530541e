#include "cache/cache.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>

namespace vigil::cache {

std::string encode_entry(bool negative, int64_t expires_ms, int64_t load_ms, const std::string& value) {
  char head[48];
  const int n = std::snprintf(head, sizeof head, "%c%lld:%lld:", negative ? 'N' : 'V',
                              static_cast<long long>(expires_ms), static_cast<long long>(load_ms));
  return std::string(head, static_cast<size_t>(n)) + value;
}

bool decode_entry(const std::string& raw, bool& negative, int64_t& expires_ms, int64_t& load_ms, std::string& value) {
  if (raw.empty() || (raw[0] != 'V' && raw[0] != 'N')) return false;
  const auto a = raw.find(':', 1);
  if (a == std::string::npos) return false;
  const auto b = raw.find(':', a + 1);
  if (b == std::string::npos) return false;
  negative = raw[0] == 'N';
  expires_ms = std::strtoll(raw.substr(1, a - 1).c_str(), nullptr, 10);
  load_ms = std::strtoll(raw.substr(a + 1, b - a - 1).c_str(), nullptr, 10);
  value = raw.substr(b + 1);
  return true;
}

namespace {
Status lacks(const char* op) {
  return Status::error(std::string("the cache backend does not support ") + op);
}
}  // namespace

Result<bool> Backend::add(const std::string&, const std::string&, std::chrono::milliseconds) {
  return lacks("add (store if absent)");
}
Status Backend::del_prefix(const std::string&) {
  return lacks("deleting by prefix");
}
Status Backend::scan(const std::string&, const ScanVisitor&) {
  return lacks("scanning keys");
}
Status Backend::watch(ChangeListener) {
  return lacks("reporting changes made elsewhere");
}

Namespace::Namespace(std::string name, NamespaceOptions options, std::shared_ptr<Backend> backend, Clock clock,
                     uint64_t seed)
    : name_(std::move(name)), options_(options), backend_(std::move(backend)), clock_(std::move(clock)), rng_(seed) {}

Status Namespace::check_key(const std::string& key) {
  if (key.empty() || key.size() > options_.max_key_bytes) {
    std::lock_guard l(mu_);
    ++stats_.refused;
    return Status::error("cache key of " + std::to_string(key.size()) + " bytes in namespace \"" + name_ +
                         "\" is refused (1 to " + std::to_string(options_.max_key_bytes) + " bytes)");
  }
  return {};
}

std::chrono::milliseconds Namespace::jittered(std::chrono::milliseconds ttl) {
  if (options_.ttl_jitter <= 0 || ttl.count() <= 0) return ttl;
  std::lock_guard l(mu_);
  std::uniform_real_distribution<double> d(-options_.ttl_jitter, options_.ttl_jitter);
  return std::chrono::milliseconds(
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(ttl.count()) * (1 + d(rng_)))));
}

Result<std::optional<Namespace::Entry>> Namespace::read(const std::string& key) {
  auto raw = backend_->get(backend_key(key));
  if (!raw.ok()) {
    std::lock_guard l(mu_);
    ++stats_.backend_errors;
    return raw.status();
  }
  if (!*raw) return std::optional<Entry>();
  Entry e;
  if (!decode_entry(**raw, e.negative, e.expires_ms, e.load_ms, e.value)) return std::optional<Entry>();
  if (e.expires_ms && e.expires_ms <= clock_()) return std::optional<Entry>();  // the backend's TTL is coarser
  return std::optional<Entry>(std::move(e));
}

Status Namespace::write(const std::string& key, const Entry& e, std::chrono::milliseconds ttl) {
  auto st = backend_->set(backend_key(key), encode_entry(e.negative, e.expires_ms, e.load_ms, e.value), ttl);
  if (!st.ok()) {
    std::lock_guard l(mu_);
    ++stats_.backend_errors;
  }
  return st;
}

Result<std::optional<std::string>> Namespace::get(const std::string& key) {
  if (auto st = check_key(key); !st.ok()) return st;
  auto e = read(key);
  if (!e.ok()) return e.status();
  std::lock_guard l(mu_);
  if (!*e) {
    ++stats_.misses;
    return std::optional<std::string>();
  }
  if ((*e)->negative) {
    ++stats_.negative_hits;
    return std::optional<std::string>();
  }
  ++stats_.hits;
  return std::optional<std::string>((*e)->value);
}

Status Namespace::set(const std::string& key, const std::string& value, std::optional<std::chrono::milliseconds> ttl) {
  if (auto st = check_key(key); !st.ok()) return st;
  if (value.size() > options_.max_value_bytes) {
    std::lock_guard l(mu_);
    ++stats_.refused;
    return Status::error("cache value of " + std::to_string(value.size()) + " bytes in namespace \"" + name_ +
                         "\" is refused (at most " + std::to_string(options_.max_value_bytes) + ")");
  }
  const auto t = jittered(ttl.value_or(options_.ttl));
  return write(key, Entry{false, t.count() ? clock_() + t.count() : 0, 0, value}, t);
}

Status Namespace::del(const std::string& key) {
  if (auto st = check_key(key); !st.ok()) return st;
  return backend_->del(backend_key(key));
}

bool Namespace::refresh_early(const Entry& e, int64_t now) {
  // XFetch (Vattani et al.): refresh when now - load_time * beta * ln(U) >= expiry, U in (0, 1].
  if (!options_.early_refresh || !e.expires_ms || e.negative) return false;
  std::lock_guard l(mu_);
  std::uniform_real_distribution<double> u(std::nextafter(0.0, 1.0), 1.0);
  const double gap =
      -static_cast<double>(std::max<int64_t>(1, e.load_ms)) * options_.early_refresh_beta * std::log(u(rng_));
  return static_cast<double>(now) + gap >= static_cast<double>(e.expires_ms);
}

Result<std::optional<std::string>> Namespace::load(const std::string& key, const Loader& loader,
                                                   std::chrono::milliseconds ttl, bool refreshing) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard l(mu_);
    auto& f = flights_[key];
    if (!f) {
      f = std::make_shared<Flight>();
      leader = true;
    }
    flight = f;
    if (!leader) ++stats_.waits;
  }
  if (!leader) {
    std::unique_lock fl(flight->mu);
    if (!flight->cv.wait_for(fl, options_.load_wait, [&] { return flight->done; })) {
      std::lock_guard l(mu_);
      ++stats_.wait_timeouts;
      return Status::error("timed out after " + std::to_string(options_.load_wait.count()) +
                           " ms waiting for another load of \"" + key + "\" in namespace \"" + name_ + "\"");
    }
    return flight->result;
  }
  auto finish = [&](Result<std::optional<std::string>> result) {
    {
      std::lock_guard l(mu_);
      flights_.erase(key);
    }
    {
      std::lock_guard fl(flight->mu);
      flight->result = result;
      flight->done = true;
    }
    flight->cv.notify_all();
    return result;
  };
  // A load that finished between this caller's miss and its flight: use what it stored.
  if (!refreshing) {
    if (auto again = read(key); again.ok() && *again)
      return finish((*again)->negative ? std::optional<std::string>() : std::optional<std::string>((*again)->value));
  }
  const int64_t t0 = clock_();
  const auto s0 = std::chrono::steady_clock::now();
  Result<std::optional<std::string>> result = std::optional<std::string>();
  try {
    result = loader();
  } catch (const std::exception& e) {
    result = Status::error(std::string("the loader threw: ") + e.what());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
  const int64_t load_ms = std::max<int64_t>(1, clock_() - t0);
  if (result.ok()) {
    if (*result) {
      const auto t = jittered(ttl);
      (void)write(key, Entry{false, t.count() ? clock_() + t.count() : 0, load_ms, **result}, t);
    } else if (options_.negative_ttl.count() > 0) {
      const auto t = jittered(options_.negative_ttl);
      (void)write(key, Entry{true, clock_() + t.count(), load_ms, ""}, t);
    }
  }
  {
    std::lock_guard l(mu_);
    ++stats_.loads;
    if (!result.ok()) ++stats_.load_errors;
    for (size_t i = 0; i < kLoadBuckets.size(); ++i)
      if (secs <= kLoadBuckets[i]) ++stats_.load_buckets[i];
    stats_.load_seconds_sum += secs;
  }
  return finish(std::move(result));
}

Result<std::optional<std::string>> Namespace::get_or_load(const std::string& key, const Loader& loader,
                                                          std::optional<std::chrono::milliseconds> ttl) {
  if (auto st = check_key(key); !st.ok()) return st;
  auto e = read(key);
  bool refreshing = false;
  if (e.ok() && *e) {
    const Entry& entry = **e;
    bool in_flight;
    {
      std::lock_guard l(mu_);
      in_flight = flights_.count(key) > 0;
    }
    if (in_flight || !refresh_early(entry, clock_())) {
      std::lock_guard l(mu_);
      ++(entry.negative ? stats_.negative_hits : stats_.hits);
      return entry.negative ? std::optional<std::string>() : std::optional<std::string>(entry.value);
    }
    std::lock_guard l(mu_);
    ++stats_.early_refreshes;
    refreshing = true;
  } else {
    std::lock_guard l(mu_);
    ++stats_.misses;  // a backend error is also served by loading
  }
  return load(key, loader, ttl.value_or(options_.ttl), refreshing);
}

Status Namespace::invalidate_prefix(const std::string& prefix) {
  return backend_->del_prefix(backend_key(prefix));
}

std::vector<std::string> Namespace::warm_up(const std::vector<std::string>& keys, const KeyLoader& loader,
                                            const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> failed;
  auto last = std::chrono::steady_clock::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto r = get_or_load(keys[i], [&] { return loader(keys[i]); });
    if (!r.ok()) failed.push_back(keys[i]);
    if (progress && std::chrono::steady_clock::now() - last >= std::chrono::seconds(1)) {
      progress(i + 1, keys.size());
      last = std::chrono::steady_clock::now();
    }
  }
  if (progress) progress(keys.size(), keys.size());
  return failed;
}

// The snapshot file: a header line, then per entry "<key bytes> <envelope bytes>\n" followed
// by the key and the stored envelope (which carries its own expiry).
static constexpr std::string_view kSnapshotHeader = "vigil-cache-snapshot 1\n";

Result<size_t> Namespace::save_snapshot(const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::error("cannot write the cache snapshot " + tmp + ": " + std::strerror(errno));
  std::fwrite(kSnapshotHeader.data(), 1, kSnapshotHeader.size(), f);
  size_t n = 0;
  const std::string prefix = backend_key("");
  auto st = backend_->scan(prefix, [&](std::string_view key, std::string_view raw, std::chrono::milliseconds) {
    const auto k = key.substr(prefix.size());
    std::fprintf(f, "%zu %zu\n", k.size(), raw.size());
    std::fwrite(k.data(), 1, k.size(), f);
    std::fwrite(raw.data(), 1, raw.size(), f);
    ++n;
    return true;
  });
  const bool written = std::fflush(f) == 0 && std::ferror(f) == 0;
  std::fclose(f);
  if (!st.ok() || !written) {
    std::remove(tmp.c_str());
    return st.ok() ? Status::error("cannot write the cache snapshot " + tmp + ": " + std::strerror(errno)) : st;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  return n;
}

Result<size_t> Namespace::load_snapshot(const std::string& path, const std::function<void(size_t, size_t)>& progress) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::error("cannot read the cache snapshot " + path + ": " + std::strerror(errno));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  std::string header(kSnapshotHeader.size(), '\0');
  if (std::fread(header.data(), 1, header.size(), f) != header.size() || header != kSnapshotHeader)
    return Status::error(path + " is not a vigil cache snapshot (it lacks the \"vigil-cache-snapshot 1\" header)");
  std::fseek(f, 0, SEEK_END);
  const long total = std::ftell(f);
  std::fseek(f, static_cast<long>(header.size()), SEEK_SET);
  size_t loaded = 0, entry = 0;
  auto last = std::chrono::steady_clock::now();
  const int64_t now = clock_();
  size_t klen = 0, vlen = 0;
  while (std::fscanf(f, "%zu %zu", &klen, &vlen) == 2) {
    ++entry;
    if (std::fgetc(f) != '\n' || klen > options_.max_key_bytes || vlen > options_.max_value_bytes + 64)
      return Status::error(path + ": entry " + std::to_string(entry) + " is damaged; " + std::to_string(loaded) +
                           " entries were loaded before it");
    std::string key(klen, '\0'), raw(vlen, '\0');
    if (std::fread(key.data(), 1, klen, f) != klen || std::fread(raw.data(), 1, vlen, f) != vlen)
      return Status::error(path + ": entry " + std::to_string(entry) + " is cut short; " + std::to_string(loaded) +
                           " entries were loaded before it");
    Entry e;
    if (!decode_entry(raw, e.negative, e.expires_ms, e.load_ms, e.value)) continue;
    if (e.expires_ms && e.expires_ms <= now) continue;  // expired while vigil was down
    const auto ttl = std::chrono::milliseconds(e.expires_ms ? e.expires_ms - now : 0);
    if (write(key, e, ttl).ok()) ++loaded;
    if (progress && std::chrono::steady_clock::now() - last >= std::chrono::seconds(1)) {
      progress(static_cast<size_t>(std::ftell(f)), static_cast<size_t>(total));
      last = std::chrono::steady_clock::now();
    }
  }
  if (progress) progress(static_cast<size_t>(total), static_cast<size_t>(total));
  return loaded;
}

NamespaceStats Namespace::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

Cache::Cache(std::shared_ptr<Backend> backend, NamespaceOptions defaults, std::map<std::string, NamespaceOptions> named,
             Namespace::Clock clock)
    : backend_(std::move(backend)), defaults_(defaults), named_(std::move(named)), clock_(std::move(clock)) {}

Namespace& Cache::ns(const std::string& name) {
  std::lock_guard l(mu_);
  auto& slot = namespaces_[name];
  if (!slot) {
    slot = std::make_unique<Namespace>(name, options_for(name), backend_, clock_);
  }
  return *slot;
}

NamespaceOptions Cache::options_for(const std::string& name) const {
  auto it = named_.find(name);
  return it == named_.end() ? defaults_ : it->second;
}

std::vector<std::string> Cache::names() const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const auto& [name, ns] : namespaces_) out.push_back(name);
  return out;
}

std::vector<std::pair<std::string, NamespaceStats>> Cache::stats() const {
  std::lock_guard l(mu_);
  std::vector<std::pair<std::string, NamespaceStats>> out;
  for (const auto& [name, ns] : namespaces_) out.emplace_back(name, ns->stats());
  return out;
}

}  // namespace vigil::cache
