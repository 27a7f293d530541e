#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <thread>
#include <vigil/testing/fake_host.hpp>

using vigil::testing::FakeHost;

namespace {

// Serves one fixed response per connection on 127.0.0.1.
class MetricsServer {
 public:
  MetricsServer(std::string status, std::string body) : status_(std::move(status)), body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        char buf[4096];
        ::recv(c, buf, sizeof buf, 0);
        const std::string r =
            "HTTP/1.1 " + status_ +
            "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " + std::to_string(body_.size()) +
            "\r\nConnection: close\r\n\r\n" + body_;
        ::send(c, r.data(), r.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~MetricsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

 private:
  std::string status_, body_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("an app's metrics are re-exposed with their types", "[scrape]") {
  vigil_plugin_entry.init(nullptr);
  MetricsServer app("200 OK",
                    "# TYPE chat_messages_total counter\nchat_messages_total{room=\"a\"} 12\n"
                    "# TYPE tool_call_seconds histogram\ntool_call_seconds_bucket{le=\"0.5\"} 4\n"
                    "tool_call_seconds_bucket{le=\"+Inf\"} 5\ntool_call_seconds_sum 2\ntool_call_seconds_count 5\n");
  FakeHost host;
  host.set("url", app.url());
  host.set("target_label", "chat");
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  const auto* c = host.find("chat_messages_total", {{"room", "a"}});
  REQUIRE(c);
  CHECK(c->type == VIGIL_METRIC_COUNTER);
  CHECK(c->value == 12);
  const auto* h = host.find("tool_call_seconds");
  REQUIRE(h);
  CHECK(h->type == VIGIL_METRIC_HISTOGRAM);
  CHECK(h->count == 5);
  CHECK(host.find("vigil_scrape_up", {{"target", "chat"}})->value == 1);
  CHECK(host.find("vigil_scrape_samples")->value == 2);
  host.destroy(inst);
}

TEST_CASE("a failing target reports up 0, a reason and a retryable error", "[scrape]") {
  vigil_plugin_entry.init(nullptr);
  MetricsServer app("500 Internal Server Error", "oops");
  FakeHost host;
  host.set("url", app.url());
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  CHECK(host.collect(inst) == VIGIL_E_UNAVAILABLE);
  CHECK(host.last_error().find("HTTP status 500") != std::string::npos);
  CHECK(host.find("vigil_scrape_up")->value == 0);
  CHECK(host.find("vigil_scrape_failures_total", {{"reason", "status"}})->value == 1);
  host.destroy(inst);

  MetricsServer big("200 OK", std::string(5000, '#'));
  FakeHost limited;
  limited.set("url", big.url());
  limited.set_size("max_body_size", 1000);
  auto* li = limited.create_collector(vigil_plugin_entry);
  CHECK(limited.collect(li) == VIGIL_E_UNAVAILABLE);
  CHECK(limited.find("vigil_scrape_failures_total", {{"reason", "too_large"}})->value == 1);
  limited.destroy(li);
}
