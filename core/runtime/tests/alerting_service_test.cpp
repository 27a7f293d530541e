#include "runtime/alerting_service.h"

#include <signal.h>
#include <sys/resource.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <random>

#include "alerting/config.h"
#include "config/toml_loader.h"
#include "metrics/sample_store.h"
#include "plugin_host/notifier_instance.h"

using namespace std::chrono_literals;

namespace {

// Caps the size of every file this process writes (as a nearly full disk would), until destroyed.
class FileSizeCap {
 public:
  FileSizeCap() {
    getrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, SIG_IGN);  // as the agent does: a write past the cap fails instead of killing
  }
  ~FileSizeCap() { setrlimit(RLIMIT_FSIZE, &saved_); }
  void cap(bool on) {
    rlimit r = saved_;
    if (on) r.rlim_cur = 1;
    setrlimit(RLIMIT_FSIZE, &r);
  }

 private:
  rlimit saved_{};
};

std::string temp_dir() {
  std::random_device rd;
  auto d = std::filesystem::temp_directory_path() / ("vigil-alerting-service-" + std::to_string(rd()));
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

TEST_CASE("alerting: readiness does not flap while writes fail now and then (a nearly full disk)",
          "[alerting][durability]") {
  const std::string dir = temp_dir();
  auto loaded = vigil::config::load_config_text("[alerting]\n", "t.toml");
  REQUIRE(loaded.ok());
  auto parsed = vigil::alerting::parse_alerting_config(loaded.settings.alerting, {});
  REQUIRE(parsed.problems.empty());
  vigil::runtime::AlertingOptions options;
  options.config = std::move(parsed.config);
  options.db_path = dir + "/alerting.db";
  vigil::metrics::SampleStore samples;
  auto svc = vigil::runtime::AlertingService::create(std::move(options), {}, samples);
  REQUIRE(svc.ok());
  auto& service = *svc.value();
  CHECK(service.db_error().empty());

  auto change = [&](int i) {
    vigil::alerting::Silence s;
    auto m = vigil::alerting::parse_matchers("alertname=\"Flap" + std::to_string(i) + "\"");
    REQUIRE(m.ok());
    s.matchers = m.value();
    s.starts_at = vigil::alerting::Clock::now();
    s.ends_at = s.starts_at + 1h;
    s.created_by = "test";
    s.comment = "a change that writes";
    auto id = service.put_silence(std::move(s), "test");
    INFO((id.ok() ? std::string() : id.message()));
    CHECK(id.ok());  // kept in memory whether or not it could be written
  };
  FileSizeCap disk;
  size_t unready = 0, samples_taken = 0;
  for (int i = 0; i < 40; ++i) {
    disk.cap(i % 2 == 0);  // every other write fails
    change(i);
    disk.cap(false);
    const std::string problem = service.db_error();
    ++samples_taken;
    if (!problem.empty()) ++unready;
    if (i == 0) CHECK(problem.find("alerting.db") != std::string::npos);  // the failure itself
    if (i == 1) CHECK(problem.find("a write to the alerting database failed") != std::string::npos);
  }
  // The writes that succeeded in between did not make it ready: 40 of 40 samples say 503.
  CHECK(unready == samples_taken);
  CHECK(service.db_error().find("ready again after 30 s without a failed write") != std::string::npos);
  svc.value().reset();
  std::filesystem::remove_all(dir);
}
