// MemoryCache: the in-process cache behind the `memory` cache plugin. Sharded (one mutex per
// shard) for concurrency; bounded by bytes (key + value + a fixed per-entry overhead) and
// optionally by entries; per-entry TTL with lazy expiry on access plus sweep(); LRU eviction,
// optionally with a TinyLFU admission filter (a count-min sketch of 4-bit counters, halved as
// it ages) that keeps a one-off scan from pushing out frequently used entries. Exact stats.
//
// Thread-safe: every member may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vigil::cache {

struct MemoryCacheOptions {
  size_t max_bytes = 64u << 20;
  size_t max_entries = 0;  // 0 = bounded by bytes only
  size_t shards = 16;
  bool tinylfu = false;
};

struct CacheStats {
  uint64_t hits = 0, misses = 0, evictions = 0, expirations = 0, rejections = 0;
  size_t entries = 0, bytes = 0;
};

// A count-min sketch of small counters that halves itself after `sample` increments, so old
// popularity fades (Caffeine's FrequencySketch, simplified). Not thread-safe.
class FrequencySketch {
 public:
  explicit FrequencySketch(size_t expected_entries);
  void increment(uint64_t hash);
  int estimate(uint64_t hash) const;

 private:
  size_t index(uint64_t hash, int row) const;
  std::vector<uint8_t> counters_;  // 4 rows of width_ counters, each 0..15
  size_t width_;
  size_t additions_ = 0, sample_;
};

class MemoryCache {
 public:
  static constexpr size_t kEntryOverhead = 64;  // list node, map slot and bookkeeping, roughly

  explicit MemoryCache(MemoryCacheOptions options);

  // Copies the value into *out; false on a miss (absent or expired).
  bool get(std::string_view key, int64_t now_ns, std::string* out);
  // ttl_ns 0 = no expiry. May be refused by the admission filter (counted in rejections).
  void set(std::string_view key, std::string_view value, int64_t ttl_ns, int64_t now_ns);
  // Stores only when the key is absent (or expired); true when stored.
  bool add(std::string_view key, std::string_view value, int64_t ttl_ns, int64_t now_ns);
  bool del(std::string_view key);
  // Removes every entry whose key starts with prefix; returns how many.
  size_t del_prefix(std::string_view prefix);
  // Visits live entries whose key starts with prefix (value, remaining TTL in ns, 0 = none)
  // until visit returns false. Entries changed meanwhile may be missed or seen twice.
  void for_each(std::string_view prefix, int64_t now_ns,
                const std::function<bool(std::string_view, std::string_view, int64_t)>& visit);
  // Removes expired entries; returns how many.
  size_t sweep(int64_t now_ns);
  void clear();
  CacheStats stats() const;

 private:
  struct Entry {
    std::string key, value;
    int64_t expires_ns;  // 0 = never
    size_t charge;
  };
  struct Shard {
    std::mutex mu;
    std::list<Entry> lru;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    size_t bytes = 0;
    std::unique_ptr<FrequencySketch> sketch;
    uint64_t hits = 0, misses = 0, evictions = 0, expirations = 0, rejections = 0;
  };
  Shard& shard_for(uint64_t hash) { return *shards_[hash % shards_.size()]; }
  void erase(Shard& s, std::list<Entry>::iterator it);
  // With s.mu held. False when refused (too large, or not admitted).
  bool store(Shard& s, uint64_t hash, std::string_view key, std::string_view value, int64_t ttl_ns, int64_t now_ns);

  MemoryCacheOptions options_;
  size_t shard_bytes_, shard_entries_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

uint64_t hash_key(std::string_view key);

}  // namespace vigil::cache
