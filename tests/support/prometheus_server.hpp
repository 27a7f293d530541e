// Debian's prometheus for tests: started on a free port of 127.0.0.1 with a config file, its
// data and log in a directory; SIGTERM and wait in the destructor.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "loopback.hpp"

namespace vigil::testing {

class PrometheusServer {
 public:
  PrometheusServer(const std::string& dir, const std::string& config_file, std::vector<std::string> flags = {})
      : port_(free_port()), log_path_(dir + "/prometheus.log") {
    std::vector<std::string> args{"prometheus", "--config.file=" + config_file,
                                  "--storage.tsdb.path=" + dir + "/prom-data",
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), flags.begin(), flags.end());
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      std::freopen(log_path_.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("prometheus", argv.data());
      _exit(127);
    }
  }
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;
  ~PrometheusServer() { stop(); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  uint16_t port() const { return static_cast<uint16_t>(port_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream f(log_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace vigil::testing
