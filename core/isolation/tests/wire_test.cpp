#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <cstring>
#include <limits>
#include <random>
#include <thread>

#include "isolation/sample_codec.h"
#include "isolation/wire.h"

using namespace vigil::isolation;
using vigil::metrics::Sample;
using vigil::metrics::SampleType;

namespace {

constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A connected pair of stream sockets, closed on destruction.
struct Pair {
  int fd[2] = {-1, -1};
  Pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0); }
  ~Pair() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void raw(const void* p, size_t n) { REQUIRE(::write(fd[1], p, n) == static_cast<ssize_t>(n)); }
};

std::string header(uint32_t length, uint16_t type, uint16_t reserved = 0) {
  std::string h(kFrameHeaderSize, '\0');
  std::memcpy(h.data(), &length, 4);
  std::memcpy(h.data() + 4, &type, 2);
  std::memcpy(h.data() + 6, &reserved, 2);
  return h;
}

std::vector<Sample> some_samples(size_t n) {
  std::vector<Sample> out;
  for (size_t i = 0; i < n; ++i) {
    Sample s;
    s.type = i % 4 == 3 ? SampleType::histogram : static_cast<SampleType>(i % 3);
    s.name = "metric_" + std::to_string(i % 7);
    s.help = i % 2 ? "help text \xE2\x9C\x93" : "";
    s.labels = {{"instance", "host-" + std::to_string(i)}, {"zone", std::string(i % 5, 'z')}};
    s.value = static_cast<double>(i) * 0.5;
    s.unix_ms = static_cast<int64_t>(i) * 1000;
    if (s.type == SampleType::histogram) {
      s.buckets = {{0.1, 1}, {1.0, 3}, {10.0, i}};
      s.sum = 42.5;
      s.count = i + 7;
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool same(const Sample& a, const Sample& b) {
  return a.type == b.type && a.name == b.name && a.help == b.help && a.labels == b.labels && a.value == b.value &&
         a.unix_ms == b.unix_ms && a.buckets == b.buckets && a.sum == b.sum && a.count == b.count;
}

}  // namespace

TEST_CASE("frames cross a socket pair whole and in order", "[isolation]") {
  Pair p;
  CHECK(write_frame(p.fd[1], 7, "hello", kNoDeadline).empty());
  CHECK(write_frame(p.fd[1], 9, "", kNoDeadline).empty());
  const std::string big(1 << 20, 'x');  // larger than the socket buffer: written as it is read
  std::thread writer([&] { CHECK(write_frame(p.fd[1], 11, big, kNoDeadline).empty()); });
  auto a = read_frame(p.fd[0], 1 << 21, kNoDeadline);
  auto b = read_frame(p.fd[0], 1 << 21, kNoDeadline);
  auto c = read_frame(p.fd[0], 1 << 21, kNoDeadline);
  writer.join();
  REQUIRE(a.kind == ReadOutcome::Kind::frame);
  CHECK((a.frame.type == 7 && a.frame.payload == "hello"));
  REQUIRE(b.kind == ReadOutcome::Kind::frame);
  CHECK((b.frame.type == 9 && b.frame.payload.empty()));
  REQUIRE(c.kind == ReadOutcome::Kind::frame);
  CHECK((c.frame.type == 11 && c.frame.payload == big));
}

TEST_CASE("a lying or broken peer is refused, never trusted", "[isolation][hostile]") {
  SECTION("a length past the limit is refused before anything is allocated") {
    Pair p;
    p.raw(header(0xFFFFFFFFu, 1).data(), kFrameHeaderSize);
    auto r = read_frame(p.fd[0], 64 << 20, kNoDeadline);
    CHECK(r.kind == ReadOutcome::Kind::malformed);
    CHECK(r.error == "a frame of 4294967295 bytes, more than the limit of 67108864");
  }
  SECTION("a set reserved field is not the protocol (garbage on the socket)") {
    Pair p;
    const std::string junk = "Segmentation fault (core dumped)\n";
    p.raw(junk.data(), junk.size());
    CHECK(read_frame(p.fd[0], 64 << 20, kNoDeadline).kind == ReadOutcome::Kind::malformed);
  }
  SECTION("the peer dies inside a header or a payload, or between frames") {
    Pair inside_header;
    inside_header.raw("\x05\x00", 2);
    inside_header.close_end(1);
    CHECK(read_frame(inside_header.fd[0], 1024, kNoDeadline).kind == ReadOutcome::Kind::malformed);

    Pair inside_payload;
    const std::string h = header(100, 1) + "only part";
    inside_payload.raw(h.data(), h.size());
    inside_payload.close_end(1);
    auto r = read_frame(inside_payload.fd[0], 1024, kNoDeadline);
    CHECK(r.kind == ReadOutcome::Kind::malformed);
    CHECK(r.frame.payload.empty());

    Pair between;
    REQUIRE(write_frame(between.fd[1], 3, "last", kNoDeadline).empty());
    between.close_end(1);
    CHECK(read_frame(between.fd[0], 1024, kNoDeadline).kind == ReadOutcome::Kind::frame);
    CHECK(read_frame(between.fd[0], 1024, kNoDeadline).kind == ReadOutcome::Kind::closed);
  }
  SECTION("a silent peer, or one that stops mid-frame, ends the wait at the deadline") {
    Pair p;
    const int64_t t0 = mono_ns();
    CHECK(read_frame(p.fd[0], 1024, t0 + 50'000'000).kind == ReadOutcome::Kind::timeout);
    const std::string h = header(100, 1) + "some";
    p.raw(h.data(), h.size());
    auto r = read_frame(p.fd[0], 1024, mono_ns() + 50'000'000);
    CHECK(r.kind == ReadOutcome::Kind::timeout);
    CHECK(r.error == "a frame from the plugin host did not arrive whole before the deadline");
    CHECK(mono_ns() - t0 >= 100'000'000);  // waited out both deadlines, returned after them
  }
  SECTION("writing to a peer that is gone is an error, not SIGPIPE") {
    Pair p;
    const auto old = ::signal(SIGPIPE, SIG_DFL);  // SIGPIPE would end this test process
    p.close_end(0);
    const std::string error = write_frame(p.fd[1], 1, "anyone there?", kNoDeadline);
    ::signal(SIGPIPE, old);
    CHECK(error.find("writing to the plugin host failed") == 0);
  }
  SECTION("a peer that stops reading makes a write end at its deadline") {
    Pair p;
    const std::string big(8 << 20, 'x');
    CHECK(write_frame(p.fd[1], 1, big, mono_ns() + 50'000'000) ==
          "the plugin host did not take a frame before the deadline");
  }
}

TEST_CASE("a decoder never reads past its input and stays failed", "[isolation][hostile]") {
  Encoder e;
  e.u32(5);
  e.str("abc");
  Decoder d(e.bytes());
  uint32_t v = 0;
  std::string s;
  uint64_t too_far = 0;
  CHECK(d.u32(v));
  CHECK(d.str(s));
  CHECK((v == 5 && s == "abc" && d.finished()));
  CHECK_FALSE(d.u64(too_far));
  CHECK(d.failed());
  CHECK_FALSE(d.finished());
  uint8_t small = 0;
  CHECK_FALSE(d.u8(small));  // sticky: even a read that would fit

  Encoder lying;
  lying.u32(0xFFFFFFF0u);  // a string "of 4 GiB" with 3 bytes behind it
  lying.u8(1);
  lying.u16(2);
  Decoder ld(lying.bytes());
  CHECK_FALSE(ld.str(s));

  Encoder many;
  many.u32(1'000'000'000);  // a count no input of this size can hold
  Decoder md(many.bytes());
  size_t n = 0;
  CHECK_FALSE(md.count(n, 1));
}

TEST_CASE("samples round-trip exactly, 10,000 in one frame", "[isolation]") {
  const auto samples = some_samples(10'000);
  Encoder e;
  encode_samples(e, samples);
  Pair p;
  std::thread writer([&] { CHECK(write_frame(p.fd[1], 2, e.bytes(), kNoDeadline).empty()); });
  auto r = read_frame(p.fd[0], 64 << 20, kNoDeadline);
  writer.join();
  REQUIRE(r.kind == ReadOutcome::Kind::frame);
  Decoder d(r.frame.payload);
  std::vector<Sample> back;
  REQUIRE(decode_samples(d, back, 100'000));
  CHECK(d.finished());
  REQUIRE(back.size() == samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    if (!same(back[i], samples[i])) FAIL("sample " << i << " differs");
}

TEST_CASE("sample lists that are cut, flipped, too long or of unknown types are refused", "[isolation][hostile]") {
  const auto samples = some_samples(12);
  Encoder e;
  encode_samples(e, samples);
  const std::string whole = e.bytes();
  std::vector<Sample> out;
  for (size_t cut = 0; cut < whole.size(); ++cut) {  // every truncation
    Decoder d(std::string_view(whole).substr(0, cut));
    if (decode_samples(d, out, 100)) FAIL("a list cut at " << cut << " of " << whole.size() << " bytes decoded");
  }
  Decoder over(whole);
  CHECK_FALSE(decode_samples(over, out, 11));  // more samples than the caller takes

  std::string unknown = whole;
  unknown[4] = 9;  // the first sample's type
  Decoder ud(unknown);
  CHECK_FALSE(decode_samples(ud, out, 100));

  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {  // random corruption: an answer, never a crash
    std::string bad = whole;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    Decoder d(bad);
    if (decode_samples(d, out, 100)) CHECK(out.size() <= 100);
  }
}
