// ReplicaLog: the notification log that vigil replicas pointed at one shared cache (Redis) keep
// together, so that at most one of them sends each notification and another takes over when the
// one that claimed it dies. Both replicas evaluate the same rules and produce the same
// notifications; before delivering one, a replica claims it here.
//
// Per receiver, notifier and group the store holds two keys:
//   last  the content of the last notification delivered (its idempotency key without the
//         sequence number: a hash of group, receiver, firing and resolved alerts) and who sent
//         it; kept for 90 % of the route's repeat_interval, so the next repeat goes out again;
//   lock  a lease (store-if-absent with a TTL) held by the replica delivering right now; it
//         outlives one delivery attempt, and lapses on its own when that replica dies.
// claim(): "last" equal to this content -> sent by a peer (skip it); lock held by another ->
// wait and ask again; else this replica holds the lock and sends, then sent() records "last"
// and frees the lock, or release() frees it after a failed attempt so another may try.
// When the store can not be reached the verdict is `unavailable`: the caller sends anyway
// (a duplicate is better than silence, as in Alertmanager's clustering).
//
// Thread-safe (the store is).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cache/cache.h"

namespace vigil::runtime {

class ReplicaLog {
 public:
  enum class Verdict { send, sent_by_peer, held_by_peer, unavailable };
  struct Claim {
    Verdict verdict = Verdict::send;
    std::string peer;   // the replica that sent it or holds the lock
    std::string error;  // unavailable: why
  };
  struct Key {
    std::string receiver, notifier, group_key, idempotency_key;
  };

  ReplicaLog(std::shared_ptr<cache::Backend> store, std::string replica_id, std::chrono::milliseconds lease);

  Claim claim(const Key& k);
  // Delivered: "last" kept for `keep` (0: four hours), the lock freed.
  void sent(const Key& k, std::chrono::milliseconds keep);
  // Not delivered: the lock freed so another replica (or this one, later) may try.
  void release(const Key& k);
  const std::string& replica_id() const { return replica_id_; }

 private:
  std::string base(const Key& k) const;

  std::shared_ptr<cache::Backend> store_;
  std::string replica_id_;
  std::chrono::milliseconds lease_;
};

// The content part of an idempotency key ("<hash>-<sequence>" -> "<hash>").
std::string notification_content(const std::string& idempotency_key);

}  // namespace vigil::runtime
