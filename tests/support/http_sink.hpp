// HttpSink: a loopback HTTP/1.1 server for tests that records every request and answers with
// a scripted status (200 by default; e.g. 500, or 429 with Retry-After), optionally stalling.
// Keep-alive is supported, so tests can see connection reuse. Header-only, POSIX sockets.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

struct SinkRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names lower-cased
  int connection = 0;                          // which accepted connection carried it
};

struct SinkReply {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds stall{0};  // wait this long before answering
};

class HttpSink {
 public:
  HttpSink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~HttpSink() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : conns_) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Replies used in order for the next requests; after them, `fallback`.
  void script(std::vector<SinkReply> replies) {
    std::lock_guard l(mu_);
    script_.assign(replies.begin(), replies.end());
  }
  void set_fallback(SinkReply r) {
    std::lock_guard l(mu_);
    fallback_ = std::move(r);
  }
  std::vector<SinkRequest> requests() const {
    std::lock_guard l(mu_);
    return requests_;
  }
  int connections() const { return connections_.load(); }
  // Waits until at least n requests arrived.
  bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      const int id = ++connections_;
      conns_.emplace_back([this, c, id] { serve(c, id); });
    }
  }

  void serve(int c, int id) {
    std::string buf;
    char tmp[8192];
    while (!stop_) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!read_some(c, buf, tmp, sizeof tmp)) return close_conn(c);
      }
      SinkRequest req;
      req.connection = id;
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t line_end = head.find("\r\n");
      const std::string first = head.substr(0, line_end);
      req.method = first.substr(0, first.find(' '));
      req.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        const std::string line = head.substr(pos, e - pos);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(value.begin());
          req.headers[name] = value;
        }
        pos = e + 2;
      }
      const size_t length = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < length) {
        if (!read_some(c, buf, tmp, sizeof tmp)) return close_conn(c);
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      SinkReply reply;
      {
        std::lock_guard l(mu_);
        if (!script_.empty()) {
          reply = script_.front();
          script_.pop_front();
        } else {
          reply = fallback_;
        }
      }
      if (reply.stall.count() > 0) std::this_thread::sleep_for(reply.stall);
      {
        std::lock_guard l(mu_);
        requests_.push_back(std::move(req));
      }
      cv_.notify_all();
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                        " X\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\n";
      for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
      out += "\r\n" + reply.body;
      if (::send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) return close_conn(c);
    }
    close_conn(c);
  }

  bool read_some(int c, std::string& buf, char* tmp, size_t n) {
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      const int r = ::poll(&p, 1, 100);
      if (r == 0) continue;
      if (r < 0) return false;
      const ssize_t got = ::recv(c, tmp, n, 0);
      if (got <= 0) return false;
      buf.append(tmp, static_cast<size_t>(got));
      return true;
    }
    return false;
  }
  static void close_conn(int c) { ::close(c); }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> conns_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SinkReply> script_;
  SinkReply fallback_;
  std::vector<SinkRequest> requests_;
};

}  // namespace vigil::testing
