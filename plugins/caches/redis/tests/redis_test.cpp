// Against a real redis-server started by the test on 127.0.0.1.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/redis_server.hpp"
#include "../../../../tests/support/require_tool.hpp"

using vigil::testing::FakeHost;
using vigil::testing::have_redis;
using vigil::testing::RedisServer;

namespace {

struct Client {
  FakeHost host;
  const vigil_cache_v1* vt = nullptr;
  vigil_instance* inst = nullptr;
  explicit Client(int port) {
    host.set("url", "redis://127.0.0.1:" + std::to_string(port) + "/3");
    host.set("key_prefix", "test:");
    host.set_duration("command_timeout", std::chrono::milliseconds(300));
    vt = static_cast<const vigil_cache_v1*>(vigil_plugin_entry.get_interface(VIGIL_IFACE_CACHE));
    REQUIRE(vt->life.create(host.table(), host.ctx(), &inst) == VIGIL_OK);
  }
  ~Client() { vt->life.destroy(inst); }
  vigil_status set(const std::string& k, const std::string& v, int64_t ttl_ns = 0) {
    return vt->set(inst, {k.data(), k.size()}, v.data(), v.size(), ttl_ns);
  }
  vigil_status get(const std::string& k, std::string& out) {
    out.clear();
    vigil_writer w{&out, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                     static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                     return VIGIL_OK;
                   }};
    return vt->get(inst, {k.data(), k.size()}, &w);
  }
  vigil_status del(const std::string& k) { return vt->del(inst, {k.data(), k.size()}); }
  vigil_status add(const std::string& k, const std::string& v, int64_t ttl_ns, int32_t& stored) {
    return vt->add(inst, {k.data(), k.size()}, v.data(), v.size(), ttl_ns, &stored);
  }
};

// Records what a backend's watch() reports, for the test thread to wait on.
struct Changes {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;  // "changed:KEY", "unknown", "linked"
  static void on(void* self, int32_t event, vigil_str key) {
    auto* c = static_cast<Changes*>(self);
    std::lock_guard l(c->mu);
    c->events.push_back(event == VIGIL_CACHE_CHANGED   ? "changed:" + std::string(key.ptr, key.len)
                        : event == VIGIL_CACHE_UNKNOWN ? "unknown"
                                                       : "linked");
    c->cv.notify_all();
  }
  bool wait_for(const std::string& e, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock l(mu);
    return cv.wait_for(l, timeout, [&] { return std::find(events.begin(), events.end(), e) != events.end(); });
  }
  void clear() {
    std::lock_guard l(mu);
    events.clear();
  }
};

}  // namespace

