#include "memory_cache.h"

#include <algorithm>
#include <tuple>

namespace vigil::cache {

uint64_t hash_key(std::string_view key) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a, then a final mix for the sketch's rows
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

FrequencySketch::FrequencySketch(size_t expected_entries) {
  // 16 counters a row per expected entry, as Caffeine packs 16 four-bit counters per slot, so
  // the many keys a scan brings do not saturate the rows.
  size_t w = 64;
  while (w < 16 * expected_entries) w <<= 1;
  width_ = w;
  counters_.assign(4 * width_, 0);
  sample_ = 10 * std::max<size_t>(1, expected_entries);
}

size_t FrequencySketch::index(uint64_t hash, int row) const {
  const uint64_t seeds[4] = {0x97cb3127ULL, 0xab7e2d1fULL, 0x5bd1e995ULL, 0xc2b2ae35ULL};
  uint64_t h = (hash ^ seeds[row]) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(row) * width_ + static_cast<size_t>(h >> 32) % width_;
}

void FrequencySketch::increment(uint64_t hash) {
  bool added = false;
  for (int r = 0; r < 4; ++r) {
    uint8_t& c = counters_[index(hash, r)];
    if (c < 15) {
      ++c;
      added = true;
    }
  }
  if (added && ++additions_ >= sample_) {  // ageing: halve everything
    for (auto& c : counters_) c >>= 1;
    additions_ /= 2;
  }
}

int FrequencySketch::estimate(uint64_t hash) const {
  int m = 15;
  for (int r = 0; r < 4; ++r) m = std::min<int>(m, counters_[index(hash, r)]);
  return m;
}

MemoryCache::MemoryCache(MemoryCacheOptions options) : options_(options) {
  const size_t n = std::max<size_t>(1, options_.shards);
  shard_bytes_ = std::max<size_t>(1, options_.max_bytes / n);
  shard_entries_ = options_.max_entries ? std::max<size_t>(1, options_.max_entries / n) : 0;
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    if (options_.tinylfu) {
      const size_t expected = shard_entries_ ? shard_entries_ : std::max<size_t>(64, shard_bytes_ / 256);
      s->sketch = std::make_unique<FrequencySketch>(expected);
    }
    shards_.push_back(std::move(s));
  }
}

void MemoryCache::erase(Shard& s, std::list<Entry>::iterator it) {
  s.bytes -= it->charge;
  s.index.erase(std::string_view(it->key));
  s.lru.erase(it);
}

bool MemoryCache::get(std::string_view key, int64_t now_ns, std::string* out) {
  const uint64_t h = hash_key(key);
  Shard& s = shard_for(h);
  std::lock_guard lock(s.mu);
  if (s.sketch) s.sketch->increment(h);
  auto it = s.index.find(key);
  if (it == s.index.end()) {
    ++s.misses;
    return false;
  }
  if (it->second->expires_ns && it->second->expires_ns <= now_ns) {  // lazy expiry
    erase(s, it->second);
    ++s.expirations;
    ++s.misses;
    return false;
  }
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  if (out) *out = it->second->value;
  ++s.hits;
  return true;
}

void MemoryCache::set(std::string_view key, std::string_view value, int64_t ttl_ns, int64_t now_ns) {
  const uint64_t h = hash_key(key);
  Shard& s = shard_for(h);
  std::lock_guard lock(s.mu);
  store(s, h, key, value, ttl_ns, now_ns);
}

bool MemoryCache::add(std::string_view key, std::string_view value, int64_t ttl_ns, int64_t now_ns) {
  const uint64_t h = hash_key(key);
  Shard& s = shard_for(h);
  std::lock_guard lock(s.mu);
  if (auto it = s.index.find(key); it != s.index.end()) {
    if (!it->second->expires_ns || it->second->expires_ns > now_ns) return false;
    erase(s, it->second);
    ++s.expirations;
  }
  return store(s, h, key, value, ttl_ns, now_ns);
}

