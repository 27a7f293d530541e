// IsolatedCollector against the real vigil-plugin-host and fixture plugins that crash, abort,
// spin, exit and write garbage: each ends its host, never this process, and the instance comes
// back after its backoff.
#include "isolation/isolated_collector.h"

#include <signal.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "config/toml_loader.h"
#include "isolation/protocol.h"
#include "plugin_host/collector_instance.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/plugin_loader.h"

using namespace vigil;
using isolation::IsolatedCollector;
using Outcome = plugin_host::CollectOutcome;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string fixture(const std::string& name) {
  return std::string(VIGIL_FIXTURE_DIR) + "/" + name + ".so";
}

config::InstanceSettings instance(const std::string& toml) {
  auto r = config::load_config_text(toml, "t.toml");
  INFO(toml);
  REQUIRE(r.ok());
  REQUIRE(r.settings.collectors.size() == 1);
  return r.settings.collectors[0];
}

isolation::IsolationOptions quick_restarts() {
  isolation::IsolationOptions o;
  o.host_path = VIGIL_PLUGIN_HOST;
  o.first_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(400);
  return o;
}

std::unique_ptr<IsolatedCollector> isolated(const std::string& plugin, const std::string& keys,
                                            isolation::IsolationOptions o = quick_restarts()) {
  auto c = IsolatedCollector::create(fixture(plugin), instance("[[collectors." + plugin + "]]\n" + keys), o);
  INFO((c.ok() ? std::string() : c.message()));
  REQUIRE(c.ok());
  REQUIRE(c.value()->start().ok());
  return std::move(c.value());
}

int64_t in(double seconds) {
  return plugin_host::monotonic_now_ns() + static_cast<int64_t>(seconds * 1e9);
}

bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

}  // namespace

TEST_CASE("a plugin's table crosses to the host whole: every lookup answers as in the agent", "[isolation]") {
  const auto s = instance(
      "[[collectors.x]]\ninterval = \"5s\"\nname = \"a\"\nport = 9\nratio = 0.5\non = true\n"
      "when = 1979-05-27T07:32:00Z\nlist = [1, 2, [3, \"x\"]]\n"
      "[[collectors.x.targets]]\nurl = \"http://a\"\nheaders = { k = \"v\" }\n"
      "[[collectors.x.targets]]\nurl = \"http://b\"\n"
      "[collectors.x.tls]\nca_file = \"ca.pem\"\n");
  isolation::CreateRequest req;
  req.plugin_path = "/p.so";
  req.settings = s;
  isolation::CreateRequest back;
  REQUIRE(isolation::decode(isolation::encode(req), back));
  const auto& a = s.table;
  const auto& b = back.settings.table;
  for (const char* path : {"",
                           "name",
                           "port",
                           "ratio",
                           "on",
                           "when",
                           "list",
                           "list[2]",
                           "list[2][1]",
                           "targets",
                           "targets[0]",
                           "targets[0].url",
                           "targets[0].headers.k",
                           "targets[1].url",
                           "tls",
                           "tls.ca_file",
                           "interval",
                           "missing",
                           "targets[5].url",
                           "name.sub"}) {
    INFO(path);
    const auto x = a.find(path), y = b.find(path);
    CHECK(static_cast<int>(x.type) == static_cast<int>(y.type));
    CHECK(x.text == y.text);
    CHECK(x.integer == y.integer);
    CHECK(x.floating == y.floating);
    CHECK(x.boolean == y.boolean);
    CHECK(x.where == y.where);
    if (x.type == config::PluginTable::Type::array) CHECK(x.count == y.count);
  }
  for (const char* path : {"targets[0]", "targets[0].headers", "tls"})
    for (size_t i = 0; i < 3; ++i) {
      INFO(path << " " << i);
      CHECK(a.key_at(path, i) == b.key_at(path, i));
    }
  const auto ka = a.keys(), kb = b.keys();
  REQUIRE(ka.size() == kb.size());
  for (size_t i = 0; i < ka.size(); ++i) {
    CHECK(ka[i].path == kb[i].path);
    CHECK(ka[i].where == kb[i].where);
  }
  CHECK(a.fingerprint() == b.fingerprint());
  CHECK(back.settings.identity() == s.identity());
  // Every cut of the message is refused, never read past.
  const std::string whole = isolation::encode(req);
  for (size_t n = 0; n < whole.size(); n += 7) {
    isolation::CreateRequest cut;
    CHECK_FALSE(isolation::decode(std::string_view(whole).substr(0, n), cut));
  }
}

