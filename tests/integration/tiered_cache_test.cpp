// The tiered cache against a real redis-server on 127.0.0.1: two "replicas" in one process,
// each with its own in-process L1 (the memory plugin) over its own connections to one Redis
// (the redis plugin), built exactly as `vigil run` builds them from TOML.
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <thread>

#include "../support/redis_server.hpp"
#include "agent_process.h"
#include "app/agent_cache.h"
#include "config/toml_loader.h"
#include "metrics/sample_store.h"
#include "plugin_host/plugin_catalog.h"
#include "runtime/scheduler.h"
#include "../support/require_tool.hpp"

using namespace std::chrono_literals;
using namespace vigil;

namespace {

struct Replica {
  plugin_host::PluginCatalog catalog = plugin_host::PluginCatalog::scan({testing::build_dir() + "/plugins"});
  runtime::Scheduler scheduler;
  metrics::SampleStore store;
  std::unique_ptr<app::AgentCache> cache;

  explicit Replica(int port) {
    const std::string toml = "[[caches.memory]]\n[[caches.redis]]\nurl = \"redis://127.0.0.1:" + std::to_string(port) +
                             "/0\"\ncommand_timeout = \"300ms\"\n[cache]\nbackend = \"tiered\"\n"
                             "[cache.tiered]\nl1_ttl = \"1m\"\n";
    auto loaded = config::load_config_text(toml, "tiered.toml");
    REQUIRE(loaded.ok());
    auto prepared = app::prepare_cache(loaded.settings, catalog);
    REQUIRE(prepared.problems.empty());
    auto started = app::AgentCache::start(std::move(prepared), "", scheduler, store);
    REQUIRE(started.ok());
    cache = std::move(started.value());
  }
  ~Replica() {
    cache->stop(scheduler);
    scheduler.stop(1s);
  }
  cache::Namespace& users() { return cache->facade()->ns("users"); }
  const cache::TieredBackend& tiers() { return dynamic_cast<const cache::TieredBackend&>(*cache->backend()); }
  bool wait_linked(bool want) {
    for (int i = 0; i < 500; ++i) {
      if (tiers().stats().linked == want) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
};

// Polls until the namespace answers `want` for key (another replica's change travels
// asynchronously), up to two seconds.
bool eventually(cache::Namespace& ns, const std::string& key, const std::optional<std::string>& want) {
  for (int i = 0; i < 100; ++i) {
    auto got = ns.get(key);
    if (got.ok() && *got == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("tiered: L1 copies stay coherent across two replicas on one Redis", "[integration]") {
  VIGIL_REQUIRE_TOOL(testing::have_redis(), "redis-server");
  testing::RedisServer redis(testing::free_port());
  Replica a(redis.port), b(redis.port);
  REQUIRE(a.wait_linked(true));
  REQUIRE(b.wait_linked(true));

  REQUIRE(a.users().set("42", "ana").ok());
  // A's write is reported to B too; once B has heard it, B's next copy of the key stays valid.
  for (int i = 0; i < 250 && b.tiers().stats().changes_received == 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(b.users().get("42").value() == std::optional<std::string>("ana"));  // from L2, copied into L1
  const auto l1_before = b.tiers().stats().l1_hits;
  for (int i = 0; i < 10; ++i) CHECK(b.users().get("42").value() == std::optional<std::string>("ana"));
  CHECK(b.tiers().stats().l1_hits >= l1_before + 10);  // served in-process

  // A writes: B's copy is dropped by Redis' invalidation, and B reads the new value.
  REQUIRE(a.users().set("42", "bea").ok());
  CHECK(eventually(b.users(), "42", std::string("bea")));
  CHECK(b.tiers().stats().changes_received >= 1);
  REQUIRE(a.users().del("42").ok());
  CHECK(eventually(b.users(), "42", std::nullopt));

  // Prefix invalidation from A reaches B's copies too.
  REQUIRE(a.users().set("p:1", "x").ok());
  REQUIRE(a.users().set("p:2", "y").ok());
  CHECK(b.users().get("p:1").value() == std::optional<std::string>("x"));
  REQUIRE(a.users().invalidate_prefix("p:").ok());
  CHECK(eventually(b.users(), "p:1", std::nullopt));
  CHECK(eventually(b.users(), "p:2", std::nullopt));

  // Redis goes away: L1 is flushed and bypassed, so B answers with errors, never a stale copy.
  REQUIRE(a.users().set("k", "v1").ok());
  CHECK(b.users().get("k").value() == std::optional<std::string>("v1"));
  redis.stop();
  REQUIRE(b.wait_linked(false));
  CHECK_FALSE(b.users().get("k").ok());
  CHECK(b.tiers().stats().flushes >= 1);

  // Back: tracking is re-established and the cache works again without a restart.
  redis.start();
  REQUIRE(a.wait_linked(true));
  REQUIRE(b.wait_linked(true));
  CHECK(eventually(b.users(), "k", std::nullopt));  // the new Redis is empty
  bool written = false;
  for (int i = 0; i < 100 && !written; ++i) {
    written = a.users().set("k", "v2").ok();
    if (!written) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(written);
  CHECK(eventually(b.users(), "k", std::string("v2")));
}
