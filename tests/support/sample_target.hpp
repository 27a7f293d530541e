// bench/targets' sample service for tests: started with extra flags on a free port of 127.0.0.1
// (it prints "listening on 127.0.0.1:PORT"), stopped with SIGTERM by the destructor.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace vigil::testing {

struct SampleTarget {
  pid_t pid = -1;
  int port = 0;
  SampleTarget(const std::string& binary, std::vector<std::string> flags = {}) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    std::fflush(nullptr);
    pid = fork();
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      std::freopen("/dev/null", "w", stderr);
      std::vector<std::string> args{binary, "--listen", "127.0.0.1:0"};
      args.insert(args.end(), flags.begin(), flags.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    const auto colon = line.rfind(':');
    if (line.rfind("listening on ", 0) == 0 && colon != std::string::npos) port = std::stoi(line.substr(colon + 1));
  }
  SampleTarget(const SampleTarget&) = delete;
  SampleTarget& operator=(const SampleTarget&) = delete;
  ~SampleTarget() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace vigil::testing