TEST_CASE("an isolated collector emits what it emits in the agent, and stops with its host", "[isolation]") {
  auto c = isolated("no_op", "value = 42.5\n");
  const pid_t pid = c->host_pid();
  CHECK(alive(pid));
  auto out = c->collect(in(5));
  CHECK(out.result == Outcome::Result::ok);
  REQUIRE(out.samples.size() == 1);
  CHECK(out.samples[0].name == "fixture_value");
  CHECK(out.samples[0].value == 42.5);

  auto big = isolated("misbehaves", "mode = \"emit\"\nsamples = 10000\n");
  auto many = big->collect(in(5));
  CHECK(many.result == Outcome::Result::ok);
  CHECK(many.samples.size() == 10000);

  c->stop();
  CHECK(c->host_pid() == -1);
  CHECK_FALSE(alive(pid));
}

TEST_CASE("the bundled collectors run isolated unchanged: the same series as inside the agent", "[isolation]") {
  // Targets on port 1, where nothing listens: every probe fails the same way in both places.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"system", ""},
      {"process", "self = true\n"},
      {"tcp_probe", "address = \"127.0.0.1:1\"\n"},
      {"http_probe", "url = \"http://127.0.0.1:1/\"\n"},
      {"prometheus_scrape", "url = \"http://127.0.0.1:1/metrics\"\n"},
      {"redis_info", "url = \"redis://127.0.0.1:1/0\"\n"},
  };
  auto shape = [](const Outcome& o) {
    std::set<std::string> out;  // names and label names: values (times, sizes) differ run to run
    for (const auto& s : o.samples) {
      std::string k = s.name + "{";
      for (const auto& [label, value] : s.labels) k += label + ",";
      out.insert(k + "}");
    }
    return out;
  };
  for (const auto& [name, keys] : cases) {
    DYNAMIC_SECTION(name) {
      const std::string so = std::string(VIGIL_BUNDLED_PLUGIN_DIR) + "/" + name + ".so";
      const auto settings = instance("[[collectors." + name + "]]\n" + keys);
      auto plugin = plugin_host::load_plugin(so);
      REQUIRE(plugin.ok());
      auto inside = plugin_host::CollectorInstance::create(plugin.value(), settings);
      REQUIRE(inside.ok());
      REQUIRE(inside.value()->start().ok());
      auto isolated = IsolatedCollector::create(so, settings, quick_restarts());
      INFO((isolated.ok() ? std::string() : isolated.message()));
      REQUIRE(isolated.ok());
      REQUIRE(isolated.value()->start().ok());
      const auto a = inside.value()->collect(in(5));
      const auto b = isolated.value()->collect(in(5));
      INFO(a.error << " | " << b.error);
      CHECK(a.result == b.result);
      CHECK_FALSE(a.samples.empty());
      CHECK(shape(a) == shape(b));
      CHECK(isolated.value()->crashes() == 0);
    }
  }
}

TEST_CASE("a plugin's refusal of its settings reads as it does in the agent", "[isolation]") {
  isolation::IsolationOptions o = quick_restarts();
  auto a = IsolatedCollector::create(fixture("no_op"), instance("[[collectors.no_op]]\nvalu = 1\n"), o);
  REQUIRE_FALSE(a.ok());
  CHECK(contains(a.message(), "t.toml:2:1: unknown key \"valu\" in [collectors.no_op] (did you mean \"value\"?)"));
  auto b = IsolatedCollector::create(fixture("create_fails"), instance("[[collectors.create_fails]]\n"), o);
  REQUIRE_FALSE(b.ok());
  auto c = IsolatedCollector::create(fixture("nope"), instance("[[collectors.nope]]\n"), o);
  REQUIRE_FALSE(c.ok());
  CHECK(contains(c.message(), "nope.so"));
  o.host_path = "";
  auto d = IsolatedCollector::create(fixture("no_op"), instance("[[collectors.no_op]]\n"), o);
  REQUIRE_FALSE(d.ok());
  CHECK(contains(d.message(), "vigil-plugin-host"));
}

