// What the redis backend reads out of Redis' replies beyond plain values: invalidation messages
// (RESP2 pub/sub on __redis__:invalidate) and SCAN pages. Replies come from the network, so a
// server that answers with the wrong shape is reported, never trusted: these functions check
// every type and length before reading an element.
#pragma once

#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <vector>

namespace vigil::redis_replies {

struct PushMessage {
  enum class Kind { other, pong, keys, flush };
  Kind kind = Kind::other;
  std::vector<std::string> keys;  // Kind::keys: the keys invalidated
};
// A message read while subscribed: ["pong", …], ["message", channel, [keys]] or, for FLUSHALL,
// ["message", channel, nil] (a third element of any other shape counts as a flush: everything
// cached is dropped). Anything else is Kind::other (ignored).
PushMessage push_message(const redisReply* r);

struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
// SCAN's reply [cursor, [keys…]]; nullopt when it has another shape.
std::optional<ScanPage> scan_page(const redisReply* r);

}  // namespace vigil::redis_replies
