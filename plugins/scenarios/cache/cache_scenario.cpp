// The cache scenario: the call transport against the cache vigil is configured with ([cache],
// reached through the host's cache_get / cache_set, in this instance's namespace). Keys follow a
// Zipf distribution (a few hot keys, a long tail); each operation is a read with probability
// read_ratio, else a write. A read that misses writes the value (cache-aside) and counts as a
// miss, so the report gives the hit ratio beside the latency of each kind of operation.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double unit(uint64_t x) {  // [0, 1)
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

class CacheScenario {
 public:
  explicit CacheScenario(Context& ctx) {
    const int64_t keys = ctx.get_int("keys").value_or(10000);
    if (keys < 1 || keys > 100'000'000) throw Error(VIGIL_E_CONFIG, "\"keys\" must be between 1 and 100000000");
    zipf_ = ctx.get_double("zipf").value_or(0.99);
    if (zipf_ < 0 || zipf_ > 5) throw Error(VIGIL_E_CONFIG, "\"zipf\" must be between 0 (uniform) and 5");
    read_ratio_ = ctx.get_double("read_ratio").value_or(0.9);
    if (read_ratio_ < 0 || read_ratio_ > 1) throw Error(VIGIL_E_CONFIG, "\"read_ratio\" must be between 0 and 1");
    const int64_t size = ctx.get_int("value_size").value_or(100);
    if (size < 0 || size > (1 << 20)) throw Error(VIGIL_E_CONFIG, "\"value_size\" must be between 0 and 1048576");
    value_.assign(static_cast<size_t>(size), 'v');
    ttl_ns_ = ctx.get_duration_ns("ttl").value_or(0);
    seed_ = static_cast<uint64_t>(ctx.get_int("seed").value_or(1));
    // The CDF of ranks 1..keys with weight 1/rank^zipf, for inverse sampling.
    cdf_.resize(static_cast<size_t>(keys));
    double sum = 0;
    for (size_t i = 0; i < cdf_.size(); ++i) sum += 1.0 / std::pow(static_cast<double>(i + 1), zipf_);
    double acc = 0;
    for (size_t i = 0; i < cdf_.size(); ++i) {
      acc += 1.0 / std::pow(static_cast<double>(i + 1), zipf_) / sum;
      cdf_[i] = acc;
    }
  }

  bool call(Context& ctx, uint64_t seq, int64_t) {
    const uint64_t r = mix(seed_ ^ mix(seq));
    const size_t rank = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), unit(r)) - cdf_.begin());
    const std::string key = "k" + std::to_string(std::min(rank, cdf_.size() - 1));
    const vigil_host_v1* host = ctx.host();
    const vigil_str k{key.data(), key.size()};
    if (unit(mix(r)) < read_ratio_) {
      vigil_writer discard{nullptr, [](vigil_writer*, const void*, size_t) -> vigil_status { return VIGIL_OK; }};
      const vigil_status st = host->cache_get(ctx.raw(), k, &discard);
      if (st == VIGIL_OK) return true;
      if (st != VIGIL_E_NOT_FOUND) fail(st, "get");
      set(ctx, k);
      return false;
    }
    set(ctx, k);
    return true;
  }

 private:
  void set(Context& ctx, vigil_str k) {
    const vigil_status st = ctx.host()->cache_set(ctx.raw(), k, value_.data(), value_.size(), ttl_ns_);
    if (st != VIGIL_OK) fail(st, "set");
  }
  [[noreturn]] static void fail(vigil_status st, const char* op) {
    if (st == VIGIL_E_UNSUPPORTED)
      throw Error(st,
                  std::string("cache ") + op +
                      ": vigil has no cache configured; add [[caches.memory]] (or redis) and [cache] to the config");
    throw Error(st, std::string("cache ") + op + " failed");
  }

  std::vector<double> cdf_;
  double zipf_ = 0.99, read_ratio_ = 0.9;
  std::string value_;
  int64_t ttl_ns_ = 0;
  uint64_t seed_ = 1;
};

const vigil_config_key kSchema[] = {
    {"keys", VIGIL_CFG_INT, "10000", 0, "distinct keys"},
    {"zipf", VIGIL_CFG_DOUBLE, "0.99", 0, "exponent of the key popularity (0 = uniform)"},
    {"read_ratio", VIGIL_CFG_DOUBLE, "0.9", 0, "share of operations that are reads"},
    {"value_size", VIGIL_CFG_INT, "100", 0, "bytes of each value written"},
    {"ttl", VIGIL_CFG_DURATION, "the namespace's", 0, "TTL of each value written"},
    {"seed", VIGIL_CFG_INT, "1", 0, "seed of the key and operation draws"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_CALL_SCENARIO(CacheScenario, "cache", "1.0.0",
                        "The configured cache under a Zipf get/set mix: hit ratio and operation latency", kSchema);
