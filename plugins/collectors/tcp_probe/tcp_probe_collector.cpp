// The tcp_probe collector: can a TCP connection to host:port be opened, and how long does it
// take? Blackbox-exporter-style metric names, so existing probe alerts apply.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

struct Outcome {
  bool ok = false;
  std::string reason;  // resolve, refused, timeout, unreachable, error
};

class TcpProbe {
 public:
  explicit TcpProbe(Context& ctx) {
    address_ = ctx.get_string("address").value_or("");
    const auto colon = address_.rfind(':');
    if (address_.empty() || colon == std::string::npos || colon == 0 || colon + 1 == address_.size())
      throw Error(VIGIL_E_CONFIG, "\"address\" must be HOST:PORT, e.g. address = \"127.0.0.1:6379\"");
    host_ = address_.substr(0, colon);
    if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
    port_ = address_.substr(colon + 1);
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(0);
    target_ = ctx.get_string("target_label").value_or(address_);
  }

  void collect(Context& ctx, int64_t deadline) {
    const int64_t start = ctx.monotonic_ns();
    int64_t until = deadline;
    if (timeout_ns_ > 0) until = std::min(until, start + timeout_ns_);
    const Outcome o = probe(ctx, until);
    const double secs = static_cast<double>(ctx.monotonic_ns() - start) / 1e9;
    const vigil::sdk::Labels l{{"target", target_}};
    ctx.gauge("probe_success", o.ok ? 1 : 0, l, "Whether the probe succeeded.");
    ctx.gauge("probe_duration_seconds", secs, l, "Seconds the probe took.");
    if (!o.ok) ++failures_[o.reason];
    for (const auto& [reason, n] : failures_)
      ctx.counter("vigil_probe_failures_total", static_cast<double>(n), {{"target", target_}, {"reason", reason}},
                  "Failed probes by reason.");
  }

 private:
  Outcome probe(Context& ctx, int64_t until) const {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res) != 0 || !res) return {false, "resolve"};
    Outcome out{false, "unreachable"};
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      out = connect_one(ctx, fd, ai, until);
      ::close(fd);
      if (out.ok || out.reason == "timeout") break;
    }
    freeaddrinfo(res);
    return out;
  }

  static Outcome connect_one(Context& ctx, int fd, const addrinfo* ai, int64_t until) {
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return {true, ""};
    if (errno != EINPROGRESS) return {false, errno == ECONNREFUSED ? "refused" : "unreachable"};
    while (true) {
      const int64_t left_ms = (until - ctx.monotonic_ns()) / 1000000;
      if (left_ms <= 0) return {false, "timeout"};
      pollfd p{fd, POLLOUT, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 100)));
      if (r < 0 && errno != EINTR) return {false, "error"};
      if (r > 0) break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) return {true, ""};
    return {false, err == ECONNREFUSED ? "refused" : "unreachable"};
  }

  std::string address_, host_, port_, target_;
  int64_t timeout_ns_ = 0;
  std::map<std::string, uint64_t> failures_;
};

const vigil_config_key kSchema[] = {
    {"address", VIGIL_CFG_STRING, nullptr, 1, "HOST:PORT to connect to"},
    {"timeout", VIGIL_CFG_DURATION, "the collection deadline", 0, "connect timeout"},
    {"target_label", VIGIL_CFG_STRING, "the address", 0, "value of the `target` label"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_COLLECTOR(TcpProbe, "tcp_probe", "1.0.0", "TCP connect success and latency", kSchema);
