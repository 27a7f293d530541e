// HttpReplyParser: HTTP/1.x responses parsed from bytes as they arrive, for the load engine's
// hot path (Beast's parser allocates a node per header and a parser per reply; this one keeps
// its buffers from reply to reply). No I/O: the engine feeds what it reads.
//
// Bodies: Content-Length, chunked (extensions and trailers skipped), delimited by the close
// when neither is given, and none for HEAD, 1xx, 204 and 304. Interim 1xx replies (100
// Continue …) are skipped. Limits: 64 KiB of status line and headers, 64 MiB of body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::load {

class HttpReplyParser {
 public:
  enum class State { need_more, done, error };

  // Starts a new reply; `head_request`: the request was HEAD, so the reply has no body.
  void reset(bool head_request);
  // Takes bytes [data, data + n) and returns how many it used: all of them until the reply is
  // complete; the rest (a pipelined reply, or garbage) is left to the caller.
  size_t feed(const char* data, size_t n);
  // The peer closed the connection: completes a close-delimited body; anything else unfinished
  // becomes an error ("the connection closed before the reply was complete").
  void finish_eof();

  State state() const { return state_; }
  const std::string& error() const { return error_; }  // when state() is error
  int status() const { return status_; }
  // Whether the connection may carry another request after this reply.
  bool keep_alive() const { return keep_alive_; }
  // Headers (views into this parser, valid until the next reset) and the body.
  const std::vector<std::pair<std::string_view, std::string_view>>& headers() const { return headers_; }
  std::string_view body() const { return body_; }
  // Bytes of the reply on the wire, interim replies included.
  uint64_t wire_bytes() const { return wire_bytes_; }

  static constexpr size_t kMaxHead = 64u << 10;
  static constexpr size_t kMaxBody = 64u << 20;

 private:
  enum class Phase { head, body_length, chunk_size, chunk_data, chunk_data_end, trailers, body_until_eof, finished };
  size_t feed_head(const char* data, size_t n);
  void parse_head();  // on the complete head_: status, headers, body mode; failures set state_
  size_t feed_chunked(const char* data, size_t n);
  void fail(std::string why);
  void complete();

  bool head_request_ = false;
  State state_ = State::need_more;
  Phase phase_ = Phase::head;
  std::string error_;
  int status_ = 0;
  bool keep_alive_ = true;
  std::string head_;  // status line and headers, kept for the header views
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  std::string body_;
  uint64_t remaining_ = 0;         // body_length and chunk_data: bytes still to come
  std::string line_;               // chunk size and trailer lines, across feeds
  std::vector<size_t> line_ends_;  // offsets of the head's LFs, the empty line's last
  uint64_t wire_bytes_ = 0;
};

}  // namespace vigil::load
