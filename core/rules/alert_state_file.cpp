#include "rules/alert_state_file.h"

#include <nlohmann/json.hpp>

#include "config/bounded_read.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace vigil::rules {
namespace {

constexpr int kFormatVersion = 1;

nlohmann::json to_json(const std::map<std::string, std::vector<SavedAlert>>& groups) {
  nlohmann::json doc;
  doc["version"] = kFormatVersion;
  auto& out = doc["groups"] = nlohmann::json::object();
  for (const auto& [name, alerts] : groups) {
    auto& list = out[name] = nlohmann::json::array();
    for (const auto& a : alerts) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : a.labels) labels[k] = v;
      list.push_back({{"labels", labels}, {"active_at_ms", a.active_at_ms}, {"last_seen_ms", a.last_seen_ms}});
    }
  }
  return doc;
}

}  // namespace

std::optional<int64_t> restore_active_at(int64_t for_ms, const SavedAlert& saved, int64_t now_ms, int64_t grace_ms,
                                         int64_t outage_tolerance_ms) {
  if (for_ms < grace_ms) return std::nullopt;  // it simply waits `for` again
  const int64_t down_at = saved.last_seen_ms;
  if (now_ms - down_at > outage_tolerance_ms) return std::nullopt;
  const int64_t remaining = for_ms - (down_at - saved.active_at_ms);
  if (remaining <= 0) return saved.active_at_ms;                // was firing: fires again if still true
  if (remaining < grace_ms) return now_ms + grace_ms - for_ms;  // fires once the grace period is over
  return saved.active_at_ms + (now_ms - down_at);               // downtime does not count
}

AlertStateFile::AlertStateFile(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return;  // first start
  try {
    auto text = config::read_bounded_file(path_, 256ull << 20, "alert state file");
    if (!text.ok()) throw std::runtime_error(text.message());
    const auto doc = nlohmann::json::parse(text.value());
    if (doc.value("version", 0) != kFormatVersion)
      throw std::runtime_error("unknown format version " + doc.value("version", nlohmann::json()).dump());
    for (const auto& [name, list] : doc.at("groups").items()) {
      auto& alerts = loaded_[name];
      for (const auto& j : list) {
        SavedAlert a;
        for (const auto& [k, v] : j.at("labels").items()) a.labels.emplace_back(k, v.get<std::string>());
        a.active_at_ms = j.at("active_at_ms").get<int64_t>();
        a.last_seen_ms = j.at("last_seen_ms").get<int64_t>();
        alerts.push_back(std::move(a));
      }
    }
  } catch (const std::exception& e) {
    loaded_.clear();
    load_problem_ = path_ + ": alert state not restored, the file is not valid (" + e.what() +
                    "); it is rewritten at the next evaluation";
  }
  groups_ = loaded_;
}

std::vector<SavedAlert> AlertStateFile::saved(const std::string& group) const {
  std::lock_guard lock(mu_);
  auto it = loaded_.find(group);
  return it == loaded_.end() ? std::vector<SavedAlert>{} : it->second;
}

Status AlertStateFile::update(const std::string& group, const std::vector<Alert>& alerts, int64_t t_ms) {
  std::vector<SavedAlert> now;
  for (const auto& a : alerts) {
    if (a.state == AlertState::inactive) continue;
    now.push_back({a.labels, a.active_at_ms, t_ms});
  }
  std::lock_guard lock(mu_);
  auto it = groups_.find(group);
  if (now.empty() && (it == groups_.end() || it->second.empty())) return {};
  groups_[group] = std::move(now);
  return write_locked();
}

Status AlertStateFile::retain(const std::vector<std::string>& groups) {
  std::lock_guard lock(mu_);
  bool changed = false;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (std::find(groups.begin(), groups.end(), it->first) == groups.end()) {
      it = groups_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed ? write_locked() : Status{};
}

Status AlertStateFile::write_locked() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path_);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec)
    return Status::error("cannot create the state directory " + target.parent_path().string() + ": " + ec.message() +
                         " (set [agent] state_dir to a writable directory)");
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_json(groups_).dump() << '\n';
    out.flush();
    if (!out)
      return Status::error("cannot write " + tmp + ": " + std::strerror(errno) +
                           " (set [agent] state_dir to a writable directory)");
  }
  fs::rename(tmp, target, ec);
  if (ec) return Status::error("cannot replace " + path_ + ": " + ec.message());
  return {};
}

}  // namespace vigil::rules
