// The HTTP server under attack, against the real binary: 600 slow-loris connections (one header
// byte every 3 s, reconnecting when cut) from one address and a flood of history queries from
// another, while Prometheus' stand-in scrapes /metrics from a third. The scrapes must stay fast.
// Its own program, run alone (RUN_SERIAL): it measures latency, which other tests would disturb.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.h"
#include "alerting/alert_db.h"

using namespace std::chrono_literals;
using namespace vigil::testing;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

// A socket connected to 127.0.0.1:port from `source` (any 127.x.y.z address is local on Linux),
// so the server sees distinct clients; -1 on failure.
int connect_from(const char* source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One request from `source`; the status code of the reply (0: none within the timeout).
int request_from(const char* source, uint16_t port, const std::string& target, std::chrono::milliseconds timeout) {
  const int fd = connect_from(source, port);
  if (fd < 0) return 0;
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return 0;
  }
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  int status = 0;
  if (std::sscanf(reply.c_str(), "HTTP/1.1 %d", &status) != 1) return 0;
  return status;
}

// Keeps `count` connections from `source` each sending one more header byte every `every`;
// a connection the server cut is opened again at the next round.
class SlowLoris {
 public:
  SlowLoris(const char* source, uint16_t port, size_t count, std::chrono::milliseconds every)
      : thread_([this, source, port, count, every] { run(source, port, count, every); }) {}
  ~SlowLoris() {
    stop_ = true;
    thread_.join();
  }
  size_t reconnects() const { return reconnects_.load(); }

 private:
  void run(const char* source, uint16_t port, size_t count, std::chrono::milliseconds every) {
    std::vector<int> fds(count, -1);
    std::vector<size_t> sent(count, 0);
    const std::string header = "GET /metrics HTTP/1.1\r\nHost: vigil\r\nX-Padding: ";
    while (!stop_) {
      for (size_t i = 0; i < count && !stop_; ++i) {
        char probe;
        if (fds[i] >= 0 && ::recv(fds[i], &probe, 1, MSG_DONTWAIT) == 0) {  // cut by the server
          ::close(fds[i]);
          fds[i] = -1;
        }
        if (fds[i] < 0) {
          fds[i] = connect_from(source, port);
          sent[i] = 0;
          ++reconnects_;
          if (fds[i] < 0) continue;
        }
        const char c = sent[i] < header.size() ? header[sent[i]] : 'a';
        if (::send(fds[i], &c, 1, MSG_NOSIGNAL) == 1) {
          ++sent[i];
        } else {
          ::close(fds[i]);
          fds[i] = -1;
        }
      }
      for (auto waited = 0ms; waited < every && !stop_; waited += 50ms) std::this_thread::sleep_for(50ms);
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }

  std::atomic<bool> stop_{false};
  std::atomic<size_t> reconnects_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("600 slow-loris connections and a history flood leave /metrics fast", "[integration][hostile]") {
  const auto dir = temp_dir();
  // 200,000 history events, so each flooding query has real work: a label filter that matches
  // nothing reads its whole budget of rows.
  {
    std::filesystem::create_directories(dir + "/state");
    auto db = vigil::alerting::AlertDb::open(dir + "/state/alerting.db");
    REQUIRE(db.ok());
    std::vector<vigil::alerting::HistoryEvent> events;
    const auto t0 = vigil::alerting::Clock::now() - 24h;
    for (int i = 0; i < 200000; ++i) {
      vigil::alerting::HistoryEvent e;
      e.at = t0 + std::chrono::milliseconds(i * 100);
      e.kind = "firing";
      e.fingerprint = "fp" + std::to_string(i % 5000);
      e.alertname = "Flood" + std::to_string(i % 7);
      e.severity = "warning";
      e.labels = {{"alertname", e.alertname}, {"instance", "host-" + std::to_string(i % 5000)}};
      e.detail = "{}";
      events.push_back(std::move(e));
      if (events.size() == 10000) {
        REQUIRE((*db)->record(events).ok());
        events.clear();
      }
    }
  }
  const auto path = dir + "/vigil.toml";
  write_file(path, "[agent]\nstate_dir = \"" + dir + "/state\"\nplugin_dirs = [\"" + build_dir() +
                       "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\n"
                       "[[collectors.no_op]]\ninterval = \"1s\"\n[alerting]\n[alerting.route]\nreceiver = \"none\"\n"
                       "[[alerting.receivers]]\nname = \"none\"\nnotifiers = []\n");
  AgentProcess agent(path);
  REQUIRE(agent.started());
  const uint16_t port = agent.port();
  REQUIRE(request_from("127.0.0.1", port, "/metrics", 5s) == 200);

  SlowLoris attack("127.0.0.2", port, 600, 3000ms);
  std::atomic<bool> flooding{true};
  std::atomic<int> history_ok{0}, history_other{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 4; ++t)
    flood.emplace_back([&] {
      while (flooding) {
        const int s = request_from("127.0.0.3", port, "/api/v1/history?filter=instance%3D%22nowhere%22", 10s);
        (s == 200 ? history_ok : history_other)++;
      }
    });
  std::this_thread::sleep_for(2s);  // the attackers hold their connections

  std::vector<double> ms;
  int failed = 0;
  for (int i = 0; i < 250; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const int s = request_from("127.0.0.1", port, "/metrics", 5s);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (s != 200) ++failed;
    std::this_thread::sleep_for(20ms);
  }
  const auto during = http_get(port, "/metrics").body;
  flooding = false;
  for (auto& t : flood) t.join();

  std::sort(ms.begin(), ms.end());
  const double p50 = ms[ms.size() / 2], p99 = ms[ms.size() * 99 / 100], worst = ms.back();
  std::printf(
      "/metrics under attack: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d history queries answered 200, %d not; "
      "%zu slow-loris (re)connects\n",
      p50, p99, worst, history_ok.load(), history_other.load(), attack.reconnects());
  CHECK(failed == 0);
  CHECK(p99 < 50.0);
  // The attacks were real: the slow-loris client hit its per-client cap, and history queries ran.
  CHECK(contains(during, "vigil_http_rejected_connections_total{limit=\"max_connections_per_client\"}"));
  CHECK_FALSE(contains(during, "vigil_http_rejected_connections_total{limit=\"max_connections_per_client\"} 0\n"));
  CHECK(history_ok.load() >= 4);  // each flooding client got answers (about 280 in a release build)
  CHECK(history_other.load() == 0);
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(10s) == 0);
}
