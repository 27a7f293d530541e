#include "load/http_reply_parser.h"

#include <catch2/catch_test_macros.hpp>
#include <string>

using vigil::load::HttpReplyParser;
using State = HttpReplyParser::State;

namespace {

// Feeds `wire` in pieces of `step` bytes; returns the bytes used.
size_t feed_in_steps(HttpReplyParser& p, const std::string& wire, size_t step) {
  size_t used = 0;
  while (used < wire.size() && p.state() == State::need_more) {
    const size_t n = std::min(step, wire.size() - used);
    const size_t u = p.feed(wire.data() + used, n);
    used += u;
    if (u < n) break;
  }
  return used;
}

std::string header(const HttpReplyParser& p, std::string_view name) {
  for (const auto& [k, v] : p.headers())
    if (k == name) return std::string(v);
  return "<none>";
}

}  // namespace

TEST_CASE("a Content-Length reply parses whole and byte by byte alike") {
  const std::string wire =
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Id:  7 \r\n\r\n"
      "{\"id\": 42}\n";
  for (size_t step : {wire.size(), size_t{1}, size_t{3}, size_t{17}}) {
    INFO("step " << step);
    HttpReplyParser p;
    p.reset(false);
    CHECK(feed_in_steps(p, wire, step) == wire.size());
    REQUIRE(p.state() == State::done);
    CHECK(p.status() == 201);
    CHECK(p.body() == "{\"id\": 42}\n");
    CHECK(header(p, "Content-Type") == "application/json");
    CHECK(header(p, "X-Id") == "7");
    CHECK(p.keep_alive());
    CHECK(p.wire_bytes() == wire.size());
  }
}

TEST_CASE("a chunked reply with extensions and trailers is decoded") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n7\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {wire.size(), size_t{1}, size_t{4}}) {
    INFO("step " << step);
    HttpReplyParser p;
    p.reset(false);
    CHECK(feed_in_steps(p, wire, step) == wire.size());
    REQUIRE(p.state() == State::done);
    CHECK(p.body() == "hello, world0123456789");
  }
}

TEST_CASE("a body delimited by the close ends at EOF and ends the connection") {
  HttpReplyParser p;
  p.reset(false);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
  CHECK(p.feed(wire.data(), wire.size()) == wire.size());
  CHECK(p.state() == State::need_more);
  p.finish_eof();
  REQUIRE(p.state() == State::done);
  CHECK(p.body() == "until the end");
  CHECK_FALSE(p.keep_alive());
}

TEST_CASE("HEAD, 204 and 304 replies have no body whatever their headers say") {
  for (const auto& [wire, head] : {std::pair<std::string, bool>{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true},
                                   {"HTTP/1.1 204 No Content\r\n\r\n", false},
                                   {"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", false}}) {
    HttpReplyParser p;
    p.reset(head);
    CHECK(p.feed(wire.data(), wire.size()) == wire.size());
    CHECK(p.state() == State::done);
    CHECK(p.body().empty());
  }
}

TEST_CASE("interim 1xx replies are skipped") {
  HttpReplyParser p;
  p.reset(false);
  const std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  CHECK(feed_in_steps(p, wire, 5) == wire.size());
  REQUIRE(p.state() == State::done);
  CHECK(p.status() == 200);
  CHECK(p.body() == "ok");
  CHECK(header(p, "Content-Length") == "2");
}

TEST_CASE("keep-alive follows the version and the Connection header") {
  auto keep = [](const std::string& head) {
    HttpReplyParser p;
    p.reset(false);
    const std::string wire = head + "Content-Length: 0\r\n\r\n";
    p.feed(wire.data(), wire.size());
    REQUIRE(p.state() == State::done);
    return p.keep_alive();
  };
  CHECK(keep("HTTP/1.1 200 OK\r\n"));
  CHECK_FALSE(keep("HTTP/1.1 200 OK\r\nConnection: close\r\n"));
  CHECK_FALSE(keep("HTTP/1.0 200 OK\r\n"));
  CHECK(keep("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"));
}

TEST_CASE("pipelined replies: the parser stops at the end of the first") {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
  const std::string second = "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb";
  const std::string wire = first + second;
  HttpReplyParser p;
  p.reset(false);
  const size_t used = p.feed(wire.data(), wire.size());
  CHECK(used == first.size());
  CHECK(p.body() == "a");
  p.reset(false);
  CHECK(p.feed(wire.data() + used, wire.size() - used) == second.size());
  CHECK(p.status() == 404);
  CHECK(p.body() == "b");
}

TEST_CASE("garbage, bad framing and an early close are errors with a reason") {
  auto error_of = [](const std::string& wire, bool eof) {
    HttpReplyParser p;
    p.reset(false);
    p.feed(wire.data(), wire.size());
    if (eof) p.finish_eof();
    CHECK(p.state() == State::error);
    CHECK_FALSE(p.keep_alive());
    return p.error();
  };
  CHECK(error_of("SSH-2.0-OpenSSH_9.2\r\n\r\n", false).find("not an HTTP/1.x reply") == 0);
  CHECK(error_of("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", false).find("malformed header line") == 0);
  CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", false).find("is not a number") != std::string::npos);
  CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false) ==
        "two different Content-Length headers");
  CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false).find("bad chunk size") == 0);
  CHECK(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", false) ==
        "a chunk is longer than its size");
  CHECK(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true) ==
        "the connection closed before the reply was complete");
  CHECK(error_of("", true) == "the connection closed before any reply");
  CHECK(error_of("HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'x'), false).find("larger than 64 KiB") !=
        std::string::npos);
}

TEST_CASE("a reset parser keeps nothing of the previous reply") {
  HttpReplyParser p;
  p.reset(false);
  const std::string a = "HTTP/1.1 500 Oops\r\nX-A: 1\r\nContent-Length: 3\r\n\r\nbad";
  p.feed(a.data(), a.size());
  REQUIRE(p.state() == State::done);
  p.reset(false);
  const std::string b = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  p.feed(b.data(), b.size());
  CHECK(p.status() == 200);
  CHECK(p.headers().size() == 1);
  CHECK(p.body() == "ok");
  CHECK(p.wire_bytes() == b.size());
}
