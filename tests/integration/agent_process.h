// Test support: runs the real vigil binary with a temporary config, reads its log, and talks
// HTTP to it over 127.0.0.1 with plain sockets.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace vigil::testing {

std::string build_dir();
std::string source_dir();
std::string temp_dir();  // a fresh directory for this test process
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

struct HttpReply {
  int status = 0;  // 0: no reply (connection failed or closed)
  std::string headers;
  std::string body;
};
HttpReply http_get(uint16_t port, const std::string& path, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A request with a JSON body (and a bearer token unless ""), on a connection of its own.
HttpReply http_send(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                    const std::string& bearer_token, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// Sends raw bytes and reads until the server closes or the timeout passes.
std::string http_raw(uint16_t port, const std::string& request,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
int connect_loopback(uint16_t port);  // a connected socket, or -1

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
CommandResult run_command(const std::string& shell_command);

class AgentProcess {
 public:
  // Starts `vigil run --config config_path`, waits for the "listening" log line.
  explicit AgentProcess(const std::string& config_path);
  ~AgentProcess();  // SIGKILL if still running

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;
  void signal(int sig);
  // Waits for exit; returns the exit status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  // Polls until pred(GET path) holds or the timeout passes.
  bool wait_for(const std::string& path, const std::string& needle, std::chrono::milliseconds timeout);
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  bool exited_ = false;
  int exit_status_ = -1;
};

}  // namespace vigil::testing
