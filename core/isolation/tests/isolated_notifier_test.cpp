// IsolatedNotifier against the real vigil-plugin-host: a notifier that crashes mid-delivery
// ends its host, never this process; the batch comes back "retry", so nothing is lost, and the
// notification reaches the channel once the host is back.
#include "isolation/isolated_notifier.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alerting/notification_json.h"
#include "config/toml_loader.h"
#include "isolation/protocol.h"
#include "plugin_host/instance_context.h"
#include "plugin_host/plugin_loader.h"

using namespace vigil;
using isolation::IsolatedNotifier;
using Kind = plugin_host::DeliveryResult::Kind;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

config::InstanceSettings notifier_settings(const std::string& toml) {
  auto r = config::load_config_text(toml, "t.toml");
  INFO(toml);
  INFO((r.problems.empty() ? std::string() : r.problems.front()));
  REQUIRE(r.ok());
  REQUIRE(r.settings.notifiers.size() == 1);
  return r.settings.notifiers[0];
}

isolation::IsolationOptions quick_restarts() {
  isolation::IsolationOptions o;
  o.host_path = VIGIL_PLUGIN_HOST;
  o.first_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(400);
  return o;
}

int64_t in(double seconds) {
  return plugin_host::monotonic_now_ns() + static_cast<int64_t>(seconds * 1e9);
}

plugin_host::RenderedNotification notification(int n) {
  plugin_host::RenderedNotification r;
  auto& x = r.notification;
  x.receiver = "team";
  x.group_key = "{}:{alertname=\"Down\"}";
  x.group_labels = {{"alertname", "Down"}};
  x.reason = "first notification";
  alerting::NotifiedAlert a;
  a.alert.labels = {{"alertname", "Down"}, {"instance", "host-" + std::to_string(n)}};
  a.alert.annotations = {{"summary", "host " + std::to_string(n) + " is down"}};
  a.alert.starts_at = alerting::from_ms(1'800'000'000'000 + n);
  x.alerts.push_back(a);
  x.common_labels = a.alert.labels;
  x.sequence = static_cast<uint64_t>(n);
  x.idempotency_key = "key-" + std::to_string(n);
  x.created_at = alerting::from_ms(1'800'000'000'000);
  r.title = "[FIRING:1] Down";
  r.body = "host " + std::to_string(n) + " is down";
  r.json_body = alerting::webhook_v4_body(x);
  return r;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("vigil-isolated-notifier-" + std::to_string(::getpid()));
  TempDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("notifications cross to the host whole", "[isolation]") {
  isolation::DeliverRequest req;
  req.deadline_mono_ns = 123;
  req.batch = {notification(1), notification(2)};
  isolation::DeliverRequest back;
  const std::string whole = isolation::encode(req);
  REQUIRE(isolation::decode(whole, back));
  REQUIRE(back.batch.size() == 2);
  CHECK(back.deadline_mono_ns == 123);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(alerting::notification_to_json(back.batch[i].notification) ==
          alerting::notification_to_json(req.batch[i].notification));
    CHECK(back.batch[i].title == req.batch[i].title);
    CHECK(back.batch[i].body == req.batch[i].body);
    CHECK(back.batch[i].json_body == req.batch[i].json_body);
  }
  for (size_t n = 0; n < whole.size(); n += 7) {
    isolation::DeliverRequest cut;
    CHECK_FALSE(isolation::decode(std::string_view(whole).substr(0, n), cut));
  }

  isolation::Delivered d;
  d.results.resize(2);
  d.results[1].kind = Kind::retry;
  d.results[1].error = "E_UNAVAILABLE: 503";
  d.results[1].retry_after = std::chrono::milliseconds(1500);
  isolation::Delivered dback;
  REQUIRE(isolation::decode(isolation::encode(d), dback, 2, 10));
  CHECK(dback.results[1].kind == Kind::retry);
  CHECK(dback.results[1].retry_after.count() == 1500);
  // More results than notifications sent is a lie.
  CHECK_FALSE(isolation::decode(isolation::encode(d), dback, 1, 10));
}

