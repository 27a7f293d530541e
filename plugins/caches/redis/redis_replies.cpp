#include "redis_replies.h"

namespace vigil::redis_replies {
namespace {

bool is_text(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && (r->str || r->len == 0);
}

std::string text(const redisReply* r) {
  return r->len ? std::string(r->str, r->len) : std::string();
}

}  // namespace

PushMessage push_message(const redisReply* r) {
  PushMessage out;
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !r->element || !is_text(r->element[0])) return out;
  const std::string kind = text(r->element[0]);
  if (kind == "pong") {
    out.kind = PushMessage::Kind::pong;
  } else if (kind == "message" && r->elements == 3 && r->element[2]) {
    const redisReply* keys = r->element[2];
    if (keys->type == REDIS_REPLY_ARRAY) {
      out.kind = PushMessage::Kind::keys;
      for (size_t i = 0; i < keys->elements; ++i)
        if (is_text(keys->element[i])) out.keys.push_back(text(keys->element[i]));
    } else {  // FLUSHDB / FLUSHALL name no keys (nil); any other shape is treated the same, the safe way
      out.kind = PushMessage::Kind::flush;
    }
  }
  return out;
}

std::optional<ScanPage> scan_page(const redisReply* r) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !r->element || !is_text(r->element[0]) ||
      !r->element[1] || r->element[1]->type != REDIS_REPLY_ARRAY)
    return std::nullopt;
  ScanPage out;
  out.cursor = text(r->element[0]);
  const redisReply* keys = r->element[1];
  for (size_t i = 0; i < keys->elements; ++i) {
    if (!is_text(keys->element[i])) return std::nullopt;
    out.keys.push_back(text(keys->element[i]));
  }
  return out;
}

}  // namespace vigil::redis_replies
