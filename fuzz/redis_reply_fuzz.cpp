// Replies from a Redis server (or anything claiming to be one), through hiredis' reader bounded
// as the redis plugins bound it, then the cache backend's own reading of invalidation messages
// and SCAN pages.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstddef>
#include <cstdint>

#include "../plugins/common/redis_reply_limits.hpp"
#include "redis_replies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  redisReader* reader = redisReaderCreate();
  if (!reader) return 0;
  if (!vigil::redis_limits::bound(reader)) {
    redisReaderFree(reader);
    return 0;
  }
  if (redisReaderFeed(reader, reinterpret_cast<const char*>(data), size) == REDIS_OK) {
    void* reply = nullptr;
    while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply) {
      const auto* r = static_cast<const redisReply*>(reply);
      (void)vigil::redis_replies::push_message(r);
      (void)vigil::redis_replies::scan_page(r);
      freeReplyObject(reply);
      reply = nullptr;
    }
  }
  redisReaderFree(reader);
  return 0;
}