TEST_CASE("get, set with TTL, del and binary values against a real Redis", "[redis]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  Client c(redis.port);
  std::string v;
  const std::string binary("a\0b\r\nc", 6);
  REQUIRE(c.set("k", binary) == VIGIL_OK);
  REQUIRE(c.get("k", v) == VIGIL_OK);
  CHECK(v == binary);
  CHECK(c.get("absent", v) == VIGIL_E_NOT_FOUND);
  REQUIRE(c.set("short", "x", 100'000'000) == VIGIL_OK);  // 100 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(c.get("short", v) == VIGIL_E_NOT_FOUND);
  REQUIRE(c.del("k") == VIGIL_OK);
  CHECK(c.get("k", v) == VIGIL_E_NOT_FOUND);
  // Concurrent use through the pool.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      std::string out;
      for (int i = 0; i < 100; ++i) {
        const std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
        if (c.set(key, key) == VIGIL_OK && c.get(key, out) == VIGIL_OK && out == key) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  CHECK(ok.load() == 800);
}

TEST_CASE("batches go as one pipeline", "[redis]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  Client c(redis.port);
  std::vector<std::string> keys, values;
  for (int i = 0; i < 200; ++i) {
    keys.push_back("b" + std::to_string(i));
    values.push_back("value " + std::to_string(i));
  }
  std::vector<vigil_str> ks, vs;
  for (size_t i = 0; i < keys.size(); ++i) {
    ks.push_back({keys[i].data(), keys[i].size()});
    vs.push_back({values[i].data(), values[i].size()});
  }
  REQUIRE(c.vt->mset(c.inst, ks.data(), vs.data(), 150, 0) == VIGIL_OK);  // the last 50 stay absent
  std::vector<std::string> outs(keys.size());
  std::vector<vigil_writer> ws;
  for (auto& o : outs)
    ws.push_back({&o, [](vigil_writer* self, const void* d, size_t n) -> vigil_status {
                    static_cast<std::string*>(self->impl)->append(static_cast<const char*>(d), n);
                    return VIGIL_OK;
                  }});
  std::vector<vigil_status> results(keys.size(), VIGIL_E_INTERNAL);
  REQUIRE(c.vt->mget(c.inst, ks.data(), ks.size(), ws.data(), results.data()) == VIGIL_OK);
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    if (i < 150) {
      CHECK(results[i] == VIGIL_OK);
      CHECK(outs[i] == values[i]);
    } else {
      CHECK(results[i] == VIGIL_E_NOT_FOUND);
    }
  }
}

