// The HTTP engine against small scripted servers on 127.0.0.1: well-behaved, stalling on
// purpose, answering garbage, resetting, never answering, refusing.
#include "load/http_load.h"
#include "load/report.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../../tests/support/loopback.hpp"

using namespace vigil::load;
using namespace std::chrono_literals;

namespace {

enum class Mode { ok, stall, garbage, reset, silent, error500 };

// One thread per connection; reads a request (headers and Content-Length body), answers per mode.
class ScriptedServer {
 public:
  explicit ScriptedServer(Mode mode, int stall_every = 0, int stall_ms = 0)
      : mode_(mode), stall_every_(stall_every), stall_ms_(stall_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = vigil::testing::loopback_address(0);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 128);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accepter_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accepter_.join();
    std::lock_guard l(mu_);
    for (int c : conns_) ::shutdown(c, SHUT_RDWR);
    for (auto& t : threads_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int received() const { return received_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard l(mu_);
    return bodies_;
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard l(mu_);
      conns_.push_back(c);
      threads_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string in;
    char buf[4096];
    for (;;) {
      const auto head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        continue;
      }
      size_t body_len = 0;
      if (auto cl = in.find("Content-Length: "); cl != std::string::npos && cl < head_end)
        body_len = std::stoul(in.substr(cl + 16));
      while (in.size() < head_end + 4 + body_len) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) goto done;
        in.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard l(mu_);
        bodies_.push_back(in.substr(head_end + 4, body_len));
      }
      in.erase(0, head_end + 4 + body_len);
      const int nth = ++received_;
      std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      switch (mode_) {
        case Mode::ok: break;
        case Mode::stall:
          if (stall_every_ && nth % stall_every_ == 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms_));
          break;
        case Mode::garbage: reply = "SMTP ready, not HTTP\r\n\r\n"; break;
        case Mode::reset: goto done;
        case Mode::silent: std::this_thread::sleep_for(3s); goto done;
        case Mode::error500: reply = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"; break;
      }
      if (::send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
      if (mode_ == Mode::garbage) break;
    }
  done:
    ::close(c);
  }

  Mode mode_;
  int stall_every_, stall_ms_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> received_{0};
  std::thread accepter_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::vector<std::string> bodies_;
};

struct Post : RequestSource {
  std::atomic<int> checked{0};
  vigil::Status build(uint64_t seq, HttpRequestSpec& out) override {
    out.method = "POST";
    out.target = "/api/messages";
    out.body = "{\"seq\":" + std::to_string(seq) + "}";
    out.headers.emplace_back("Content-Type", "application/json");
    out.tag = "send_message";
    return {};
  }
  std::string check(uint64_t, const HttpReplyView& r) override {
    ++checked;
    return r.body == "ok" ? "" : "the reply was not \"ok\"";
  }
};

}  // namespace

TEST_CASE("closed model: keep-alive connections send back to back, every request counted", "[load]") {
  ScriptedServer server(Mode::ok);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 4;
  o.threads = 2;
  o.duration = 1000ms;
  auto r = run_http_load(o, source);
  REQUIRE(r.ok());
  const auto& run = r.value();
  CHECK(run.model == "closed");
  CHECK(run.ok > 500);
  CHECK(run.error_count() == 0);
  CHECK(run.latency.count() == run.ok);
  CHECK(run.connections_opened == 4);  // kept alive
  CHECK(run.tags.at("send_message").requests == run.requests);
  CHECK(run.bytes_sent > run.ok * 20);
  CHECK(server.received() >= static_cast<int>(run.ok));  // the warm-up of none, plus the drain
  CHECK(server.bodies()[0].find("\"seq\":") != std::string::npos);
  CHECK(run.duration_s > 0.9);
  CHECK(run.duration_s < 1.5);
}

