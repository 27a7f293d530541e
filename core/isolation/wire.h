// The framed protocol between the agent and an isolated plugin's host process
// (vigil-plugin-host), over one end each of a socketpair (SOCK_STREAM; reads and writes use
// recv/send, so the descriptor must be a socket).
//
// A frame is an 8-byte header (payload length u32, frame type u16, reserved u16 = 0) and the
// payload. Both ends run on one machine, so numbers are in native byte order. The payload is
// written with Encoder and read with Decoder: fixed-width integers and doubles, and strings as
// a u32 length plus bytes.
//
// The peer is not trusted: it may crash mid-frame, send garbage or stop answering. Every read
// is bounded (a frame longer than the reader's limit is refused before anything is
// allocated), every wait has a deadline, a decoder never reads past its input, and a write
// to a peer that is gone fails with an error instead of raising SIGPIPE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil::isolation {

inline constexpr size_t kFrameHeaderSize = 8;

struct Frame {
  uint16_t type = 0;
  std::string payload;
};

struct ReadOutcome {
  enum class Kind {
    frame,      // `frame` holds the next frame
    closed,     // the peer closed its end between frames
    timeout,    // the deadline passed before a whole frame arrived
    malformed,  // the peer broke the protocol (a frame past the limit, a reserved field set,
                // end of stream inside a frame): stop talking to it
    io_error    // the socket failed
  };
  Kind kind = Kind::frame;
  Frame frame;
  std::string error;  // what went wrong, for every kind but frame
};

// Reads one frame of at most `max_payload` bytes, waiting until `deadline_mono_ns` (on the
// CLOCK_MONOTONIC scale of plugin_host::monotonic_now_ns; INT64_MAX: no deadline).
ReadOutcome read_frame(int fd, size_t max_payload, int64_t deadline_mono_ns);

// Writes one frame whole, waiting until the deadline for the peer to take it. "" on success,
// else what failed (the peer went away, the deadline passed).
std::string write_frame(int fd, uint16_t type, std::string_view payload, int64_t deadline_mono_ns);

// Builds a payload.
class Encoder {
 public:
  void u8(uint8_t v) { put(&v, sizeof v); }
  void u16(uint16_t v) { put(&v, sizeof v); }
  void u32(uint32_t v) { put(&v, sizeof v); }
  void u64(uint64_t v) { put(&v, sizeof v); }
  void i64(int64_t v) { put(&v, sizeof v); }
  void f64(double v) { put(&v, sizeof v); }
  // A u32 length, then the bytes. REQUIRES: s.size() < 2^32.
  void str(std::string_view s);

  void reserve(size_t n) { out_.reserve(n); }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void put(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

// Reads a payload. Every read checks what is left; the first one that does not fit fails
// the decoder for good (failed()), and every later read fails too, so a caller may read a
// whole message and check once.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool u8(uint8_t& v) { return get(&v, sizeof v); }
  bool u16(uint16_t& v) { return get(&v, sizeof v); }
  bool u32(uint32_t& v) { return get(&v, sizeof v); }
  bool u64(uint64_t& v) { return get(&v, sizeof v); }
  bool i64(int64_t& v) { return get(&v, sizeof v); }
  bool f64(double& v) { return get(&v, sizeof v); }
  bool str(std::string& v);
  // A count of items that each take at least `min_item_size` bytes: refused when the rest of
  // the input could not hold that many, so a lying count never makes the reader allocate.
  bool count(size_t& n, size_t min_item_size);

  size_t remaining() const { return failed_ ? 0 : in_.size() - pos_; }
  bool failed() const { return failed_; }
  // Every byte was read and nothing failed.
  bool finished() const { return !failed_ && pos_ == in_.size(); }

 private:
  bool get(void* p, size_t n) {  // inline: called for every field of every sample
    if (failed_ || in_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace vigil::isolation
