// A real redis-server for tests: started on 127.0.0.1 at the given port with no persistence,
// killed (SIGKILL, as a crash would) by stop() or the destructor; start() again to bring it back.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "loopback.hpp"

namespace vigil::testing {

inline bool have_redis() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

struct RedisServer {
  pid_t pid = -1;
  int port;
  explicit RedisServer(int p) : port(p) { start(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  void start() {
    std::fflush(nullptr);  // or the child flushes our buffered output a second time
    pid = fork();
    if (pid == 0) {
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      const std::string ps = std::to_string(port);
      execlp("redis-server", "redis-server", "--port", ps.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 250 && !can_connect(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  void stop() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~RedisServer() { stop(); }
};

}  // namespace vigil::testing
