// Bounds on what a Redis peer can make a plugin allocate. hiredis (0.14, Debian 12) allocates an
// array reply's element table as soon as it reads the header: "*1111111112\r\n", thirteen bytes
// from a broken or hostile server, asks for 8.9 GB and the agent is killed for memory. Arrays
// are refused past kMaxReplyElements (SCAN pages, pipelines and INFO stay far below it); the
// reader then fails like any protocol error, the connection is dropped, and reply_error() says
// what happened instead of hiredis' "Out of memory".
//
// Every other allocation is paid for by bytes the peer must send (and the command timeout
// bounds how long it may send them).
#pragma once

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstring>
#include <string>

namespace vigil::redis_limits {

inline constexpr int kMaxReplyElements = 1 << 20;

namespace detail {

// Elements claimed by the last array this thread refused; 0 when none since it was reported.
inline thread_local long long refused_elements = 0;

inline const redisReplyObjectFunctions* hiredis_functions() {
  static const redisReplyObjectFunctions fns = [] {
    redisReplyObjectFunctions copy{};
    if (redisReader* r = redisReaderCreate()) {
      copy = *r->fn;
      redisReaderFree(r);
    }
    return copy;
  }();
  return fns.createArray ? &fns : nullptr;
}

inline void* create_bounded_array(const redisReadTask* task, int elements) {
  if (elements > kMaxReplyElements) {
    refused_elements = elements;
    return nullptr;  // the reader reports it as an error and stops
  }
  return hiredis_functions()->createArray(task, elements);
}

inline redisReplyObjectFunctions* bounded_functions() {
  static redisReplyObjectFunctions fns = [] {
    redisReplyObjectFunctions copy = *hiredis_functions();
    copy.createArray = &create_bounded_array;
    return copy;
  }();
  return &fns;
}

}  // namespace detail

// Makes `reader` refuse oversized arrays. Returns false (and leaves the reader as it was) only if
// hiredis could not allocate a probe reader; the caller treats that as out of memory.
inline bool bound(redisReader* reader) {
  if (!reader || !detail::hiredis_functions()) return false;
  reader->fn = detail::bounded_functions();
  return true;
}

// The reason a command on `c` failed: hiredis' own message, or what the peer sent when the
// failure was an array this thread refused.
inline std::string reply_error(const redisContext* c) {
  const long long refused = detail::refused_elements;
  detail::refused_elements = 0;
  if (refused > 0 && std::strcmp(c->errstr, "Out of memory") == 0)
    return "the server sent an array of " + std::to_string(refused) + " elements, more than the " +
           std::to_string(kMaxReplyElements) + " accepted (is it a Redis server?); the connection was dropped";
  return c->errstr;
}

}  // namespace vigil::redis_limits
