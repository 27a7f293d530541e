// The HTTP server's routing, lanes and limits, over real sockets on 127.0.0.1.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "http/worker_pool.h"

using namespace std::chrono_literals;
using namespace vigil::http;

namespace {

int connect_from(const char* source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer closes or `timeout` passes.
std::string read_all(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string get(uint16_t port, const std::string& path, const char* source = "127.0.0.1") {
  const int fd = connect_from(source, port);
  if (fd < 0) return "";
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  auto reply = read_all(fd, 5s);
  ::close(fd);
  return reply;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// A handler that blocks until released, to hold a worker busy.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> entered{0};
  void wait() {
    ++entered;
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("the router matches exact paths before patterns and names the allowed methods", "[http]") {
  Router r;
  r.add("GET", "/a/{id}", [](const Request& q) { return Response{200, "text/plain", "id=" + q.params.at("id")}; });
  r.add(
      "GET", "/a/b",
      [](const Request&) {
        return Response{200, "text/plain", "exact"};
      },
      Lane::probe);
  std::string route;
  Request q;
  q.method = "GET";
  q.path = "/a/b";
  CHECK(r.dispatch(q, route).body == "exact");
  CHECK(r.lane_of(q) == Lane::probe);
  q.path = "/a/x%20y";
  CHECK(r.dispatch(q, route).body == "id=x y");
  CHECK(route == "/a/{id}");
  CHECK(r.lane_of(q) == Lane::api);
  q.method = "POST";
  const auto not_allowed = r.dispatch(q, route);
  CHECK(not_allowed.status == 405);
  CHECK(not_allowed.body.find("allowed: GET") != std::string::npos);
  q.path = "/nowhere";
  CHECK(r.dispatch(q, route).status == 404);
  CHECK(route == "other");
}

TEST_CASE("a worker pool refuses jobs beyond its idle workers and queue", "[http]") {
  WorkerPool pool("test", 1, 1);
  Gate gate;
  REQUIRE(pool.try_post([&] { gate.wait(); }));
  while (gate.entered.load() == 0) std::this_thread::sleep_for(1ms);
  std::atomic<int> ran{0};
  CHECK(pool.try_post([&] { ++ran; }));        // waits in the queue
  CHECK_FALSE(pool.try_post([&] { ++ran; }));  // the queue is full
  gate.release();
  for (int i = 0; i < 500 && ran.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  CHECK(ran.load() == 1);
  pool.stop();
  CHECK_FALSE(pool.try_post([] {}));
}

TEST_CASE("API work cannot delay health probes or /metrics, and a full API queue answers 503", "[http][hostile]") {
  Gate gate;
  auto router = std::make_shared<Router>();
  router->add("GET", "/slow", [&gate](const Request&) {
    gate.wait();
    return Response{200, "text/plain", "slow\n"};
  });
  router->add(
      "GET", "/healthz",
      [](const Request&) {
        return Response{200, "text/plain", "ok\n"};
      },
      Lane::probe);
  router->add(
      "GET", "/metrics",
      [](const Request&) {
        return Response{200, "text/plain", "m 1\n"};
      },
      Lane::scrape);
  vigil::config::HttpSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.api_workers = 1;
  settings.api_queue = 0;
  HttpServer server(settings, router);
  auto port = server.start();
  REQUIRE(port.ok());

  // The one API worker is held by /slow.
  auto slow = std::async(std::launch::async, [&] { return get(*port, "/slow"); });
  for (int i = 0; i < 2000 && gate.entered.load() == 0; ++i) std::this_thread::sleep_for(1ms);
  REQUIRE(gate.entered.load() == 1);

  const auto busy = get(*port, "/slow");
  CHECK(starts_with(busy, "HTTP/1.1 503"));
  CHECK(busy.find("Retry-After: 1") != std::string::npos);
  CHECK(busy.find("http.api_queue") != std::string::npos);
  CHECK(starts_with(get(*port, "/healthz"), "HTTP/1.1 200"));
  CHECK(starts_with(get(*port, "/metrics"), "HTTP/1.1 200"));
  CHECK(starts_with(get(*port, "/nowhere"), "HTTP/1.1 503"));  // unknown routes queue with the API

  gate.release();
  CHECK(starts_with(slow.get(), "HTTP/1.1 200"));
  CHECK(starts_with(get(*port, "/nowhere"), "HTTP/1.1 404"));
  server.stop();
}

TEST_CASE("a web config applied while a connection is open rules its next request", "[http][hostile]") {
  auto router = std::make_shared<Router>();
  router->add(
      "GET", "/healthz",
      [](const Request&) {
        return Response{200, "text/plain", "ok\n"};
      },
      Lane::probe);
  vigil::config::HttpSettings settings;
  settings.listen = "127.0.0.1:0";
  HttpServer server(settings, router);
  auto port = server.start();
  REQUIRE(port.ok());
  const int fd = connect_from("127.0.0.1", *port);
  REQUIRE(fd >= 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  auto exchange = [&] {
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string reply;
    char buf[4096];
    for (int i = 0; i < 50 && reply.find("\r\n\r\n") == std::string::npos; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    return reply;
  };
  CHECK(starts_with(exchange(), "HTTP/1.1 200"));  // open: no users yet
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-webcfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "web.yml")
      << "basic_auth_users:\n  prom: $2b$10$hsGAd5/gsNBCfYm5Tiqg2.6CXSXCozUAQCtbF2zT/YoooCODYr4o6\n";
  REQUIRE(server.set_web_config((dir / "web.yml").string()).ok());
  const auto second = exchange();  // the same kept-alive connection
  CHECK(starts_with(second, "HTTP/1.1 401"));
  CHECK(second.find("Connection: close") != std::string::npos);
  ::close(fd);
  server.stop();
}

TEST_CASE("one client address cannot hold more than max_connections_per_client", "[http][hostile]") {
  auto router = std::make_shared<Router>();
  router->add(
      "GET", "/healthz",
      [](const Request&) {
        return Response{200, "text/plain", "ok\n"};
      },
      Lane::probe);
  vigil::config::HttpSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.max_connections = 100;
  settings.max_connections_per_client = 3;
  std::atomic<int> per_client_rejections{0};
  HttpServer server(settings, router, {}, [&](size_t, const char* rejected) {
    if (rejected && std::string(rejected) == "max_connections_per_client") ++per_client_rejections;
  });
  auto port = server.start();
  REQUIRE(port.ok());

  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(connect_from("127.0.0.2", *port));
  // The fourth from the same address is accepted by the kernel, then closed at once by the server.
  const int fourth = connect_from("127.0.0.2", *port);
  REQUIRE(fourth >= 0);
  CHECK(read_all(fourth, 2s).empty());
  ::close(fourth);
  CHECK(per_client_rejections.load() == 1);
  // Another address is served while the first holds its share.
  CHECK(starts_with(get(*port, "/healthz", "127.0.0.3"), "HTTP/1.1 200"));
  // Closing one frees a place for that address again.
  ::close(held.back());
  held.pop_back();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = starts_with(get(*port, "/healthz", "127.0.0.2"), "HTTP/1.1 200");
    if (!served) std::this_thread::sleep_for(20ms);
  }
  CHECK(served);
  for (int fd : held) ::close(fd);
  server.stop();
}