TEST_CASE("open model: the rate is kept and a stall shows only in the corrected latency", "[load]") {
  // One connection at 100 requests a second; every 200th request stalls 500 ms. Uncorrected,
  // that is one slow request in 200 (below p99); corrected, the ~50 requests due during the
  // stall each wait for it.
  ScriptedServer server(Mode::stall, 200, 500);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 1;
  o.rate = 100;
  o.duration = 4000ms;
  auto r = run_http_load(o, source);
  REQUIRE(r.ok());
  const auto& run = r.value();
  CHECK(run.model == "open");
  // Pacing: 400 due in 4 s.
  CHECK(run.requests >= 380);
  CHECK(run.requests <= 402);
  CHECK(run.service.percentile(99) < 100'000);  // < 100 ms: the stall is hidden
  CHECK(run.latency.percentile(99) > 300'000);  // > 300 ms: the stall shows
  CHECK(run.latency.max() >= 500'000);
  CHECK(run.late > 20);
  uint64_t offered = 0;
  for (const auto& s : run.timeline) offered += s.offered;
  CHECK(offered >= 395);
  CHECK(offered <= 401);
}

TEST_CASE("closed model with stages: connections ramp up, hold and ramp down", "[load]") {
  // Each reply takes 2 ms, so throughput follows the connections (a CPU-bound server on two
  // cores would answer two connections as fast as four: Mode::ok, which never waits, made the
  // last check below a coin toss).
  ScriptedServer server(Mode::stall, 1, 2);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 0;
  o.threads = 2;
  o.stages = {{1000ms, 4}, {1000ms, 4}, {1000ms, 0}};
  auto r = run_http_load(o, source);
  REQUIRE(r.ok());
  const auto& run = r.value();
  CHECK(run.model == "closed");
  CHECK(run.stages == "1s:4 1s:4 1s:0");
  CHECK(run.connections == 4);
  CHECK(run.max_connections_open == 4);
  CHECK(run.duration_s > 2.9);
  CHECK(run.duration_s < 3.5);
  CHECK(run.error_count() == 0);
  REQUIRE(run.timeline.size() >= 3);
  CHECK(run.timeline[0].connections >= 2);  // about 3.9 at the end of the first second
  CHECK(run.timeline[1].connections == 4);
  CHECK(run.timeline[2].connections <= 1);  // about 0.1 at the end
  CHECK(run.timeline[1].completed > run.timeline[2].completed);
  CHECK(summary_text(run).find("connections through stages 1s:4 1s:4 1s:0 (up to 4)") != std::string::npos);
}

TEST_CASE("open model with stages: arrivals follow the rate ramp", "[load]") {
  ScriptedServer server(Mode::ok);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 4;
  o.rate = 0;
  o.rate_stages = true;
  o.stages = {{1000ms, 200}, {1000ms, 200}};  // 100 due in the first second, 200 in the second
  auto r = run_http_load(o, source);
  REQUIRE(r.ok());
  const auto& run = r.value();
  CHECK(run.model == "open");
  REQUIRE(run.timeline.size() >= 2);
  CHECK(run.timeline[0].offered >= 97);
  CHECK(run.timeline[0].offered <= 102);
  CHECK(run.timeline[1].offered >= 197);
  CHECK(run.timeline[1].offered <= 201);
  CHECK(run.requests + run.dropped >= 295);
  CHECK(run.offered_rate() > 145);
  CHECK(run.offered_rate() < 152);
  CHECK(summary_text(run).find("requests/s from 0 through stages 1s:200 1s:200") != std::string::npos);
}

TEST_CASE("a judge that sees the run so far can end it early", "[load]") {
  ScriptedServer server(Mode::error500);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 2;
  o.duration = 20000ms;
  std::vector<RunResult> seen;
  o.judge = [&seen](const RunResult& so_far) {
    seen.push_back(so_far);
    return so_far.error_rate() > 0.5 && so_far.requests > 50 ? std::string("too many failures") : std::string();
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_http_load(o, source);
  REQUIRE(r.ok());
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(r.value().aborted == "too many failures");
  CHECK(r.value().duration_s < 4);
  CHECK(std::find(r.value().warnings.begin(), r.value().warnings.end(), "the run ended early: too many failures") !=
        r.value().warnings.end());
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back().requests > 50);
  CHECK(seen.back().duration_s >= 0.9);

  // Without failures the judge lets the run end on time, with latency in what it saw.
  ScriptedServer good(Mode::ok);
  o.url = good.url();
  o.duration = 2500ms;
  seen.clear();
  auto ok = run_http_load(o, source);
  REQUIRE(ok.ok());
  CHECK(ok.value().aborted.empty());
  REQUIRE(seen.size() >= 2);
  CHECK(seen.back().latency.count() == seen.back().ok);
  CHECK(seen.back().ok > 100);
}

TEST_CASE("failures are counted by kind and never recorded as latency", "[load]") {
  Post source;
  LoadOptions o;
  o.connections = 2;
  o.duration = 600ms;
  o.request_timeout = 300ms;
  o.drain = 500ms;
  SECTION("5xx replies") {
    ScriptedServer server(Mode::error500);
    o.url = server.url();
    auto run = run_http_load(o, source).value();
    CHECK(run.errors.at(kErrHttp5xx) > 10);
    CHECK(run.ok == 0);
    CHECK(run.latency.count() == 0);
    CHECK(run.error_examples.at(kErrHttp5xx) == "HTTP 500 from POST /api/messages");
    CHECK(run.tags.at("send_message").errors == run.errors.at(kErrHttp5xx));
  }
  SECTION("garbage instead of HTTP") {
    ScriptedServer server(Mode::garbage);
    o.url = server.url();
    auto run = run_http_load(o, source).value();
    CHECK(run.errors.at(kErrProtocol) > 0);
    CHECK(run.ok == 0);
  }
  SECTION("connections reset") {
    ScriptedServer server(Mode::reset);
    o.url = server.url();
    auto run = run_http_load(o, source).value();
    CHECK(run.errors.at(kErrReset) > 0);
  }
  SECTION("a server that never answers is timed out, and the run still ends on time") {
    ScriptedServer server(Mode::silent);
    o.url = server.url();
    const auto t0 = std::chrono::steady_clock::now();
    auto run = run_http_load(o, source).value();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(run.errors.at(kErrTimeout) >= 2);
    CHECK(run.error_examples.at(kErrTimeout).find("no reply within 300 ms") != std::string::npos);
  }
  SECTION("a TLS handshake that never completes is a connect timeout") {
    ScriptedServer server(Mode::silent);
    o.url = "https://127.0.0.1:" + server.url().substr(server.url().rfind(':') + 1);
    o.connect_timeout = 200ms;
    const auto t0 = std::chrono::steady_clock::now();
    auto run = run_http_load(o, source).value();
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(run.errors.at(kErrConnect) > 0);
    CHECK(run.error_examples.at(kErrConnect).find("timed out") != std::string::npos);
  }
  SECTION("a setup step that gets no reply fails the run in time") {
    struct WithLogin : Post {
      vigil::Result<bool> setup_request(uint32_t step, HttpRequestSpec& out) override {
        out.method = "POST";
        out.target = "/login";
        return step == 0;
      }
    } login;
    ScriptedServer server(Mode::silent);
    o.url = server.url();
    const auto t0 = std::chrono::steady_clock::now();
    auto run = run_http_load(o, login);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    REQUIRE_FALSE(run.ok());
    CHECK(run.message().find("setup step 0 (POST /login): no reply in time") != std::string::npos);
  }
  SECTION("nothing listening") {
    o.url = "http://127.0.0.1:" + std::to_string(vigil::testing::free_port());
    auto run = run_http_load(o, source).value();
    CHECK(run.errors.at(kErrConnect) > 0);
    CHECK(run.errors.at(kErrConnect) < 500);  // backed off, not a busy loop
    CHECK(run.error_examples.at(kErrConnect).find("refused") != std::string::npos);
    REQUIRE_FALSE(run.warnings.empty());
    CHECK(run.warnings.back().find("no connection to the target could be opened") != std::string::npos);
  }
  SECTION("validation failures from the scenario's check") {
    struct Picky : Post {
      std::string check(uint64_t, const HttpReplyView&) override { return "missing field \"reply\""; }
    } picky;
    ScriptedServer server(Mode::ok);
    o.url = server.url();
    auto run = run_http_load(o, picky).value();
    CHECK(run.errors.at(kErrValidation) > 0);
    CHECK(run.error_examples.at(kErrValidation) == "missing field \"reply\"");
  }
}

TEST_CASE("bad targets are refused before the run with the reason", "[load]") {
  Post source;
  LoadOptions o;
  o.url = "https://127.0.0.1:1";
  o.tls_ca_file = "/nonexistent/ca.pem";
  CHECK(run_http_load(o, source).message().find("tls_ca_file \"/nonexistent/ca.pem\": cannot load it") !=
        std::string::npos);
  o.url = "ftp://x";
  CHECK(run_http_load(o, source).message().find("is not an http:// or https:// URL") != std::string::npos);
  CHECK(parse_http_url("https://example.test/base").value().port == "443");
  CHECK(parse_http_url("https://example.test/base").value().tls);
  o.url = "http://127.0.0.1:99999";
  CHECK(run_http_load(o, source).message().find("the port must be 1-65535") != std::string::npos);
  o.url = "http://no-such-host.invalid:80";
  CHECK(run_http_load(o, source).message().find("cannot resolve no-such-host.invalid") != std::string::npos);
  auto p = parse_http_url("http://127.0.0.1:8080/base/");
  REQUIRE(p.ok());
  CHECK(p.value().base_path == "/base");
  CHECK(p.value().port == "8080");
}

TEST_CASE("warm-up is run but not measured, and iterations bound a run", "[load]") {
  ScriptedServer server(Mode::ok);
  Post source;
  LoadOptions o;
  o.url = server.url();
  o.connections = 1;
  o.rate = 200;
  o.warmup = 500ms;
  o.duration = 500ms;
  auto run = run_http_load(o, source).value();
  CHECK(server.received() >= 180);  // about 200 sent
  CHECK(run.requests >= 90);        // about 100 measured
  CHECK(run.requests <= 101);
  CHECK(run.warmup_s == 0.5);

  LoadOptions n;
  n.url = server.url();
  n.connections = 2;
  n.iterations = 50;
  n.duration = 10s;
  const auto t0 = std::chrono::steady_clock::now();
  auto bounded = run_http_load(n, source).value();
  CHECK(bounded.requests == 50);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}
