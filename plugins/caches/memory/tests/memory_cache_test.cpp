#include <catch2/catch_test_macros.hpp>
#include <map>
#include <random>
#include <thread>
#include <vigil/testing/fake_host.hpp>

#include "../memory_cache.h"

using vigil::cache::MemoryCache;
using vigil::cache::MemoryCacheOptions;

namespace {
MemoryCacheOptions one_shard(size_t bytes, size_t entries = 0, bool tinylfu = false) {
  MemoryCacheOptions o;
  o.max_bytes = bytes;
  o.max_entries = entries;
  o.shards = 1;
  o.tinylfu = tinylfu;
  return o;
}
}  // namespace

TEST_CASE("LRU eviction order, replace in place and byte accounting", "[cache]") {
  MemoryCache c(one_shard(1 << 20, 3));
  std::string v;
  c.set("a", "1", 0, 0);
  c.set("b", "2", 0, 0);
  c.set("c", "3", 0, 0);
  REQUIRE(c.get("a", 0, &v));  // a is now the most recent
  c.set("d", "4", 0, 0);       // b, the least recent, goes
  CHECK_FALSE(c.get("b", 0, &v));
  CHECK(c.get("a", 0, &v));
  CHECK(v == "1");
  c.set("a", "one", 0, 0);
  REQUIRE(c.get("a", 0, &v));
  CHECK(v == "one");
  const auto st = c.stats();
  CHECK(st.entries == 3);
  CHECK(st.evictions == 1);
  CHECK(st.bytes == 3 * MemoryCache::kEntryOverhead + (1 + 3) + (1 + 1) + (1 + 1));
  CHECK(st.hits == 3);
  CHECK(st.misses == 1);
  CHECK(c.del("a"));
  CHECK_FALSE(c.del("a"));
  CHECK(c.stats().bytes == 2 * MemoryCache::kEntryOverhead + 4);
}

TEST_CASE("the byte bound evicts, and a value larger than the cache is refused", "[cache]") {
  MemoryCache c(one_shard(1000));
  const std::string big(300, 'x');
  for (int i = 0; i < 10; ++i) c.set("k" + std::to_string(i), big, 0, 0);
  const auto st = c.stats();
  CHECK(st.bytes <= 1000);
  CHECK(st.entries == 2);  // 2 * (2 + 300 + 64) fits, 3 do not
  CHECK(st.evictions == 8);
  c.set("huge", std::string(2000, 'y'), 0, 0);
  CHECK(c.stats().rejections == 1);
}