TEST_CASE("a crash, an abort, an exit or garbage ends the host, not the agent; it is back after its backoff",
          "[isolation][hostile]") {
  struct Case {
    const char* mode;
    const char* says;
  };
  for (const Case& k : {Case{"segfault", "(SIGSEGV)"}, Case{"abort", "(SIGABRT)"}, Case{"exit", "exited with status 7"},
                        Case{"garbage", "not the plugin host's protocol"}}) {
    DYNAMIC_SECTION(k.mode) {
      auto c = isolated("misbehaves", std::string("mode = \"") + k.mode + "\"\non_run = 2\n");
      const pid_t first = c->host_pid();
      auto ok = c->collect(in(5));
      CHECK(ok.result == Outcome::Result::ok);
      auto bad = c->collect(in(5));
      CHECK(bad.result == Outcome::Result::error);
      INFO(bad.error);
      CHECK(contains(bad.error, "the plugin's host process ended during collect()"));
      CHECK(contains(bad.error, k.says));
      CHECK(c->crashes() == 1);
      CHECK(c->host_pid() == -1);
      CHECK_FALSE(alive(first));
      auto waiting = c->collect(in(5));  // inside the backoff: no host is started
      CHECK(waiting.result == Outcome::Result::error);
      CHECK(contains(waiting.error, "restart in"));
      CHECK(c->restarts() == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      auto back = c->collect(in(5));  // a new host, a new instance: its first run is fine again
      INFO(back.error);
      CHECK(back.result == Outcome::Result::ok);
      CHECK(c->restarts() == 1);
      CHECK(alive(c->host_pid()));
      CHECK(c->host_pid() != first);
    }
  }
}

TEST_CASE("a spinning collect() is killed at its deadline plus the grace; the agent waits no longer",
          "[isolation][hostile]") {
  auto c = isolated("misbehaves", "mode = \"spin\"\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto out = c->collect(in(0.3));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(out.result == Outcome::Result::timeout);
  INFO(out.error);
  CHECK(contains(out.error, "did not return before its deadline, so the host was killed"));
  CHECK(contains(out.error, "(SIGKILL)"));
  CHECK(took >= std::chrono::milliseconds(1200));
  CHECK(took < std::chrono::seconds(5));
  CHECK(c->crashes() == 1);
}

TEST_CASE("repeated crashes open the breaker: no restart until it closes", "[isolation][hostile]") {
  auto o = quick_restarts();
  o.first_backoff = std::chrono::milliseconds(10);
  o.max_backoff = std::chrono::milliseconds(10);
  o.breaker_crashes = 3;
  o.breaker_open = std::chrono::minutes(10);
  auto c = isolated("misbehaves", "mode = \"segfault\"\n", o);
  std::string last;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    last = c->collect(in(5)).error;
  }
  CHECK(c->crashes() == 3);
  CHECK(contains(last, "breaker open"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto out = c->collect(in(5));
  CHECK(contains(out.error, "is down"));
  CHECK(c->restarts() == 2);  // after the first and second crash, not after the third
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// (The sanitizers reserve terabytes of address space, so RLIMIT_AS cannot apply under them.)
TEST_CASE("memory_limit bounds the host: allocation fails inside the plugin, the agent is untouched",
          "[isolation][hostile]") {
  auto o = quick_restarts();
  o.memory_limit = 256u << 20;
  auto c = isolated("misbehaves", "mode = \"alloc\"\n", o);
  bool refused = false;
  for (int i = 0; i < 8 && !refused; ++i) {
    auto out = c->collect(in(5));
    refused = out.result == Outcome::Result::error;
    if (refused) CHECK(contains(out.error, "out of memory"));
  }
  CHECK(refused);
  CHECK(c->crashes() == 0);
}
#endif

TEST_CASE("the host refuses to run by hand", "[isolation]") {
  const std::string cmd = std::string(VIGIL_PLUGIN_HOST) + " 1 2>/dev/null";
  const int rc = std::system(cmd.c_str());
  CHECK(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
}
