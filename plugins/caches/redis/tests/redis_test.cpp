// Against a real redis-server started by the test on 127.0.0.1.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/loopback.hpp"

using vigil::testing::FakeHost;

namespace {

struct RedisServer {
  pid_t pid = -1;
  int port;
  explicit RedisServer(int p) : port(p) { start(); }
  void start() {
    pid = fork();
    if (pid == 0) {
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      const std::string ps = std::to_string(port);
      execlp("redis-server", "redis-server", "--port", ps.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !vigil::testing::can_connect(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  void stop() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~RedisServer() { stop(); }
};

bool have_redis() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

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
};

}  // namespace

TEST_CASE("get, set with TTL, del and binary values against a real Redis", "[redis]") {
  if (!have_redis()) SKIP("redis-server is not installed");
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
  if (!have_redis()) SKIP("redis-server is not installed");
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
  if (!have_redis()) SKIP("redis-server is not installed");
  RedisServer redis(vigil::testing::free_port());
  Client c(redis.port);
  std::string v;
  REQUIRE(c.set("k", "v") == VIGIL_OK);
  redis.stop();
  CHECK(c.get("k", v) == VIGIL_E_UNAVAILABLE);
  CHECK(c.host.last_error().find("127.0.0.1:" + std::to_string(redis.port)) != std::string::npos);
  CHECK(c.set("k", "v") == VIGIL_E_UNAVAILABLE);
  redis.start();
  CHECK(c.set("k", "back") == VIGIL_OK);
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
