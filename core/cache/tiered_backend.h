// TieredBackend: an in-process L1 (the memory plugin) in front of a shared L2 (Redis), kept
// coherent with what other replicas write through the L2's change reports (vigil_cache_v1.watch).
//  - Reads try L1, then L2; an L2 hit is copied into L1 for at most l1_ttl.
//  - Writes go to L2 and drop the key from L1 (the next read copies the new value), so an L1
//    never holds a value that a later write of any replica replaced in L2.
//  - A copy is kept only if no change to its key was reported while it was read from L2 (the
//    placeholder rule of Redis' client-side caching guide): a change report that overtakes the
//    GET reply can not leave a stale copy behind.
//  - Until the L2 says changes are reported (LINKED), and whenever the link is lost (UNKNOWN),
//    L1 is flushed and bypassed: reads go to L2.
//
// Thread-safe. The change listener runs on the L2's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cache/cache.h"

namespace vigil::cache {

struct TieredStats {
  uint64_t l1_hits = 0, l2_hits = 0, misses = 0, changes_received = 0, flushes = 0, copies_dropped = 0;
  bool linked = false;
};

class TieredBackend : public Backend {
 public:
  TieredBackend(std::shared_ptr<Backend> l1, std::shared_ptr<Backend> l2, std::chrono::milliseconds l1_ttl);

  // Registers with the L2 for change reports; an error when the L2 can not report changes.
  Status start_watching();

  Result<std::optional<std::string>> get(const std::string& key) override;
  Status set(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override;
  Status del(const std::string& key) override;
  Result<bool> add(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) override;
  Status del_prefix(const std::string& prefix) override;
  Status scan(const std::string& prefix, const ScanVisitor& visit) override;
  Status ping() override { return l2_->ping(); }
  bool shared() const override { return l2_->shared(); }

  TieredStats stats() const;
  // What the L2 reports; public for tests that drive it directly.
  void on_change(Change change, std::string_view key);

 private:
  void forget(const std::string& key);  // drops the L1 copy and any read in flight for it

  std::shared_ptr<Backend> l1_, l2_;
  std::chrono::milliseconds l1_ttl_;
  mutable std::mutex mu_;  // orders copies into L1 against change reports; guards the rest
  std::atomic<bool> linked_{false};
  std::atomic<uint64_t> l1_hits_{0};
  uint64_t next_token_ = 0;
  std::unordered_map<std::string, uint64_t> reading_;  // key -> token of the latest L2 read
  TieredStats stats_;
};

}  // namespace vigil::cache