bool MemoryCache::store(Shard& s, uint64_t h, std::string_view key, std::string_view value, int64_t ttl_ns,
                        int64_t now_ns) {
  const size_t charge = key.size() + value.size() + kEntryOverhead;
  const int64_t expires = ttl_ns > 0 ? now_ns + ttl_ns : 0;
  if (s.sketch) s.sketch->increment(h);
  if (auto it = s.index.find(key); it != s.index.end()) {  // replace in place
    s.bytes = s.bytes - it->second->charge + charge;
    it->second->value.assign(value);
    it->second->expires_ns = expires;
    it->second->charge = charge;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
  } else {
    if (charge > shard_bytes_) {  // never fits
      ++s.rejections;
      return false;
    }
    auto over = [&] {
      return s.bytes + charge > shard_bytes_ || (shard_entries_ && s.lru.size() + 1 > shard_entries_);
    };
    // TinyLFU: a newcomer enters a full shard only if it is used more often than the entry it
    // would push out.
    if (s.sketch && over() && !s.lru.empty() &&
        s.sketch->estimate(h) <= s.sketch->estimate(hash_key(s.lru.back().key))) {
      ++s.rejections;
      return false;
    }
    s.lru.push_front(Entry{std::string(key), std::string(value), expires, charge});
    s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
    s.bytes += charge;
  }
  while ((s.bytes > shard_bytes_ || (shard_entries_ && s.lru.size() > shard_entries_)) && s.lru.size() > 1) {
    auto victim = std::prev(s.lru.end());
    const bool expired = victim->expires_ns && victim->expires_ns <= now_ns;
    erase(s, victim);
    ++(expired ? s.expirations : s.evictions);
  }
  return true;
}

size_t MemoryCache::del_prefix(std::string_view prefix) {
  size_t removed = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::lock_guard lock(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      auto next = std::next(it);
      if (std::string_view(it->key).substr(0, prefix.size()) == prefix) {
        erase(s, it);
        ++removed;
      }
      it = next;
    }
  }
  return removed;
}

void MemoryCache::for_each(std::string_view prefix, int64_t now_ns,
                           const std::function<bool(std::string_view, std::string_view, int64_t)>& visit) {
  for (auto& sp : shards_) {
    // Copied out per shard so the visitor runs without the lock (it may call back into us).
    std::vector<std::tuple<std::string, std::string, int64_t>> batch;
    {
      std::lock_guard lock(sp->mu);
      for (const auto& e : sp->lru) {
        if (std::string_view(e.key).substr(0, prefix.size()) != prefix) continue;
        if (e.expires_ns && e.expires_ns <= now_ns) continue;
        batch.emplace_back(e.key, e.value, e.expires_ns ? e.expires_ns - now_ns : 0);
      }
    }
    for (const auto& [k, v, ttl] : batch)
      if (!visit(k, v, ttl)) return;
  }
}

bool MemoryCache::del(std::string_view key) {
  Shard& s = shard_for(hash_key(key));
  std::lock_guard lock(s.mu);
  auto it = s.index.find(key);
  if (it == s.index.end()) return false;
  erase(s, it->second);
  return true;
}

size_t MemoryCache::sweep(int64_t now_ns) {
  size_t removed = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::lock_guard lock(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      if (it->expires_ns && it->expires_ns <= now_ns) {
        auto next = std::next(it);
        erase(s, it);
        ++s.expirations;
        ++removed;
        it = next;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

void MemoryCache::clear() {
  for (auto& sp : shards_) {
    std::lock_guard lock(sp->mu);
    sp->index.clear();
    sp->lru.clear();
    sp->bytes = 0;
  }
}

CacheStats MemoryCache::stats() const {
  CacheStats st;
  for (const auto& sp : shards_) {
    std::lock_guard lock(sp->mu);
    st.hits += sp->hits;
    st.misses += sp->misses;
    st.evictions += sp->evictions;
    st.expirations += sp->expirations;
    st.rejections += sp->rejections;
    st.entries += sp->lru.size();
    st.bytes += sp->bytes;
  }
  return st;
}

}  // namespace vigil::cache
