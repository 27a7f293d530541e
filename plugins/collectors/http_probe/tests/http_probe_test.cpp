#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include "../../../../tests/support/require_tool.hpp"
#include <thread>
#include <vigil/testing/fake_host.hpp>

using vigil::testing::FakeHost;

namespace {

// A one-response-per-connection HTTP server on 127.0.0.1 that records the last request.
class TinyServer {
 public:
  TinyServer(std::string status_line, std::string body, int delay_ms = 0)
      : status_(std::move(status_line)), body_(std::move(body)), delay_ms_(delay_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string last_request() const { return last_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      char buf[8192];
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n > 0) last_.assign(buf, static_cast<size_t>(n));
      if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      const std::string resp = "HTTP/1.1 " + status_ + "\r\nContent-Length: " + std::to_string(body_.size()) +
                               "\r\nConnection: close\r\n\r\n" + body_;
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  std::string status_, body_;
  int delay_ms_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::string last_;
  std::thread thread_;
};

double value(const FakeHost& h, const char* name, std::map<std::string, std::string> labels = {}) {
  const auto* s = h.find(name, labels);
  REQUIRE(s != nullptr);
  return s->value;
}

}  // namespace

TEST_CASE("a healthy endpoint: success, status, phases, body match, headers sent", "[http_probe]") {
  TinyServer srv("200 OK", "{\"status\":\"ok\"}");
  vigil_plugin_entry.init(nullptr);
  FakeHost host;
  host.set("url", srv.url("/health"));
  host.set("body_regex", "\"status\":\\s*\"ok\"");
  host.set("headers.X-Probe", "vigil");
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  CHECK(value(host, "probe_success") == 1);
  CHECK(value(host, "probe_http_status_code") == 200);
  CHECK(value(host, "probe_http_body_match") == 1);
  CHECK(value(host, "probe_http_content_length") == 15);
  CHECK(host.find("probe_http_duration_seconds", {{"phase", "processing"}}) != nullptr);
  CHECK(srv.last_request().find("X-Probe: vigil") != std::string::npos);
  CHECK(srv.last_request().rfind("GET /health HTTP/1.1", 0) == 0);
  host.destroy(inst);
}

TEST_CASE("failures are labelled by reason: status, body, connect, timeout", "[http_probe]") {
  vigil_plugin_entry.init(nullptr);
  {
    TinyServer srv("503 Service Unavailable", "down");
    FakeHost host;
    host.set("url", srv.url());
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "probe_success") == 0);
    CHECK(value(host, "probe_http_status_code") == 503);
    CHECK(value(host, "vigil_probe_failures_total", {{"reason", "status"}}) == 1);
    host.destroy(inst);
  }
  {
    TinyServer srv("200 OK", "degraded");
    FakeHost host;
    host.set("url", srv.url());
    host.set("body_regex", "^ok$");
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "probe_http_body_match") == 0);
    CHECK(value(host, "vigil_probe_failures_total", {{"reason", "body"}}) == 1);
    host.destroy(inst);
  }
  {
    int port = 0;
    {
      TinyServer gone("200 OK", "");
      port = std::stoi(gone.url().substr(17));
    }
    FakeHost host;
    host.set("url", "http://127.0.0.1:" + std::to_string(port) + "/");
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "vigil_probe_failures_total", {{"reason", "connect"}}) == 1);
    host.destroy(inst);
  }
  {
    TinyServer slow("200 OK", "late", 1500);
    FakeHost host;
    host.set("url", slow.url());
    host.set_duration("timeout", std::chrono::milliseconds(200));
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "probe_success") == 0);
    CHECK(value(host, "vigil_probe_failures_total", {{"reason", "timeout"}}) == 1);
    CHECK(value(host, "probe_duration_seconds") < 1.0);
    host.destroy(inst);
  }
}

TEST_CASE("bad settings are config errors", "[http_probe]") {
  FakeHost a;
  a.set("url", "ftp://x");
  CHECK(a.create_collector(vigil_plugin_entry) == nullptr);
  CHECK(a.last_error().find("http:// or https://") != std::string::npos);
  FakeHost b;
  b.set("url", "http://127.0.0.1/");
  b.set("expect_status[0]", "2x");
  CHECK(b.create_collector(vigil_plugin_entry) == nullptr);
  FakeHost c;
  c.set("url", "http://127.0.0.1/");
  c.set("body_regex", "([");
  CHECK(c.create_collector(vigil_plugin_entry) == nullptr);
  CHECK(c.last_error().find("not a valid RE2 regular expression") != std::string::npos);
  // A pattern or a body of any size is matched without recursion (std::regex overflowed the
  // stack on a 64 KiB pattern); RE2 refuses a pattern past its memory budget with a reason.
  FakeHost d;
  d.set("url", "http://127.0.0.1/");
  d.set("body_regex", std::string(64 * 1024, 'x'));
  auto* inst = d.create_collector(vigil_plugin_entry);
  CHECK((inst != nullptr || d.last_error().find("body_regex") != std::string::npos));
  if (inst) d.destroy(inst);
}

namespace {

// openssl s_server with a fresh self-signed certificate valid for `days`, on 127.0.0.1.
class TlsServer {
 public:
  explicit TlsServer(int days) {
    dir_ = "/tmp/vigil-tls-" + std::to_string(getpid());
    const std::string gen = "mkdir -p " + dir_ + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir_ +
                            "/k.pem -out " + dir_ + "/c.pem -days " + std::to_string(days) +
                            " -subj /CN=127.0.0.1 >/dev/null 2>&1";
    if (std::system(gen.c_str()) != 0) return;
    // An ephemeral port, released just before s_server takes it.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::close(fd);
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string accept = "127.0.0.1:" + std::to_string(port_);
      const std::string cert = dir_ + "/c.pem", key = dir_ + "/k.pem";
      ::freopen("/dev/null", "w", stdout);
      ::freopen("/dev/null", "w", stderr);
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept.c_str(), "-cert", cert.c_str(),
               "-key", key.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // wait until it listens
      const int c = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in b = a;
      b.sin_port = htons(static_cast<uint16_t>(port_));
      const bool up = ::connect(c, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0;
      ::close(c);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::system(("rm -rf " + dir_).c_str());
  }
  bool ok() const { return pid_ > 0; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("https: certificate expiry is reported; an untrusted certificate fails with reason tls", "[http_probe]") {
  VIGIL_REQUIRE_TOOL(std::system("command -v openssl >/dev/null 2>&1") == 0, "openssl");
  vigil_plugin_entry.init(nullptr);
  TlsServer tls(30);
  REQUIRE(tls.ok());
  {
    FakeHost host;
    host.set("url", tls.url());
    host.set("tls_skip_verify", true);
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "probe_success") == 1);
    const double expiry = value(host, "probe_ssl_earliest_cert_expiry");
    const double in_30_days = static_cast<double>(std::time(nullptr)) + 30 * 86400.0;
    CHECK(expiry > in_30_days - 86400);
    CHECK(expiry < in_30_days + 86400);
    CHECK(value(host, "probe_http_duration_seconds", {{"phase", "tls"}}) > 0);
    host.destroy(inst);
  }
  {
    FakeHost host;
    host.set("url", tls.url());
    auto* inst = host.create_collector(vigil_plugin_entry);
    REQUIRE(host.collect(inst) == VIGIL_OK);
    CHECK(value(host, "probe_success") == 0);
    CHECK(value(host, "vigil_probe_failures_total", {{"reason", "tls"}}) == 1);
    host.destroy(inst);
  }
}
