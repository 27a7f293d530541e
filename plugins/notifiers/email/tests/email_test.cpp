// Against a real SMTP server: Debian's aiosmtpd on 127.0.0.1, writing a maildir.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/http_service.hpp"
#include "../../../../tests/support/loopback.hpp"
#include "../../../../tests/support/require_tool.hpp"

using vigil::testing::FakeHost;
namespace fs = std::filesystem;

namespace {

using vigil::testing::can_connect;
using vigil::testing::free_port;

struct SmtpServer {
  pid_t pid = -1;
  int port = 0;
  fs::path maildir;
  explicit SmtpServer(const fs::path& dir) : maildir(dir / "maildir") {
    fs::remove_all(dir);
    fs::create_directories(dir);
    port = free_port();
    pid = fork();
    if (pid == 0) {
      const std::string listen = "127.0.0.1:" + std::to_string(port);
      execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(), "-c",
            "aiosmtpd.handlers.Mailbox", maildir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until it accepts connections.
    for (int i = 0; i < 100; ++i) {
      if (can_connect(port)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~SmtpServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    if (!fs::exists(maildir / "new")) return out;
    for (const auto& e : fs::directory_iterator(maildir / "new")) {
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(ss.str());
    }
    return out;
  }
};

bool have_aiosmtpd() {
  return std::system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
}

struct Note {
  std::string title = "[FIRING:1] 磁盘 DiskFull", body = "[firing] DiskFull (critical): /data at 97% <full>\n",
              key = "0123456789abcdef-4", group = "{}:{alertname=\"DiskFull\"}";
  vigil_notification n{};
  Note() {
    n.struct_size = sizeof n;
    n.status = VIGIL_ALERT_FIRING;
    n.title = {title.data(), title.size()};
    n.body = {body.data(), body.size()};
    n.idempotency_key = {key.data(), key.size()};
    n.group_key = {group.data(), group.size()};
  }
};

}  // namespace

TEST_CASE("sends a threaded multipart message to a real SMTP server", "[email]") {
  VIGIL_REQUIRE_TOOL(have_aiosmtpd(), "python3-aiosmtpd");
  SmtpServer smtp(fs::temp_directory_path() / "vigil-email-test");
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_SMTP, &vigil::testing::kTestSmtpService);
  host.set("smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp.port));
  host.set("from", "vigil@example.com");
  host.set("to[0]", "oncall@example.com");
  host.set("to[1]", "team@example.com");
  host.set("allow_plaintext", true);
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  REQUIRE(host.deliver(inst, note.n) == VIGIL_OK);
  const auto msgs = smtp.messages();
  REQUIRE(msgs.size() == 1);
  const auto& m = msgs[0];
  CHECK(m.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(m.find("Message-ID: <0123456789abcdef-4@example.com>") != std::string::npos);
  CHECK(m.find("References: <group-") != std::string::npos);
  CHECK(m.find("Content-Type: multipart/alternative") != std::string::npos);
  CHECK(m.find("To: oncall@example.com, team@example.com") != std::string::npos);
  host.destroy(inst);
}

TEST_CASE("smtp:// without STARTTLS is refused unless plaintext is allowed", "[email]") {
  VIGIL_REQUIRE_TOOL(have_aiosmtpd(), "python3-aiosmtpd");
  SmtpServer smtp(fs::temp_directory_path() / "vigil-email-test-tls");
  FakeHost host;
  host.provide_service(VIGIL_SERVICE_SMTP, &vigil::testing::kTestSmtpService);
  host.set("smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp.port));
  host.set("from", "vigil@example.com");
  host.set("to[0]", "oncall@example.com");
  auto* inst = host.create_notifier(vigil_plugin_entry);
  REQUIRE(inst);
  Note note;
  CHECK(host.deliver(inst, note.n) == VIGIL_E_INVALID);  // permanent: the server offers no TLS
  CHECK(smtp.messages().empty());
  host.destroy(inst);
}

TEST_CASE("config errors say what to write", "[email]") {
  FakeHost host;
  host.set("smtp_url", "mail.example.com");
  CHECK(host.create_notifier(vigil_plugin_entry) == nullptr);
  CHECK(host.last_error().find("smtps://host:465") != std::string::npos);
  FakeHost creds;
  creds.set("smtp_url", "smtp://127.0.0.1:25");
  creds.set("from", "a@b");
  creds.set("to[0]", "c@d");
  creds.set("username", "u");
  creds.set("allow_plaintext", true);
  CHECK(creds.create_notifier(vigil_plugin_entry) == nullptr);
  CHECK(creds.last_error().find("credentials need TLS") != std::string::npos);
}
