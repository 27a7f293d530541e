#include "cache/tiered_backend.h"

namespace vigil::cache {

TieredBackend::TieredBackend(std::shared_ptr<Backend> l1, std::shared_ptr<Backend> l2, std::chrono::milliseconds l1_ttl)
    : l1_(std::move(l1)), l2_(std::move(l2)), l1_ttl_(l1_ttl) {}

Status TieredBackend::start_watching() {
  return l2_->watch([this](Change c, std::string_view key) { on_change(c, key); });
}

void TieredBackend::on_change(Change change, std::string_view key) {
  std::lock_guard l(mu_);
  switch (change) {
    case Change::changed: {
      ++stats_.changes_received;
      const std::string k(key);
      reading_.erase(k);
      (void)l1_->del(k);
      break;
    }
    case Change::unknown:
      ++stats_.flushes;
      linked_.store(false, std::memory_order_release);
      reading_.clear();
      (void)l1_->del_prefix("");
      break;
    case Change::linked: linked_.store(true, std::memory_order_release); break;
  }
}

void TieredBackend::forget(const std::string& key) {
  std::lock_guard l(mu_);
  reading_.erase(key);
  (void)l1_->del(key);
}

Result<std::optional<std::string>> TieredBackend::get(const std::string& key) {
  uint64_t token = 0;
  // L1 reads take no lock: a change report racing with a read is a race the report loses
  // anyway (it travels asynchronously); only copies into L1 must be ordered against reports.
  if (linked_.load(std::memory_order_acquire)) {
    if (auto v = l1_->get(key); v.ok() && *v) {
      l1_hits_.fetch_add(1, std::memory_order_relaxed);
      return v;
    }
    std::lock_guard l(mu_);
    token = ++next_token_;
    reading_[key] = token;
  }
  auto v = l2_->get(key);
  std::lock_guard l(mu_);
  if (!v.ok() || !*v) {
    if (v.ok()) ++stats_.misses;
    if (token) reading_.erase(key);
    return v;
  }
  ++stats_.l2_hits;
  if (token) {
    auto it = reading_.find(key);
    if (linked_ && it != reading_.end() && it->second == token) {
      reading_.erase(it);
      (void)l1_->set(key, **v, l1_ttl_);
    } else {
      ++stats_.copies_dropped;  // changed while it was read
    }
  }
  return v;
}

Status TieredBackend::set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  auto st = l2_->set(key, value, ttl);
  forget(key);
  return st;
}

Status TieredBackend::del(const std::string& key) {
  auto st = l2_->del(key);
  forget(key);
  return st;
}

Result<bool> TieredBackend::add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
  auto r = l2_->add(key, value, ttl);
  forget(key);
  return r;
}

Status TieredBackend::del_prefix(const std::string& prefix) {
  auto st = l2_->del_prefix(prefix);
  std::lock_guard l(mu_);
  for (auto it = reading_.begin(); it != reading_.end();)
    it = it->first.compare(0, prefix.size(), prefix) == 0 ? reading_.erase(it) : std::next(it);
  (void)l1_->del_prefix(prefix);
  return st;
}

Status TieredBackend::scan(const std::string& prefix, const ScanVisitor& visit) {
  return l2_->scan(prefix, visit);
}

TieredStats TieredBackend::stats() const {
  std::lock_guard l(mu_);
  TieredStats s = stats_;
  s.l1_hits = l1_hits_.load(std::memory_order_relaxed);
  s.linked = linked_.load();
  return s;
}

}  // namespace vigil::cache
