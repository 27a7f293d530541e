#include "cache/cache.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "cache/tiered_backend.h"

using namespace vigil::cache;
using vigil::Result;
using vigil::Status;
using namespace std::chrono_literals;

namespace {

// An in-memory backend for the facade's tests (TTL kept by the facade's envelope).
class MapBackend : public Backend {
 public:
  Result<std::optional<std::string>> get(const std::string& key) override {
    std::unique_lock l(mu);
    if (fail) return Status::error("backend down");
    auto it = data.find(key);
    auto out = it == data.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
    if (during_get) {
      l.unlock();
      during_get();
    }
    return out;
  }
  Status set(const std::string& key, const std::string& value, std::chrono::milliseconds) override {
    std::lock_guard l(mu);
    if (fail) return Status::error("backend down");
    data[key] = value;
    return {};
  }
  Status del(const std::string& key) override {
    std::lock_guard l(mu);
    data.erase(key);
    return {};
  }
  Status del_prefix(const std::string& prefix) override {
    std::lock_guard l(mu);
    std::erase_if(data, [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
    return {};
  }
  Status scan(const std::string& prefix, const ScanVisitor& visit) override {
    std::map<std::string, std::string> copy;
    {
      std::lock_guard l(mu);
      copy = data;
    }
    for (const auto& [k, v] : copy)
      if (k.rfind(prefix, 0) == 0 && !visit(k, v, 0ms)) break;
    return {};
  }
  std::mutex mu;
  std::map<std::string, std::string> data;
  bool fail = false;
  std::function<void()> during_get;  // runs inside get(), between reading and answering
};

struct Fixture {
  std::shared_ptr<MapBackend> backend = std::make_shared<MapBackend>();
  std::atomic<int64_t> now{1'000'000};
  Namespace make(const std::string& name, NamespaceOptions o = {}) {
    return Namespace(
        name, o, backend, [this] { return now.load(); }, 42);
  }
};

}  // namespace

TEST_CASE("namespaces keep their keys apart; get, set, del", "[cache]") {
  Fixture f;
  auto a = f.make("users");
  auto b = f.make("sessions");
  REQUIRE(a.set("42", "ana").ok());
  CHECK(a.get("42").value() == std::optional<std::string>("ana"));
  CHECK_FALSE(b.get("42").value().has_value());
  REQUIRE(a.del("42").ok());
  CHECK_FALSE(a.get("42").value().has_value());
  CHECK(a.stats().hits == 1);
  CHECK(a.stats().misses == 1);
  CHECK(f.backend->data.empty());
}

TEST_CASE("1,000 concurrent misses on one key run one load", "[cache]") {
  Fixture f;
  auto ns = f.make("slow");
  std::atomic<int> loads{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 1000; ++i)
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < 1000) std::this_thread::yield();
      auto r = ns.get_or_load("report", [&]() -> Result<std::optional<std::string>> {
        ++loads;
        std::this_thread::sleep_for(100ms);
        return std::optional<std::string>("done");
      });
      if (r.ok() && r.value() == std::optional<std::string>("done")) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(loads.load() == 1);
  CHECK(ok.load() == 1000);
  CHECK(ns.stats().loads == 1);
}

TEST_CASE("not found is cached for negative_ttl; loader errors are not cached", "[cache]") {
  Fixture f;
  NamespaceOptions o;
  o.negative_ttl = 30s;
  o.ttl_jitter = 0;
  auto ns = f.make("lookups", o);
  int calls = 0;
  auto missing = [&]() -> Result<std::optional<std::string>> {
    ++calls;
    return std::optional<std::string>();
  };
  CHECK_FALSE(ns.get_or_load("nobody", missing).value().has_value());
  CHECK_FALSE(ns.get_or_load("nobody", missing).value().has_value());
  CHECK(calls == 1);
  CHECK(ns.stats().negative_hits == 1);
  f.now += 31'000;  // the negative entry expired
  CHECK_FALSE(ns.get_or_load("nobody", missing).value().has_value());
  CHECK(calls == 2);

  int errors = 0;
  auto failing = [&]() -> Result<std::optional<std::string>> {
    ++errors;
    return Status::error("database timeout");
  };
  CHECK(ns.get_or_load("k", failing).message() == "database timeout");
  CHECK_FALSE(ns.get_or_load("k", failing).ok());
  CHECK(errors == 2);
  CHECK(ns.stats().load_errors == 2);
}

TEST_CASE("TTLs are jittered within the fraction", "[cache]") {
  Fixture f;
  NamespaceOptions o;
  o.ttl = 100s;
  o.ttl_jitter = 0.1;
  auto ns = f.make("j", o);
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(ns.set("k" + std::to_string(i), "v").ok());
    bool neg;
    int64_t exp, load;
    std::string v;
    REQUIRE(decode_entry(f.backend->data["j:k" + std::to_string(i)], neg, exp, load, v));
    lo = std::min(lo, exp - f.now.load());
    hi = std::max(hi, exp - f.now.load());
  }
  CHECK(lo >= 90'000);
  CHECK(hi <= 110'000);
  CHECK(hi - lo > 10'000);  // spread, not one value
}

TEST_CASE("XFetch refreshes early only close to expiry, once at a time", "[cache]") {
  Fixture f;
  NamespaceOptions o;
  o.ttl = 60s;
  o.ttl_jitter = 0;
  o.early_refresh = true;
  auto ns = f.make("hot", o);
  int loads = 0;
  auto loader = [&]() -> Result<std::optional<std::string>> {
    ++loads;
    f.now += 200;  // a 200 ms load: XFetch's delta
    return std::optional<std::string>("fresh");
  };
  REQUIRE(ns.get_or_load("k", loader).ok());
  REQUIRE(loads == 1);
  // Far from expiry (59 s left), refreshing needs ln(U) below -295: never in practice.
  for (int i = 0; i < 1000; ++i) REQUIRE(ns.get_or_load("k", loader).ok());
  CHECK(loads == 1);
  // 100 ms before expiry with a 200 ms load, about 60 % of reads would refresh; the first does.
  f.now += 60'000 - 300;
  int before = loads;
  for (int i = 0; i < 20 && loads == before; ++i)
    REQUIRE(ns.get_or_load("k", loader).value() == std::optional<std::string>("fresh"));
  CHECK(loads == before + 1);
  CHECK(ns.stats().early_refreshes >= 1);
}

TEST_CASE("bounds on keys and values; a backend failure is reported, and loads still serve", "[cache]") {
  Fixture f;
  NamespaceOptions o;
  o.max_key_bytes = 8;
  o.max_value_bytes = 4;
  auto ns = f.make("b", o);
  CHECK(ns.set("a-very-long-key", "v").message().find("is refused (1 to 8 bytes)") != std::string::npos);
  CHECK(ns.set("k", "12345").message().find("at most 4") != std::string::npos);
  CHECK(ns.stats().refused == 2);
  f.backend->fail = true;
  CHECK(ns.get("k").message() == "backend down");
  auto r = ns.get_or_load("k", []() -> Result<std::optional<std::string>> { return std::optional<std::string>("v"); });
  CHECK(r.value() == std::optional<std::string>("v"));
  CHECK(ns.stats().backend_errors >= 2);
}

TEST_CASE("tiered: L1 serves repeats and drops keys that other writers changed", "[cache]") {
  auto l1 = std::make_shared<MapBackend>(), l2 = std::make_shared<MapBackend>();
  TieredBackend t(l1, l2, 60s);
  REQUIRE(t.set("k", "v1", 0ms).ok());
  CHECK(t.get("k").value() == std::optional<std::string>("v1"));
  CHECK(l1->data.empty());  // not linked yet: no copies
  t.on_change(Backend::Change::linked, "");
  CHECK(t.get("k").value() == std::optional<std::string>("v1"));
  CHECK(l1->data.count("k") == 1);
  l2->data["k"] = "v2";                                           // another replica writes
  CHECK(t.get("k").value() == std::optional<std::string>("v1"));  // L1, until told
  t.on_change(Backend::Change::changed, "k");
  CHECK(l1->data.count("k") == 0);
  CHECK(t.get("k").value() == std::optional<std::string>("v2"));
  auto st = t.stats();
  CHECK(st.l1_hits == 1);
  CHECK(st.l2_hits == 3);
  CHECK(st.changes_received == 1);

  // Local writes go to L2 and drop the copy.
  REQUIRE(t.set("k", "v3", 0ms).ok());
  CHECK(l1->data.count("k") == 0);
  CHECK(l2->data["k"] == "v3");
  CHECK(t.get("k").value() == std::optional<std::string>("v3"));

  // Losing the link flushes L1 and bypasses it until linked again.
  t.on_change(Backend::Change::unknown, "");
  CHECK(l1->data.empty());
  CHECK(t.get("k").value() == std::optional<std::string>("v3"));
  CHECK(l1->data.empty());
  CHECK_FALSE(t.stats().linked);
  t.on_change(Backend::Change::linked, "");
  CHECK(t.get("k").value() == std::optional<std::string>("v3"));
  CHECK(l1->data.count("k") == 1);
}

TEST_CASE("tiered: a change reported during the L2 read keeps the reply out of L1", "[cache]") {
  auto l1 = std::make_shared<MapBackend>(), l2 = std::make_shared<MapBackend>();
  TieredBackend t(l1, l2, 60s);
  t.on_change(Backend::Change::linked, "");
  l2->data["k"] = "old";
  l2->during_get = [&] { t.on_change(Backend::Change::changed, "k"); };  // overtakes the reply
  CHECK(t.get("k").value() == std::optional<std::string>("old"));
  CHECK(l1->data.empty());
  CHECK(t.stats().copies_dropped == 1);
  l2->during_get = [&] { t.on_change(Backend::Change::unknown, ""); };
  CHECK(t.get("k").value() == std::optional<std::string>("old"));
  CHECK(l1->data.empty());
}

TEST_CASE("invalidation by prefix and snapshots that keep the time left", "[cache]") {
  Fixture f;
  auto ns = f.make("users");
  REQUIRE(ns.set("a:1", "x", 10s).ok());
  REQUIRE(ns.set("a:2", "y", 10s).ok());
  REQUIRE(ns.set("b:1", "z", 2s).ok());
  REQUIRE(ns.invalidate_prefix("a:").ok());
  CHECK_FALSE(ns.get("a:1").value().has_value());
  CHECK(ns.get("b:1").value() == std::optional<std::string>("z"));

  REQUIRE(ns.set("c", std::string("bin\0\n", 5), 0ms).ok());
  const std::string path =
      (std::filesystem::temp_directory_path() / ("vigil-snapshot-" + std::to_string(::getpid()))).string();
  auto saved = ns.save_snapshot(path);
  REQUIRE(saved.ok());
  CHECK(saved.value() == 2);
  f.backend->data.clear();
  f.now += 1500;  // b:1 has 500 ms left
  std::vector<std::pair<size_t, size_t>> progress;
  auto loaded = ns.load_snapshot(path, [&](size_t d, size_t t) { progress.emplace_back(d, t); });
  REQUIRE(loaded.ok());
  CHECK(loaded.value() == 2);
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back().first == progress.back().second);
  CHECK(ns.get("c").value() == std::optional<std::string>(std::string("bin\0\n", 5)));
  CHECK(ns.get("b:1").value() == std::optional<std::string>("z"));
  f.now += 600;
  CHECK_FALSE(ns.get("b:1").value().has_value());
  f.now += 10000;  // expired while "down": not loaded
  f.backend->data.clear();
  CHECK(ns.load_snapshot(path).value() == 1);

  std::ofstream(path, std::ios::binary) << "something else";
  auto bad = ns.load_snapshot(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("is not a vigil cache snapshot") != std::string::npos);
  std::ofstream(path, std::ios::binary) << "vigil-cache-snapshot 1\n3 900\nabc";
  bad = ns.load_snapshot(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("entry 1 is cut short") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("warm-up loads what is missing and reports progress and failures", "[cache]") {
  Fixture f;
  auto ns = f.make("users");
  REQUIRE(ns.set("k1", "cached").ok());
  std::vector<std::string> keys{"k1", "k2", "k3", "bad"};
  int loads = 0;
  size_t last_done = 0;
  auto failed = ns.warm_up(
      keys,
      [&](const std::string& k) -> Result<std::optional<std::string>> {
        ++loads;
        if (k == "bad") return Status::error("no such user");
        return std::optional<std::string>("v-" + k);
      },
      [&](size_t done, size_t total) {
        CHECK(total == 4);
        last_done = done;
      });
  CHECK(loads == 3);  // k1 was cached
  CHECK(failed == std::vector<std::string>{"bad"});
  CHECK(last_done == 4);
  CHECK(ns.get("k3").value() == std::optional<std::string>("v-k3"));
  const auto st = ns.stats();
  CHECK(st.loads == 3);
  CHECK(st.load_buckets.back() == 3);  // every load took under 5 s
}
