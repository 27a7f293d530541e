// The load engine's HTTP/1.1 reply parser, fed the way a socket would: in pieces whose sizes come
// from the input's first bytes, then the end of the connection. Consumed bytes may never exceed
// what was fed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "load/http_reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool head = data[0] & 1;
  const size_t piece = 1 + data[1] % 64;
  data += 2;
  size -= 2;
  vigil::load::HttpReplyParser p;
  p.reset(head);
  size_t at = 0;
  while (at < size && p.state() == vigil::load::HttpReplyParser::State::need_more) {
    const size_t n = std::min(piece, size - at);
    const size_t used = p.feed(reinterpret_cast<const char*>(data + at), n);
    if (used > n) std::abort();
    at += used;
    if (used == 0 && p.state() == vigil::load::HttpReplyParser::State::need_more) std::abort();  // no progress
  }
  if (p.state() == vigil::load::HttpReplyParser::State::need_more) p.finish_eof();
  (void)p.body();
  (void)p.headers();
  return 0;
}
