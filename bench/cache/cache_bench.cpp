// Cache figures for docs/performance.md:
//  - memory backend gets and sets per second on 1 and 2 threads (small values, all hits);
//  - hit ratio of LRU and TinyLFU on a Zipf(0.99) workload and on one polluted by scans,
//    beside the ideal (the cache holding the most popular keys);
//  - what get_or_load does for a slow loader (2 ms) on a Zipf workload: loader calls, hit ratio,
//    p95 response time, against calling the loader every time.
//
// usage: vigil_cache_bench
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <random>
#include <thread>
#include <vector>

#include "../../plugins/caches/memory/memory_cache.h"
#include "cache/cache.h"

using Clock = std::chrono::steady_clock;
using vigil::cache::MemoryCache;
using vigil::cache::MemoryCacheOptions;

namespace {

// Zipf-distributed ranks 0..n-1 with exponent s, by inverse CDF over a table.
class Zipf {
 public:
  Zipf(size_t n, double s, uint64_t seed) : cdf_(n), rng_(seed) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    double acc = 0;
    for (size_t i = 0; i < n; ++i) {
      acc += 1.0 / std::pow(static_cast<double>(i + 1), s) / sum;
      cdf_[i] = acc;
    }
  }
  size_t next() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }
  double top_share(size_t k) const { return k == 0 ? 0 : cdf_[std::min(k, cdf_.size()) - 1]; }

 private:
  std::vector<double> cdf_;
  std::mt19937_64 rng_;
};

double ops_per_sec(int threads, bool gets) {
  MemoryCacheOptions o;
  o.max_bytes = 256u << 20;
  o.shards = 64;
  MemoryCache c(o);
  std::vector<std::string> keys;
  for (int i = 0; i < 100000; ++i) keys.push_back("key:" + std::to_string(i));
  for (const auto& k : keys) c.set(k, "value-of-32-bytes-0123456789abcd", 0, 0);
  const int per_thread = 4'000'000 / threads;
  std::atomic<int> ready{0};
  std::vector<std::thread> ts;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();
      std::string out;
      size_t i = static_cast<size_t>(t) * 7919;
      for (int n = 0; n < per_thread; ++n) {
        const auto& k = keys[(i += 7) % keys.size()];
        if (gets)
          c.get(k, 0, &out);
        else
          c.set(k, "value-of-32-bytes-0123456789abcd", 0, 0);
      }
    });
  for (auto& t : ts) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(per_thread) * threads / secs;
}

