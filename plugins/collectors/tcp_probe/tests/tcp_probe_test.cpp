#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <vigil/testing/fake_host.hpp>

using vigil::testing::FakeHost;

namespace {
// A listening socket on 127.0.0.1 with an ephemeral port.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};
}  // namespace

TEST_CASE("a listening port probes as success", "[tcp_probe]") {
  Listener l;
  FakeHost host;
  host.set("address", "127.0.0.1:" + std::to_string(l.port));
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  CHECK(host.find("probe_success")->value == 1);
  CHECK(host.find("probe_duration_seconds")->value < 1.0);
  CHECK(host.find("vigil_probe_failures_total") == nullptr);
  host.destroy(inst);
}

TEST_CASE("a closed port fails with reason refused, counted across runs", "[tcp_probe]") {
  int port = 0;
  {
    Listener l;
    port = l.port;
  }  // closed again: nothing listens there now
  FakeHost host;
  host.set("address", "127.0.0.1:" + std::to_string(port));
  host.set("target_label", "redis");
  auto* inst = host.create_collector(vigil_plugin_entry);
  REQUIRE(inst);
  host.collect(inst);
  REQUIRE(host.collect(inst) == VIGIL_OK);
  CHECK(host.find("probe_success", {{"target", "redis"}})->value == 0);
  CHECK(host.find("vigil_probe_failures_total", {{"reason", "refused"}})->value == 2);
  host.destroy(inst);
}

TEST_CASE("bad addresses are config errors", "[tcp_probe]") {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80"}) {
    FakeHost host;
    host.set("address", bad);
    INFO(bad);
    CHECK(host.create_collector(vigil_plugin_entry) == nullptr);
    CHECK(host.last_error().find("HOST:PORT") != std::string::npos);
  }
}
