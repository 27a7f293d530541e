// TLS and authentication the Prometheus way, with real clients: Prometheus scraping over TLS with
// basic auth and with a client certificate, curl with wrong credentials, an expired certificate,
// a client certificate from another CA, and a renewed certificate picked up without a restart.
// The test PKI is tests/fixtures/tls/web (made by its make_certs.py).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.h"

extern char** environ;

using namespace std::chrono_literals;
using namespace vigil::testing;

namespace {

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

// Absolute: the web config resolves relative names against its own directory.
std::string pki() {
  return std::filesystem::absolute(source_dir() + "/tests/fixtures/tls/web").lexically_normal();
}

// bcrypt (cost 10) of "s3cret-pass".
constexpr const char* kHash = "$2b$10$hsGAd5/gsNBCfYm5Tiqg2.6CXSXCozUAQCtbF2zT/YoooCODYr4o6";

std::string agent_config(const std::string& dir, const std::string& web_config, const std::string& http_extra = "") {
  return "[agent]\nstate_dir = \"" + dir + "/state\"\nplugin_dirs = [\"" + build_dir() +
         "/tests/fixtures/plugins\"]\n[http]\nlisten = \"127.0.0.1:0\"\nmetrics_snapshot = \"0s\"\n"
         "web_config_file = \"" +
         web_config + "\"\n" + http_extra + "[[collectors.no_op]]\ninterval = \"500ms\"\n";
}

// curl against the agent; -w appends the status code on a line of its own.
CommandResult curl(uint16_t port, const std::string& path, const std::string& options) {
  return run_command("curl -sS --max-time 5 -w '\\nstatus=%{http_code}\\n' --cacert " + pki() + "/ca.pem " + options +
                     " https://127.0.0.1:" + std::to_string(port) + path);
}

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A real Prometheus scraping the agent with `scrape_extra` (its tls_config, basic_auth).
class Prometheus {
 public:
  Prometheus(const std::string& dir, uint16_t target_port, const std::string& scrape_extra) : port_(free_port()) {
    const std::string config = dir + "/prometheus.yml";
    write_file(config,
               "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n"
               "  - job_name: vigil\n    scheme: https\n" +
                   scrape_extra + "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(target_port) +
                   "']\n");
    std::vector<std::string> args = {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir + "/tsdb",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string log = dir + "/prometheus.log";
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, "prometheus", &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Prometheus() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The value of `up` for the vigil job once Prometheus scraped it ("" if it never did in time).
  std::string up(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto q = run_command("curl -sS --max-time 2 'http://127.0.0.1:" + std::to_string(port_) +
                                 "/api/v1/query?query=up%7Bjob%3D%22vigil%22%7D'");
      const auto at = q.output.find("\"value\":[");
      if (at != std::string::npos) {
        const auto quote = q.output.find(",\"", at);
        last = q.output.substr(quote + 2, 1);
        if (last == "1") return last;
      }
      std::this_thread::sleep_for(500ms);
    }
    return last;
  }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

// The agent's port, read from its log: AgentProcess reads it the same way.
void stop(AgentProcess& agent) {
  agent.signal(SIGTERM);
  CHECK(agent.wait_exit(10s) == 0);
}

}  // namespace

TEST_CASE("TLS with basic auth: Prometheus scrapes, wrong credentials get 401, plain HTTP is refused",
          "[integration][security]") {
  const auto dir = temp_dir();
  const auto web = dir + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: " + pki() + "/server.pem\n  key_file: " + pki() +
                      "/server-key.pem\nbasic_auth_users:\n  prom: " + kHash +
                      "\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n");
  write_file(dir + "/vigil.toml", agent_config(dir, web));
  CHECK(run_command(build_dir() + "/vigil check --config " + dir + "/vigil.toml").exit_code == 0);
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  CHECK(contains(agent.log(), "\"tls\":true"));

  const auto ok = curl(agent.port(), "/metrics", "-u prom:s3cret-pass -D -");
  CHECK(contains(ok.output, "status=200"));
  CHECK(contains(ok.output, "fixture_value"));
  CHECK(contains(ok.output, "X-Frame-Options: deny"));
  const auto wrong = curl(agent.port(), "/metrics", "-u prom:guess -D -");
  CHECK(contains(wrong.output, "status=401"));
  CHECK(contains(wrong.output, "WWW-Authenticate: Basic"));
  CHECK_FALSE(contains(wrong.output, "fixture_value"));
  CHECK(contains(curl(agent.port(), "/healthz", "").output, "status=401"));
  CHECK(contains(curl(agent.port(), "/metrics", "-u nobody:s3cret-pass").output, "status=401"));
  // Plain HTTP to the TLS port gets no HTTP answer.
  CHECK(http_get(agent.port(), "/metrics", 2s).status == 0);
  // The authenticated user may change things, and the audit names that user.
  const auto silence = run_command(
      "curl -sS --max-time 5 --cacert " + pki() + "/ca.pem -u prom:s3cret-pass -H 'Content-Type: application/json' " +
      "-d '{\"matchers\":[{\"name\":\"alertname\",\"value\":\"X\"}],\"startsAt\":\"2026-01-01T00:00:00Z\","
      "\"endsAt\":\"2099-01-01T00:00:00Z\",\"createdBy\":\"someone-else\",\"comment\":\"t\"}' https://127.0.0.1:" +
      std::to_string(agent.port()) + "/api/v1/silences");
  INFO(silence.output);
  CHECK(contains(silence.output, "silenceID"));
  CHECK(contains(curl(agent.port(), "/metrics", "-u prom:s3cret-pass").output,
                 "vigil_api_mutations_total{action=\"silence_create\",principal=\"user:prom\"} 1"));