TEST_CASE("TTL: lazy expiry on read and the sweep", "[cache]") {
  MemoryCache c(one_shard(1 << 20));
  std::string v;
  c.set("short", "x", 100, 1000);  // expires at 1100
  c.set("long", "y", 10'000, 1000);
  c.set("forever", "z", 0, 1000);
  CHECK(c.get("short", 1099, &v));
  CHECK_FALSE(c.get("short", 1100, &v));
  CHECK(c.stats().expirations == 1);
  CHECK(c.sweep(20'000) == 1);  // "long"
  CHECK(c.stats().entries == 1);
  CHECK(c.get("forever", 1'000'000'000, &v));
}

TEST_CASE("TinyLFU keeps hot entries through a scan that plain LRU loses them to", "[cache]") {
  auto run = [](bool tinylfu) {
    MemoryCache c(one_shard(1 << 30, 100, tinylfu));
    std::string v;
    for (int round = 0; round < 20; ++round)
      for (int k = 0; k < 50; ++k) {
        const std::string key = "hot" + std::to_string(k);
        if (!c.get(key, 0, &v)) c.set(key, "v", 0, 0);
      }
    for (int k = 0; k < 300; ++k) {  // a one-off scan of cold keys, three times the capacity
      const std::string key = "cold" + std::to_string(k);
      if (!c.get(key, 0, &v)) c.set(key, "v", 0, 0);
    }
    int hot_left = 0;
    for (int k = 0; k < 50; ++k) hot_left += c.get("hot" + std::to_string(k), 0, &v) ? 1 : 0;
    return hot_left;
  };
  CHECK(run(false) == 0);  // LRU: the scan flushed them all
  CHECK(run(true) == 50);  // TinyLFU: the scan was not admitted over them
}

TEST_CASE("concurrent readers and writers keep the accounting exact", "[cache]") {
  MemoryCacheOptions o;
  o.max_bytes = 64 * 1024;
  o.shards = 8;
  MemoryCache c(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::string v;
      for (int i = 0; i < 20000; ++i) {
        const std::string key = "k" + std::to_string(rng() % 2000);
        if (rng() % 4 == 0)
          c.set(key, std::string(rng() % 100, 'v'), 0, 0);
        else
          c.get(key, 0, &v);
      }
    });
  for (auto& th : threads) th.join();
  const auto st = c.stats();
  CHECK(st.hits + st.misses > 4 * 20000 / 2);  // about three in four operations are reads
  CHECK(st.bytes <= o.max_bytes);
  CHECK(st.entries > 0);
  c.clear();
  CHECK(c.stats().bytes == 0);
  CHECK(c.stats().entries == 0);
}

TEST_CASE("add stores only absent keys and prefixes are deleted and scanned", "[cache]") {
  MemoryCacheOptions o;
  MemoryCache c(o);
  CHECK(c.add("claim:a", "r1", 1000, 0));
  CHECK_FALSE(c.add("claim:a", "r2", 1000, 10));  // held
  std::string v;
  REQUIRE(c.get("claim:a", 10, &v));
  CHECK(v == "r1");
  CHECK(c.add("claim:a", "r2", 1000, 1000));  // the first expired
  REQUIRE(c.get("claim:a", 1001, &v));
  CHECK(v == "r2");

  c.set("ns1:x", "1", 0, 0);
  c.set("ns1:y", "2", 500, 0);
  c.set("ns2:x", "3", 0, 0);
  std::map<std::string, std::pair<std::string, int64_t>> seen;
  c.for_each("ns1:", 100, [&](std::string_view k, std::string_view val, int64_t ttl) {
    seen[std::string(k)] = {std::string(val), ttl};
    return true;
  });
  REQUIRE(seen.size() == 2);
  CHECK(seen["ns1:x"] == std::pair<std::string, int64_t>{"1", 0});
  CHECK(seen["ns1:y"] == std::pair<std::string, int64_t>{"2", 400});
  int visits = 0;
  c.for_each("", 100, [&](std::string_view, std::string_view, int64_t) { return ++visits < 2; });
  CHECK(visits == 2);  // stopped by the visitor
  CHECK(c.del_prefix("ns1:") == 2);
  CHECK_FALSE(c.get("ns1:x", 100, &v));
  CHECK(c.get("ns2:x", 100, &v));
  CHECK(c.stats().entries == 2);  // ns2:x and claim:a
}

TEST_CASE("the plugin serves the cache interface with its config", "[cache]") {
  vigil::testing::FakeHost host;
  host.set_size("max_size", 1 << 20);
  host.set("admission", "tinylfu");
  const auto* vt = static_cast<const vigil_cache_v1*>(vigil_plugin_entry.get_interface(VIGIL_IFACE_CACHE));
  REQUIRE(vt);
  vigil_instance* inst = nullptr;
  REQUIRE(vt->life.create(host.table(), host.ctx(), &inst) == VIGIL_OK);
  REQUIRE(vt->life.start(inst) == VIGIL_OK);
  const std::string key = "user:42", value = "{\"name\":\"ana\"}";
  REQUIRE(vt->set(inst, {key.data(), key.size()}, value.data(), value.size(), 0) == VIGIL_OK);
  std::string got;
  vigil_writer w{&got, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                   static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                   return VIGIL_OK;
                 }};
  CHECK(vt->get(inst, {key.data(), key.size()}, &w) == VIGIL_OK);
  CHECK(got == value);
  CHECK(vt->del(inst, {key.data(), key.size()}) == VIGIL_OK);
  CHECK(vt->get(inst, {key.data(), key.size()}, &w) == VIGIL_E_NOT_FOUND);
  int32_t stored = -1;
  REQUIRE(vt->add);
  CHECK(vt->add(inst, {key.data(), key.size()}, "1", 1, 0, &stored) == VIGIL_OK);
  CHECK(stored == 1);
  CHECK(vt->add(inst, {key.data(), key.size()}, "2", 1, 0, &stored) == VIGIL_OK);
  CHECK(stored == 0);
  int scanned = 0;
  REQUIRE(vt->scan);
  CHECK(vt->scan(
            inst, {"user:", 5},
            [](void* u, vigil_str, vigil_str v, int64_t) -> int32_t {
              *static_cast<int*>(u) += std::string_view(v.ptr, v.len) == "1";
              return 0;
            },
            &scanned) == VIGIL_OK);
  CHECK(scanned == 1);
  REQUIRE(vt->del_prefix);
  CHECK(vt->del_prefix(inst, {"user:", 5}) == VIGIL_OK);
  CHECK(vt->get(inst, {key.data(), key.size()}, &w) == VIGIL_E_NOT_FOUND);
  CHECK(vt->ping == nullptr);   // nothing outside the process to check
  CHECK(vt->watch == nullptr);  // no other writers to hear about
  vt->life.stop(inst);
  vt->life.destroy(inst);

  vigil::testing::FakeHost bad;
  bad.set("admission", "lfu");
  vigil_instance* none = nullptr;
  CHECK(vt->life.create(bad.table(), bad.ctx(), &none) == VIGIL_E_CONFIG);
  CHECK(bad.last_error().find("\"admission\" must be \"lru\" or \"tinylfu\"") != std::string::npos);
}
