#include "runtime/replica_log.h"

#include <catch2/catch_test_macros.hpp>
#include <map>
#include <mutex>

using vigil::Result;
using vigil::Status;
using vigil::runtime::ReplicaLog;
using namespace std::chrono_literals;

namespace {

// A shared store with TTLs on a clock the test moves.
class Store : public vigil::cache::Backend {
 public:
  Result<std::optional<std::string>> get(const std::string& key) override {
    std::lock_guard l(mu);
    if (down) return Status::error("store down");
    auto it = data.find(key);
    if (it == data.end() || (it->second.second && it->second.second <= now)) return std::optional<std::string>();
    return std::optional<std::string>(it->second.first);
  }
  Status set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override {
    std::lock_guard l(mu);
    if (down) return Status::error("store down");
    data[key] = {value, ttl.count() ? now + ttl.count() : 0};
    return {};
  }
  Status del(const std::string& key) override {
    std::lock_guard l(mu);
    data.erase(key);
    return {};
  }
  Result<bool> add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override {
    std::lock_guard l(mu);
    if (down) return Status::error("store down");
    auto it = data.find(key);
    if (it != data.end() && (!it->second.second || it->second.second > now)) return false;
    data[key] = {value, ttl.count() ? now + ttl.count() : 0};
    return true;
  }
  bool shared() const override { return true; }
  std::mutex mu;
  std::map<std::string, std::pair<std::string, int64_t>> data;
  int64_t now = 0;
  bool down = false;
};

}  // namespace

TEST_CASE("replicas: one sends, the other sees it sent", "[replicas]") {
  auto store = std::make_shared<Store>();
  ReplicaLog a(store, "a", 40s), b(store, "b", 40s);
  const ReplicaLog::Key k{"ops", "slack", "{}:{alertname=\"Down\"}", "0123456789abcdef-1"};
  const ReplicaLog::Key k_b{"ops", "slack", "{}:{alertname=\"Down\"}", "0123456789abcdef-3"};  // B's sequence differs
  CHECK(a.claim(k).verdict == ReplicaLog::Verdict::send);
  auto held = b.claim(k_b);
  CHECK(held.verdict == ReplicaLog::Verdict::held_by_peer);
  CHECK(held.peer == "a");
  a.sent(k, 1h);
  auto seen = b.claim(k_b);
  CHECK(seen.verdict == ReplicaLog::Verdict::sent_by_peer);
  CHECK(seen.peer == "a");
  // Another notifier of the same receiver is its own delivery.
  CHECK(b.claim({"ops", "email", k.group_key, k.idempotency_key}).verdict == ReplicaLog::Verdict::send);

  // The group changes (resolved, then firing again with the same alerts): new content is sent,
  // and the old content is not mistaken for what was sent last.
  const ReplicaLog::Key resolved{"ops", "slack", k.group_key, "fedcba9876543210-2"};
  CHECK(b.claim(resolved).verdict == ReplicaLog::Verdict::send);
  b.sent(resolved, 1h);
  CHECK(a.claim(k).verdict == ReplicaLog::Verdict::send);
  a.release(k);

  // "last" lives for 90 % of the repeat interval, so the repeat goes out again.
  store->now += 54min / 1ms + 1;
  CHECK(a.claim(resolved).verdict == ReplicaLog::Verdict::send);
}

TEST_CASE("replicas: a replica that dies holding the lease is taken over", "[replicas]") {
  auto store = std::make_shared<Store>();
  ReplicaLog a(store, "a", 40s), b(store, "b", 40s);
  const ReplicaLog::Key k{"ops", "webhook", "g", "00ff-1"};
  CHECK(a.claim(k).verdict == ReplicaLog::Verdict::send);  // and then a dies
  store->now += 39'000;
  CHECK(b.claim(k).verdict == ReplicaLog::Verdict::held_by_peer);
  store->now += 2'000;
  CHECK(b.claim(k).verdict == ReplicaLog::Verdict::send);
  // A failed attempt frees the lease at once.
  b.release(k);
  CHECK(a.claim(k).verdict == ReplicaLog::Verdict::send);
}

TEST_CASE("replicas: an unreachable store says so, and the caller sends", "[replicas]") {
  auto store = std::make_shared<Store>();
  ReplicaLog a(store, "a", 40s);
  store->down = true;
  auto c = a.claim({"ops", "webhook", "g", "00ff-1"});
  CHECK(c.verdict == ReplicaLog::Verdict::unavailable);
  CHECK(c.error == "store down");
  CHECK(vigil::runtime::notification_content("00ff-12") == "00ff");
}