  Prometheus prometheus(dir, agent.port(),
                        "    tls_config:\n      ca_file: " + pki() +
                            "/ca.pem\n    basic_auth:\n      username: prom\n      password: s3cret-pass\n");
  CHECK(prometheus.up(30s) == "1");
  stop(agent);
}

TEST_CASE("mutual TLS: a client certificate from the CA is let in, none or another CA's is refused",
          "[integration][security]") {
  const auto dir = temp_dir();
  const auto web = dir + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: " + pki() + "/server.pem\n  key_file: " + pki() +
                      "/server-key.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: " + pki() +
                      "/ca.pem\n");
  write_file(dir + "/vigil.toml", agent_config(dir, web, "read_requires_token = true\napi_token = \"t0ken\"\n"));
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  const std::string client = "--cert " + pki() + "/client.pem --key " + pki() + "/client-key.pem";
  CHECK(contains(curl(agent.port(), "/metrics", client).output, "status=200"));
  // read_requires_token: the verified certificate stands in for the token.
  CHECK(contains(curl(agent.port(), "/api/v1/alerts", client).output, "status=200"));
  const auto none = curl(agent.port(), "/metrics", "");
  CHECK_FALSE(contains(none.output, "status=200"));
  CHECK(none.exit_code != 0);
  const auto foreign =
      curl(agent.port(), "/metrics", "--cert " + pki() + "/other-client.pem --key " + pki() + "/other-client-key.pem");
  CHECK_FALSE(contains(foreign.output, "status=200"));
  CHECK(foreign.exit_code != 0);

  Prometheus prometheus(dir, agent.port(),
                        "    tls_config:\n      ca_file: " + pki() + "/ca.pem\n      cert_file: " + pki() +
                            "/client.pem\n      key_file: " + pki() + "/client-key.pem\n");
  CHECK(prometheus.up(30s) == "1");
  stop(agent);
}

TEST_CASE("an expired server certificate is refused by clients and logged; a renewed one is picked up live",
          "[integration][security]") {
  const auto dir = temp_dir();
  std::filesystem::copy_file(pki() + "/expired.pem", dir + "/cert.pem");
  std::filesystem::copy_file(pki() + "/expired-key.pem", dir + "/key.pem");
  const auto web = dir + "/web.yml";
  write_file(web, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");  // relative to web.yml
  write_file(dir + "/vigil.toml", agent_config(dir, web));
  AgentProcess agent(dir + "/vigil.toml");
  REQUIRE(agent.started());
  CHECK(contains(agent.log(), "the server certificate has expired"));
  const auto expired = curl(agent.port(), "/metrics", "");
  CHECK(expired.exit_code != 0);
  CHECK(contains(expired.output, "expired"));

  // Renewal as certbot does it: new files in place; no restart, no signal.
  std::filesystem::copy_file(pki() + "/renewed.pem", dir + "/cert.pem.new");
  std::filesystem::copy_file(pki() + "/renewed-key.pem", dir + "/key.pem.new");
  std::filesystem::rename(dir + "/key.pem.new", dir + "/key.pem");
  std::filesystem::rename(dir + "/cert.pem.new", dir + "/cert.pem");
  bool renewed = false;
  for (int i = 0; i < 40 && !renewed; ++i) {
    std::this_thread::sleep_for(250ms);
    renewed = contains(curl(agent.port(), "/healthz", "").output, "status=200");
  }
  CHECK(renewed);
  CHECK(agent.wait_for_log("web config reloaded", 2s));

  // A broken web config is refused by check and, at a reload, keeps the one in use.
  write_file(web, "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: Sometimes\n");
  const auto check = run_command(build_dir() + "/vigil check --config " + dir + "/vigil.toml");
  CHECK(check.exit_code != 0);
  CHECK(contains(check.output, web + ":4:21: unknown client_auth_type \"Sometimes\""));
  agent.signal(SIGHUP);
  CHECK(agent.wait_for_log("the web config is not applied; the previous one stays", 5s));
  CHECK(contains(curl(agent.port(), "/healthz", "").output, "status=200"));
  stop(agent);
}