double hit_ratio(bool tinylfu, bool scans, size_t capacity, size_t universe) {
  MemoryCacheOptions o;
  o.max_bytes = 1u << 30;
  o.max_entries = capacity;
  o.shards = 1;
  o.tinylfu = tinylfu;
  MemoryCache c(o);
  Zipf z(universe, 0.99, 7);
  std::mt19937_64 rng(11);
  std::string out;
  uint64_t hits = 0, total = 0;
  uint64_t scan_key = 0;
  for (int i = 0; i < 2'000'000; ++i) {
    // A quarter of the scan workload's keys never repeat.
    const bool scan = scans && i % 4 == 3;
    std::string key = scan ? "scan:" : "k";
    key += std::to_string(scan ? scan_key++ : z.next());
    if (i >= 200'000) ++total;  // after warm-up
    if (c.get(key, 0, &out)) {
      if (i >= 200'000) ++hits;
    } else {
      c.set(key, "v", 0, 0);
    }
  }
  return static_cast<double>(hits) / static_cast<double>(total);
}

// The facade over the memory backend, as the agent wires it.
class MemBackend : public vigil::cache::Backend {
 public:
  MemBackend() : cache_(MemoryCacheOptions{}) {}
  vigil::Result<std::optional<std::string>> get(const std::string& key) override {
    std::string v;
    if (!cache_.get(key, now(), &v)) return std::optional<std::string>();
    return std::optional<std::string>(std::move(v));
  }
  vigil::Status set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override {
    cache_.set(key, value, std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count(), now());
    return {};
  }
  vigil::Status del(const std::string& key) override {
    cache_.del(key);
    return {};
  }

 private:
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  }
  MemoryCache cache_;
};

struct LoadResult {
  double p50_ms, p95_ms, hit_ratio;
  int loader_calls;
};

LoadResult slow_loader(bool cached, int per_thread, int warmup_per_thread = 0) {
  auto backend = std::make_shared<MemBackend>();
  vigil::cache::Namespace ns("bench", {}, backend, [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  std::atomic<int> calls{0};
  auto loader = [&]() -> vigil::Result<std::optional<std::string>> {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return std::optional<std::string>("rendered");
  };
  std::vector<std::vector<double>> lat(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      Zipf z(10000, 0.99, static_cast<uint64_t>(100 + t));
      for (int i = 0; i < warmup_per_thread; ++i) (void)ns.get_or_load("page:" + std::to_string(z.next()), loader);
      for (int i = 0; i < per_thread; ++i) {
        const std::string key = "page:" + std::to_string(z.next());
        const auto t0 = Clock::now();
        if (cached)
          (void)ns.get_or_load(key, loader);
        else
          (void)loader();
        lat[static_cast<size_t>(t)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  for (auto& t : ts) t.join();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto st = ns.stats();
  const double requests = static_cast<double>(all.size()) + 4.0 * warmup_per_thread;
  return {all[all.size() / 2], all[all.size() * 95 / 100], cached ? static_cast<double>(st.hits) / requests : 0.0,
          calls.load()};
}

}  // namespace

int main() {
  std::printf("memory backend, 100,000 keys with 32-byte values, 4 M operations:\n");
  for (int threads : {1, 2})
    std::printf("  %d thread(s): %6.2f M gets/s, %6.2f M sets/s\n", threads, ops_per_sec(threads, true) / 1e6,
                ops_per_sec(threads, false) / 1e6);

  const size_t universe = 100000, capacity = 1000;
  Zipf z(universe, 0.99, 7);
  std::printf("hit ratio, Zipf(0.99) over %zu keys, cache of %zu entries, 2 M requests:\n", universe, capacity);
  std::printf("  ideal (the %zu most popular keys): %.3f\n", capacity, z.top_share(capacity));
  std::printf("  LRU %.3f, TinyLFU %.3f\n", hit_ratio(false, false, capacity, universe),
              hit_ratio(true, false, capacity, universe));
  std::printf("  with a quarter of the requests a one-off scan: ideal %.3f, LRU %.3f, TinyLFU %.3f\n",
              0.75 * z.top_share(capacity), hit_ratio(false, true, capacity, universe),
              hit_ratio(true, true, capacity, universe));

  const auto direct = slow_loader(false, 500);
  const auto cached = slow_loader(true, 10000);
  std::printf(
      "a 2 ms loader, Zipf(0.99) over 10,000 keys, 4 threads (500 requests each without the cache, "
      "10,000 with it):\n");
  std::printf("  loader every time: %5d loader calls, p50 %.2f ms, p95 %.2f ms\n", direct.loader_calls, direct.p50_ms,
              direct.p95_ms);
  std::printf("  get_or_load:       %5d loader calls, p50 %.3f ms, p95 %.2f ms, hit ratio %.3f (p95 %.0f %% lower)\n",
              cached.loader_calls, cached.p50_ms, cached.p95_ms, cached.hit_ratio,
              100.0 * (1 - cached.p95_ms / direct.p95_ms));
  const auto warm = slow_loader(true, 10000, 30000);
  std::printf(
      "  get_or_load after 30,000 warm-up requests a thread: %5d loader calls in all, p50 %.3f ms, "
      "p95 %.3f ms (%.0f %% lower), hit ratio over everything %.3f\n",
      warm.loader_calls, warm.p50_ms, warm.p95_ms, 100.0 * (1 - warm.p95_ms / direct.p95_ms), warm.hit_ratio);
  return 0;
}
