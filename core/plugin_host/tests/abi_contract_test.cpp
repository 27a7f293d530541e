// What plugin.h promises a plugin, checked through the abi_contract fixture (a C99 plugin that
// relies on each promise): per-call deadlines and error messages, NULL contexts, init()'s
// reason, deinit(), and the ABI minor rule.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "config/toml_loader.h"
#include "plugin_host/cache_instance.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/notifier_instance.h"
#include "test_paths.h"
#include <vigil/plugin.hpp>

using namespace vigil::plugin_host;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

enum class Kind { collector, cache, notifier };

vigil::config::InstanceSettings settings(const std::string& toml, Kind kind = Kind::collector) {
  auto r = vigil::config::load_config_text(toml, "t.toml");
  REQUIRE(r.ok());
  const auto& list = kind == Kind::cache      ? r.settings.caches
                     : kind == Kind::notifier ? r.settings.notifiers
                                              : r.settings.collectors;
  REQUIRE(list.size() == 1);
  return list[0];
}

std::shared_ptr<const LoadedPlugin> plugin(const std::string& name) {
  auto p = load_plugin(fixture(name));
  REQUIRE(p.ok());
  return p.value();
}

int64_t in(double seconds) {
  return monotonic_now_ns() + static_cast<int64_t>(seconds * 1e9);
}

double value_of(const CollectOutcome& out, const std::string& name, const std::string& label = "") {
  for (const auto& s : out.samples) {
    if (s.name != name) continue;
    if (label.empty()) return s.value;
    for (const auto& [k, v] : s.labels)
      if (v == label) return s.value;
  }
  return -100;
}

}  // namespace

TEST_CASE("a deadline belongs to its call: a plugin's own thread never inherits a passed one", "[plugin_host][abi]") {
  auto inst = CollectorInstance::create(plugin("abi_contract"), settings("[[collectors.abi_contract]]\n"));
  REQUIRE(inst.ok());
  auto& c = *inst.value();
  REQUIRE(c.start().ok());
  // A call whose deadline has passed sees should_stop() = 1 inside the call...
  auto late = c.collect(in(-1));
  CHECK(value_of(late, "fixture_collect_should_stop") == 1);
  // ...and afterwards neither the plugin's own thread nor the next call inherit it.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto next = c.collect(in(5));
  CHECK(value_of(next, "fixture_collect_should_stop") == 0);
  CHECK(value_of(next, "fixture_own_thread_should_stop") == 0);
  c.stop();
}