TEST_CASE("Redis going away gives retryable errors; its return needs no restart", "[redis]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  Client c(redis.port);
  std::string v;
  REQUIRE(c.set("k", "v") == VIGIL_OK);
  redis.stop();
  CHECK(c.get("k", v) == VIGIL_E_UNAVAILABLE);
  CHECK(c.host.last_error().find("127.0.0.1:" + std::to_string(redis.port)) != std::string::npos);
  CHECK(c.set("k", "v") == VIGIL_E_UNAVAILABLE);
  CHECK(c.get("k", v) == VIGIL_E_UNAVAILABLE);
  CHECK(c.host.last_error().find("next attempt in") != std::string::npos);  // failing fast meanwhile
  redis.start();
  bool back = false;  // the first attempt after the connect backoff succeeds
  for (int i = 0; i < 100 && !back; ++i) {
    back = c.set("k", "back") == VIGIL_OK;
    if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(back);
  REQUIRE(c.get("k", v) == VIGIL_OK);
  CHECK(v == "back");
}

TEST_CASE("a bad url is a config error", "[redis]") {
  FakeHost host;
  host.set("url", "http://127.0.0.1:6379");
  const auto* vt = static_cast<const vigil_cache_v1*>(vigil_plugin_entry.get_interface(VIGIL_IFACE_CACHE));
  vigil_instance* inst = nullptr;
  CHECK(vt->life.create(host.table(), host.ctx(), &inst) == VIGIL_E_CONFIG);
  CHECK(host.last_error().find("redis://") != std::string::npos);
}

TEST_CASE("add is SET NX across clients, and prefixes are scanned and deleted", "[redis]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  Client a(redis.port), b(redis.port);
  int32_t stored = -1;
  REQUIRE(a.add("claim", "a", 200'000'000, stored) == VIGIL_OK);
  CHECK(stored == 1);
  REQUIRE(b.add("claim", "b", 200'000'000, stored) == VIGIL_OK);
  CHECK(stored == 0);  // held by a
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(b.add("claim", "b", 0, stored) == VIGIL_OK);
  CHECK(stored == 1);  // a's lease expired

  for (int i = 0; i < 1200; ++i) REQUIRE(a.set("ns1:" + std::to_string(i), "v" + std::to_string(i)) == VIGIL_OK);
  REQUIRE(a.set("ns1:ttl", "t", 60'000'000'000) == VIGIL_OK);
  REQUIRE(a.set("ns2:x", "keep") == VIGIL_OK);
  REQUIRE(a.set("ns[1]*:glob", "keep") == VIGIL_OK);  // glob characters in a prefix are literal
  std::map<std::string, std::pair<std::string, int64_t>> seen;
  REQUIRE(a.vt->scan(
              a.inst, {"ns1:", 4},
              [](void* u, vigil_str k, vigil_str v, int64_t ttl) -> int32_t {
                (*static_cast<std::map<std::string, std::pair<std::string, int64_t>>*>(
                    u))[std::string(k.ptr, k.len)] = {std::string(v.ptr, v.len), ttl};
                return 0;
              },
              &seen) == VIGIL_OK);
  CHECK(seen.size() == 1201);
  CHECK(seen["ns1:7"].first == "v7");
  CHECK(seen["ns1:7"].second == 0);
  CHECK(seen["ns1:ttl"].second > 50'000'000'000);
  REQUIRE(a.vt->del_prefix(a.inst, {"ns1:", 4}) == VIGIL_OK);
  std::string v;
  CHECK(a.get("ns1:7", v) == VIGIL_E_NOT_FOUND);
  CHECK(a.get("ns2:x", v) == VIGIL_OK);
  REQUIRE(a.vt->del_prefix(a.inst, {"ns[1]*", 6}) == VIGIL_OK);
  CHECK(a.get("ns[1]*:glob", v) == VIGIL_E_NOT_FOUND);
  CHECK(a.get("ns2:x", v) == VIGIL_OK);
  CHECK(a.vt->ping(a.inst) == VIGIL_OK);
  redis.stop();
  CHECK(a.vt->ping(a.inst) == VIGIL_E_UNAVAILABLE);
}

TEST_CASE("watch reports other clients' writes and the loss and return of the link", "[redis]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  Client watcher(redis.port), writer(redis.port);
  Changes changes;
  REQUIRE(watcher.vt->watch(watcher.inst, &Changes::on, &changes) == VIGIL_OK);
  REQUIRE(watcher.vt->life.start(watcher.inst) == VIGIL_OK);
  REQUIRE(changes.wait_for("linked"));
  REQUIRE(writer.set("user:1", "x") == VIGIL_OK);
  CHECK(changes.wait_for("changed:user:1"));  // the key without the instance's prefix
  REQUIRE(writer.del("user:1") == VIGIL_OK);
  REQUIRE(writer.set("short", "x", 50'000'000) == VIGIL_OK);
  changes.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string v;
  (void)writer.get("short", v);  // expiry is noticed on access (or by Redis' own sweep)
  CHECK(changes.wait_for("changed:short"));

  changes.clear();  // a flush names no keys: everything is unknown
  {
    redisContext* c = redisConnect("127.0.0.1", redis.port);
    REQUIRE((c && !c->err));
    freeReplyObject(redisCommand(c, "SELECT 3"));
    freeReplyObject(redisCommand(c, "FLUSHDB"));
    redisFree(c);
  }
  CHECK(changes.wait_for("unknown"));

  changes.clear();
  redis.stop();
  CHECK(changes.wait_for("unknown"));
  changes.clear();
  redis.start();
  CHECK(changes.wait_for("linked", std::chrono::milliseconds(10000)));
  REQUIRE(writer.set("user:2", "y") == VIGIL_OK);
  CHECK(changes.wait_for("changed:user:2"));
  watcher.vt->life.stop(watcher.inst);
}

TEST_CASE("watch is refused when track_changes is off", "[redis]") {
  FakeHost host;
  host.set("track_changes", false);
  const auto* vt = static_cast<const vigil_cache_v1*>(vigil_plugin_entry.get_interface(VIGIL_IFACE_CACHE));
  vigil_instance* inst = nullptr;
  REQUIRE(vt->life.create(host.table(), host.ctx(), &inst) == VIGIL_OK);
  Changes changes;
  CHECK(vt->watch(inst, &Changes::on, &changes) == VIGIL_E_UNSUPPORTED);
  vt->life.destroy(inst);
}
