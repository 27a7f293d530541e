#include "rules/alert_state_file.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>

using namespace vigil::rules;

namespace {
constexpr int64_t kM = 60 * 1000;
constexpr int64_t kGrace = 10 * kM;
constexpr int64_t kTolerance = 60 * kM;

SavedAlert saved(int64_t active_at, int64_t last_seen) {
  return {{{"alertname", "A"}}, active_at, last_seen};
}

std::string fresh_dir(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}
}  // namespace

TEST_CASE("restoring for-progress follows Prometheus' RestoreForState", "[rules]") {
  // for = 30m; pending for 5m before going down at 100m; back at 110m: 25m remain, more than
  // the grace period, so the 10m downtime is added to the active time.
  CHECK(restore_active_at(30 * kM, saved(95 * kM, 100 * kM), 110 * kM, kGrace, kTolerance) == 105 * kM);
  // 25m spent of 30m: 5m remain, less than the grace: fire once the grace period is over.
  CHECK(restore_active_at(30 * kM, saved(75 * kM, 100 * kM), 110 * kM, kGrace, kTolerance) ==
        110 * kM + kGrace - 30 * kM);
  // Already firing when it went down: the original active time stays.
  CHECK(restore_active_at(30 * kM, saved(50 * kM, 100 * kM), 110 * kM, kGrace, kTolerance) == 50 * kM);
  // `for` below the grace period: not restored, the alert waits `for` again.
  CHECK_FALSE(restore_active_at(5 * kM, saved(95 * kM, 100 * kM), 110 * kM, kGrace, kTolerance).has_value());
  // Down for longer than the outage tolerance: not restored.
  CHECK_FALSE(restore_active_at(30 * kM, saved(95 * kM, 100 * kM), 161 * kM, kGrace, kTolerance).has_value());
  CHECK(restore_active_at(30 * kM, saved(95 * kM, 100 * kM), 160 * kM, kGrace, kTolerance).has_value());
}

TEST_CASE("the alert state file keeps pending and firing alerts across instances", "[rules]") {
  const auto dir = fresh_dir("vigil-alert-state-test");
  const auto path = dir + "/sub/rules-state.json";
  Alert pending;
  pending.labels = {{"alertname", "A"}, {"instance", "x"}};
  pending.state = AlertState::pending;
  pending.active_at_ms = 1000;
  Alert resolved = pending;
  resolved.labels = {{"alertname", "A"}, {"instance", "y"}};
  resolved.state = AlertState::inactive;
  {
    AlertStateFile f(path);
    CHECK(f.load_problem().empty());
    REQUIRE(f.update("g1", {pending, resolved}, 5000).ok());
    REQUIRE(f.update("g2", {pending}, 6000).ok());
    REQUIRE(f.retain({"g1"}).ok());
  }
  AlertStateFile again(path);
  CHECK(again.load_problem().empty());
  const auto g1 = again.saved("g1");
  REQUIRE(g1.size() == 1);
  CHECK(g1[0].labels == pending.labels);
  CHECK(g1[0].active_at_ms == 1000);
  CHECK(g1[0].last_seen_ms == 5000);
  CHECK(again.saved("g2").empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a damaged alert state file is reported and replaced", "[rules]") {
  const auto dir = fresh_dir("vigil-alert-state-bad");
  std::filesystem::create_directories(dir);
  const auto path = dir + "/rules-state.json";
  std::ofstream(path) << "{\"version\": 1, \"groups\": {\"g\": [{\"labels\": 3}]}}";
  AlertStateFile f(path);
  CHECK(f.load_problem().find("alert state not restored, the file is not valid") != std::string::npos);
  CHECK(f.saved("g").empty());
  Alert a;
  a.labels = {{"alertname", "A"}};
  REQUIRE(f.update("g", {a}, 10).ok());
  CHECK(AlertStateFile(path).saved("g").size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unwritable state directory is an error that says what to change", "[rules]") {
  AlertStateFile f("/proc/vigil-no-such-dir/rules-state.json");
  Alert a;
  a.labels = {{"alertname", "A"}};
  const auto st = f.update("g", {a}, 10);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("state_dir") != std::string::npos);
}