TEST_CASE("host services refuse a NULL ctx with VIGIL_E_INVALID instead of crashing", "[plugin_host][abi]") {
  auto inst = CollectorInstance::create(plugin("abi_contract"), settings("[[collectors.abi_contract]]\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(5));
  CHECK(value_of(out, "fixture_null_ctx_status", "cfg_int") == double(VIGIL_E_INVALID));
  CHECK(value_of(out, "fixture_null_ctx_status", "emit") == double(VIGIL_E_INVALID));
  CHECK(value_of(out, "fixture_null_ctx_status", "cache_del") == double(VIGIL_E_INVALID));
}

TEST_CASE("a collector's failure carries the message of its own call", "[plugin_host][abi]") {
  auto inst = CollectorInstance::create(plugin("abi_contract"),
                                        settings("[[collectors.abi_contract]]\nfail_with = \"upstream said no\"\n"));
  REQUIRE(inst.ok());
  auto out = inst.value()->collect(in(5));
  CHECK(out.result == CollectOutcome::Result::error);
  CHECK(out.error == "E_UNAVAILABLE: upstream said no");
}

TEST_CASE("concurrent calls into one [ts] instance each get their own error message", "[plugin_host][abi]") {
  auto inst = CacheInstance::create(plugin("abi_contract"), settings("[[caches.abi_contract]]\n", Kind::cache));
  REQUIRE(inst.ok());
  auto& cache = *inst.value();
  REQUIRE(cache.start().ok());
  std::atomic<int> wrong{0}, calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string key = "key-" + std::to_string(t) + "-" + std::to_string(i);
        auto r = cache.get(key);
        ++calls;
        const std::string want = ": no value for key " + key;
        if (r.ok() || r.message().size() < want.size() ||
            r.message().compare(r.message().size() - want.size(), want.size(), want) != 0)
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(calls == 8 * 300);
  CHECK(wrong == 0);
}

TEST_CASE("each item of a notifier batch reports its own reason, the others the call's", "[plugin_host][abi]") {
  auto inst =
      NotifierInstance::create(plugin("abi_contract"), settings("[[notifiers.abi_contract]]\n", Kind::notifier));
  REQUIRE(inst.ok());
  REQUIRE(inst.value()->start().ok());
  std::vector<RenderedNotification> items(4);
  items[0].notification.group_key = "ok-a";
  items[1].notification.group_key = "own-b";
  items[2].notification.group_key = "plain-c";
  items[3].notification.group_key = "own-d";
  std::vector<const RenderedNotification*> batch;
  for (const auto& n : items) batch.push_back(&n);

  const auto out = inst.value()->deliver(batch, in(5));
  REQUIRE(out.size() == 4);
  CHECK(out[0].kind == DeliveryResult::Kind::delivered);
  CHECK(out[1].kind == DeliveryResult::Kind::failed);
  CHECK(out[1].error == "E_INVALID: refused own-b");
  CHECK(out[2].kind == DeliveryResult::Kind::retry);
  CHECK(out[2].error == "E_UNAVAILABLE: the batch's reason");
  CHECK(out[3].error == "E_INVALID: refused own-d");
}

TEST_CASE("init() can say why it failed, and deinit() runs when the plugin is released", "[plugin_host][abi]") {
  ::setenv("VIGIL_FIXTURE_INIT_FAIL", "1", 1);
  auto refused = load_plugin(fixture("abi_contract"));
  ::unsetenv("VIGIL_FIXTURE_INIT_FAIL");
  REQUIRE_FALSE(refused.ok());
  CHECK(contains(refused.message(),
                 "failed to initialise (E_CONFIG): abi_contract: init refused because "
                 "VIGIL_FIXTURE_INIT_FAIL is set"));

  const auto file = std::filesystem::temp_directory_path() / ("vigil-deinit-" + std::to_string(::getpid()));
  std::filesystem::remove(file);
  ::setenv("VIGIL_FIXTURE_DEINIT_FILE", file.c_str(), 1);
  {
    auto p = plugin("abi_contract");
    auto inst = CollectorInstance::create(p, settings("[[collectors.abi_contract]]\n"));
    REQUIRE(inst.ok());
    CHECK_FALSE(std::filesystem::exists(file));  // not while an instance or the catalog holds it
  }
  ::unsetenv("VIGIL_FIXTURE_DEINIT_FILE");
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "deinit\n");
  std::filesystem::remove(file);
}

TEST_CASE("a plugin built for a newer ABI minor is refused before its code runs", "[plugin_host][abi]") {
  auto p = load_plugin(fixture("abi_minor_newer"));
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(), "was built for ABI 1." + std::to_string(VIGIL_ABI_MINOR + 1) +
                                  ", newer than this vigil's ABI 1." + std::to_string(VIGIL_ABI_MINOR)));
  CHECK(contains(p.message(), "upgrade vigil, or rebuild the plugin"));
}

TEST_CASE("a context stays valid after its instance is destroyed, and refuses acting calls", "[plugin_host][abi]") {
  vigil_ctx* ctx = nullptr;
  {
    auto inst = CollectorInstance::create(plugin("no_op"), settings("[[collectors.no_op]]\n"));
    REQUIRE(inst.ok());
    REQUIRE(inst.value()->start().ok());
    ctx = inst.value()->ctx();
  }
  // What a plugin thread that outlived stop() would do: an error, never freed memory.
  const vigil_host_v1* host = host_table();
  vigil_sample s{};
  s.struct_size = sizeof s;
  s.name = {"late", 4};
  CHECK(host->emit(ctx, &s) == double(VIGIL_E_INVALID));
  CHECK(host->cache_del(ctx, {"k", 1}) == double(VIGIL_E_INVALID));
  CHECK(host->should_stop(ctx) == 1);
}

namespace {
struct SerialScenario {
  static constexpr uint32_t flags = VIGIL_SCENARIO_SERIAL;
  explicit SerialScenario(vigil::sdk::Context&) {}
  void build_http(vigil::sdk::Context&, uint64_t, vigil::sdk::HttpRequestBuilder&) {}
};
struct PlainScenario {
  explicit PlainScenario(vigil::sdk::Context&) {}
  void build_http(vigil::sdk::Context&, uint64_t, vigil::sdk::HttpRequestBuilder&) {}
};
}  // namespace

TEST_CASE("plugin.hpp passes a scenario class's flags into its vtable", "[plugin_host][abi]") {
  CHECK(vigil::sdk::detail::ScenarioAdapter<SerialScenario>::vtable()->flags == VIGIL_SCENARIO_SERIAL);
  CHECK(vigil::sdk::detail::ScenarioAdapter<PlainScenario>::vtable()->flags == 0);
}
