// AlertStateFile: the `for` progress of pending and firing alerts, kept in one JSON file under
// the state directory so that a restart does not reset it. This replaces Prometheus' use of
// ALERTS_FOR_STATE in its TSDB; restore_active_at() applies Prometheus' restoration rule.
//
// Thread-safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "metrics/series_store.h"
#include "rules/alerting_rule.h"

namespace vigil::rules {

struct SavedAlert {
  metrics::LabelSet labels;  // includes alertname
  int64_t active_at_ms = 0;
  int64_t last_seen_ms = 0;  // the last evaluation that saw the alert pending or firing
};

// Prometheus' Group.RestoreForState for one alert: nullopt when the alert is not restored (the
// rule's `for` is below the grace period, or the alert was last seen longer than the outage
// tolerance ago); otherwise the active time to use from now on. Downtime does not count towards
// `for`, and an alert that had not yet fired fires no sooner than now + grace.
std::optional<int64_t> restore_active_at(int64_t for_ms, const SavedAlert& saved, int64_t now_ms, int64_t grace_ms,
                                         int64_t outage_tolerance_ms);

class AlertStateFile {
 public:
  // Reads `path` if it exists; a missing file is an empty state, an unreadable one is reported
  // by load_problem() and treated as empty.
  explicit AlertStateFile(std::string path);

  const std::string& path() const { return path_; }
  const std::string& load_problem() const { return load_problem_; }

  // The alerts saved for `group` when the file was read.
  std::vector<SavedAlert> saved(const std::string& group) const;
  // Replaces `group`'s entries with its pending and firing alerts as of t_ms and rewrites the
  // file (write to a temporary file, then rename). Skips the write when nothing is active now
  // and nothing was before.
  Status update(const std::string& group, const std::vector<Alert>& alerts, int64_t t_ms);
  // Forgets groups that no longer exist (after a reload).
  Status retain(const std::vector<std::string>& groups);

 private:
  Status write_locked();

  std::string path_;
  std::string load_problem_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<SavedAlert>> groups_;  // guarded by mu_
  std::map<std::string, std::vector<SavedAlert>> loaded_;  // as read at construction
};

}  // namespace vigil::rules
