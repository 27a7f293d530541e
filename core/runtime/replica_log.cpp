#include "runtime/replica_log.h"

#include "alerting/alert.h"

namespace vigil::runtime {

std::string notification_content(const std::string& idempotency_key) {
  const auto dash = idempotency_key.rfind('-');
  return dash == std::string::npos ? idempotency_key : idempotency_key.substr(0, dash);
}

ReplicaLog::ReplicaLog(std::shared_ptr<cache::Backend> store, std::string replica_id, std::chrono::milliseconds lease)
    : store_(std::move(store)), replica_id_(std::move(replica_id)), lease_(lease) {}

std::string ReplicaLog::base(const Key& k) const {
  // Group keys can be long: the store sees a hash of where the notification goes.
  return "vigil.replicas:" + alerting::fingerprint_hex(alerting::fingerprint(alerting::LabelSet{
                                 {"group", k.group_key}, {"notifier", k.notifier}, {"receiver", k.receiver}}));
}

ReplicaLog::Claim ReplicaLog::claim(const Key& k) {
  const std::string b = base(k), content = notification_content(k.idempotency_key);
  auto sent_by = [&](Claim& out) -> bool {  // true when "last" names this content
    auto last = store_->get(b + ":last");
    if (!last.ok()) {
      out = {Verdict::unavailable, "", last.message()};
      return true;
    }
    if (*last && (*last)->rfind(content + " ", 0) == 0) {
      out = {Verdict::sent_by_peer, (*last)->substr(content.size() + 1), ""};
      return true;
    }
    return false;
  };
  Claim out;
  if (sent_by(out)) return out;
  auto locked = store_->add(b + ":lock", replica_id_, lease_);
  if (!locked.ok()) return {Verdict::unavailable, "", locked.message()};
  if (!*locked) {
    auto holder = store_->get(b + ":lock");
    return {Verdict::held_by_peer, holder.ok() && *holder ? **holder : std::string("another replica"), ""};
  }
  // A peer may have finished between the first look and taking the lock.
  if (sent_by(out)) {
    (void)store_->del(b + ":lock");
    return out;
  }
  return {Verdict::send, "", ""};
}

void ReplicaLog::sent(const Key& k, std::chrono::milliseconds keep) {
  const std::string b = base(k);
  if (keep.count() <= 0) keep = std::chrono::hours(4);
  (void)store_->set(b + ":last", notification_content(k.idempotency_key) + " " + replica_id_, keep * 9 / 10);
  (void)store_->del(b + ":lock");
}

void ReplicaLog::release(const Key& k) {
  (void)store_->del(base(k) + ":lock");
}

}  // namespace vigil::runtime