TEST_CASE("an isolated notifier that crashes mid-delivery loses nothing: the batch is retried after its restart",
          "[isolation][hostile]") {
  TempDir dir;
  const std::string record = (dir.path / "delivered.txt").string();
  auto created = IsolatedNotifier::create(
      std::string(VIGIL_FIXTURE_DIR) + "/crashes_on_delivery.so",
      notifier_settings("[[notifiers.crashes_on_delivery]]\nrecord = \"" + record + "\"\nisolation = \"process\"\n"),
      quick_restarts());
  INFO((created.ok() ? std::string() : created.message()));
  REQUIRE(created.ok());
  auto& n = *created.value();
  REQUIRE(n.start().ok());
  const pid_t first_host = n.host().host_pid();

  std::vector<plugin_host::RenderedNotification> items;
  for (int i = 1; i <= 4; ++i) items.push_back(notification(i));
  for (int i = 0; i < 2; ++i) {
    const auto r = n.deliver({&items[i]}, in(5));
    REQUIRE(r.size() == 1);
    CHECK(r[0].kind == Kind::delivered);
  }
  // The third delivery crashes the host: the agent (this process) lives on, and the
  // notification comes back to be retried, naming the signal.
  const auto crashed = n.deliver({&items[2]}, in(5));
  REQUIRE(crashed.size() == 1);
  CHECK(crashed[0].kind == Kind::retry);
  CHECK(contains(crashed[0].error, "SIGSEGV"));
  CHECK(contains(crashed[0].error, "deliver"));
  CHECK(n.host().crashes() == 1);
  CHECK(n.host().host_pid() == -1);
  const auto history = n.host().crash_history();
  REQUIRE(history.size() == 1);
  CHECK(history[0].call == "deliver");
  CHECK(history[0].signal == "SIGSEGV");

  // Within the backoff the host stays down and the batch is retried again, not dropped.
  const auto down = n.deliver({&items[2], &items[3]}, in(5));
  REQUIRE(down.size() == 2);
  CHECK(down[0].kind == Kind::retry);
  CHECK(contains(down[0].error, "restart in"));

  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const auto again = n.deliver({&items[2], &items[3]}, in(5));
  REQUIRE(again.size() == 2);
  CHECK(again[0].kind == Kind::delivered);
  CHECK(again[1].kind == Kind::delivered);
  CHECK(n.host().restarts() == 1);
  CHECK(n.host().host_pid() != first_host);

  // Every notification reached the channel: none lost to the crash.
  const std::string delivered = read_all(record);
  for (int i = 1; i <= 4; ++i) CHECK(contains(delivered, "key-" + std::to_string(i) + " team\n"));
  // The plugin's own series come back from the host, labelled with the notifier's alias by the agent.
  const auto samples = n.take_samples();
  REQUIRE(samples.size() == 1);
  CHECK(samples[0].name == "fixture_deliveries");
  CHECK(samples[0].value == 2);  // the second host's count
  CHECK(samples[0].labels == metrics::LabelSet{{"notifier", "crashes_on_delivery"}, {"source", "crashes_on_delivery"}});
  n.stop();
}

TEST_CASE("the bundled log notifier delivers the same isolated as inside the agent", "[isolation]") {
  TempDir dir;
  std::vector<std::string> lines;
  for (const std::string mode : {"none", "process"}) {
    const std::string file = (dir.path / (mode + ".jsonl")).string();
    const auto settings =
        notifier_settings("[[notifiers.log]]\nfile = \"" + file + "\"\nisolation = \"" + mode + "\"\n");
    std::unique_ptr<plugin_host::Notifier> n;
    const std::string path = std::string(VIGIL_BUNDLED_PLUGIN_DIR) + "/log.so";
    if (mode == "process") {
      auto c = IsolatedNotifier::create(path, settings, quick_restarts());
      REQUIRE(c.ok());
      n = std::move(c.value());
    } else {
      auto p = plugin_host::load_plugin(path);
      REQUIRE(p.ok());
      auto c = plugin_host::NotifierInstance::create(p.value(), settings);
      REQUIRE(c.ok());
      n = std::move(c.value());
    }
    REQUIRE(n->start().ok());
    const auto item = notification(7);
    const auto r = n->deliver({&item}, in(5));
    REQUIRE(r.size() == 1);
    CHECK(r[0].kind == Kind::delivered);
    n->stop();
    lines.push_back(read_all(file));
  }
  REQUIRE_FALSE(lines[0].empty());
  CHECK(lines[0] == lines[1]);
}

TEST_CASE("isolation is refused where it does not apply, with the reason", "[isolation]") {
  auto r = config::load_config_text("[[caches.memory]]\nisolation = \"process\"\n", "t.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.problems.front(), "t.toml:2:"));
  CHECK(contains(r.problems.front(), "collectors and notifiers"));
  auto m = config::load_config_text("[[notifiers.log]]\nmemory_limit = \"64MiB\"\n", "t.toml");
  REQUIRE_FALSE(m.ok());
  CHECK(contains(m.problems.front(), "needs isolation = \"process\""));
}
