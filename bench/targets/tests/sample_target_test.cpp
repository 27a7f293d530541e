// Tests of vigil_sample_target: every case starts the real binary as a child process (port 0, the
// port read from its "listening on" line) and talks to it over plain blocking sockets with a tiny
// HTTP/1.1 client and a minimal WebSocket client written here, so the test needs no Beast.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "loopback.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// The target as a child process. Its stdout is a pipe from which the constructor reads the one
// "listening on" line; its stderr is inherited (diagnostics land in the test log).

class TargetProcess {
 public:
  explicit TargetProcess(std::vector<std::string> args = {}) {
    if (std::find(args.begin(), args.end(), "--listen") == args.end()) {
      args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
    }
    args.insert(args.begin(), VIGIL_SAMPLE_TARGET);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    std::fflush(nullptr);  // or the child flushes our buffered output a second time
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    const auto deadline = Clock::now() + 5s;
    while (line_.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c[256];
      const ssize_t n = ::read(out_, c, sizeof c);
      if (n <= 0) break;
      line_.append(c, static_cast<size_t>(n));
    }
    const std::string prefix = "listening on 127.0.0.1:";
    if (line_.rfind(prefix, 0) == 0 && line_.back() == '\n') port_ = std::stoi(line_.substr(prefix.size()));
    INFO("stdout of the target: " << line_);
    REQUIRE(port_ > 0);
  }
  TargetProcess(const TargetProcess&) = delete;
  TargetProcess& operator=(const TargetProcess&) = delete;
  ~TargetProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  int port() const { return port_; }
  const std::string& first_output() const { return line_; }

  // Sends sig and waits for the exit; the wait status, or -1 if it is still running after 5 s.
  int stop(int sig) {
    ::kill(pid_, sig);
    for (auto deadline = Clock::now() + 5s; Clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return status;
      }
    }
    return -1;
  }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

  // Everything the child wrote to stdout after the first line (read once it has exited).
  std::string rest_of_output() {
    std::string rest;
    char c[256];
    ssize_t n = 0;
    while ((n = ::read(out_, c, sizeof c)) > 0) rest.append(c, static_cast<size_t>(n));
    return rest;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  std::string line_;
};

// ---------------------------------------------------------------------------------------------
// A blocking HTTP/1.1 client connection (5 s receive timeout, so a bug fails instead of hanging).

struct Reply {
  int status = 0;                              // 0: no reply (closed, timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  json json_body() const { return json::parse(body, nullptr, false); }
};

std::string build_request(const std::string& method, const std::string& path, const std::string& body = "",
                          const std::string& extra_headers = "") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST")
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = vigil::testing::loopback_address(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response as it comes (an interim 100 Continue included).
  Reply read_reply() {
    Reply r;
    size_t end = 0;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t pos = head.find("\r\n");
    const std::string status_line = head.substr(0, pos);
    if (status_line.size() < 12 || status_line.rfind("HTTP/1.", 0) != 0) return r;
    while (pos != std::string::npos) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    r.body = read_exact(length);
    if (r.body.size() != length) return Reply{};
    r.status = std::stoi(status_line.substr(9, 3));
    return r;
  }

  // Sends a request and returns its final response.
  Reply request(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& extra_headers = "") {
    if (!send(build_request(method, path, body, extra_headers))) return {};
    Reply r = read_reply();
    while (r.status >= 100 && r.status < 200) r = read_reply();
    return r;
  }

  std::string read_exact(size_t n) {
    while (buf_.size() < n)
      if (!fill()) break;
    const std::string out = buf_.substr(0, std::min(n, buf_.size()));
    buf_.erase(0, out.size());
    return out;
  }

  // True when the server has closed the connection (EOF, or a reset) and sent nothing more.
  bool closed_by_peer() {
    if (!buf_.empty()) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }

 private:
  bool fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

Reply http(int port, const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& extra_headers = "") {
  Connection c(port);
  return c.request(method, path, body, extra_headers);
}

json stats(int port) {
  return http(port, "GET", "/admin/stats").json_body();
}

std::string message_body(const std::string& text, const std::string& conversation = "c1") {
  return json{{"user", "u1"}, {"conversation", conversation}, {"text", text}}.dump();
}

// ---------------------------------------------------------------------------------------------
// A minimal WebSocket client: the RFC 6455 handshake, masked frames out, unmasked frames in.

struct Frame {
  int opcode = -1;  // -1: nothing read
  std::string payload;
};

class WsClient {
 public:
  explicit WsClient(int port) : conn_(port) {
    // The key and accept value are the example of RFC 6455 section 1.3.
    conn_.send(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    handshake_ = conn_.read_reply();
  }
  const Reply& handshake() const { return handshake_; }

  bool send(int opcode, std::string_view payload) {
    std::string f;
    f += static_cast<char>(0x80 | opcode);  // FIN + opcode
    const size_t n = payload.size();
    if (n < 126) {
      f += static_cast<char>(0x80 | n);
    } else if (n < 65536) {
      f += static_cast<char>(0x80 | 126);
      f += static_cast<char>(n >> 8);
      f += static_cast<char>(n & 0xff);
    } else {
      f += static_cast<char>(0x80 | 127);
      for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
    return conn_.send(f);
  }

  Frame read() {
    Frame fr;
    const std::string h = conn_.read_exact(2);
    if (h.size() != 2) return fr;
    const auto b0 = static_cast<unsigned char>(h[0]);
    const auto b1 = static_cast<unsigned char>(h[1]);
    if ((b0 & 0x80) == 0 || (b1 & 0x80) != 0) return fr;  // expect unfragmented, unmasked frames
    uint64_t len = b1 & 0x7f;
    if (len >= 126) {
      const std::string ext = conn_.read_exact(len == 126 ? 2 : 8);
      len = 0;
      for (const char c : ext) len = (len << 8) | static_cast<unsigned char>(c);
    }
    fr.payload = conn_.read_exact(static_cast<size_t>(len));
    fr.opcode = b0 & 0x0f;
    return fr;
  }

  Connection& connection() { return conn_; }

 private:
  Connection conn_;
  Reply handshake_;
};

// Polls /admin/stats until pred holds (counters updated by another connection's strand).
template <class Pred>
bool eventually(int port, Pred pred, std::chrono::milliseconds timeout = 3s) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline; std::this_thread::sleep_for(10ms))
    if (pred(stats(port))) return true;
  return false;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("sample target prints one listening line, answers /healthz and stops with exit 0 on SIGTERM or SIGINT") {
  for (const int sig : {SIGTERM, SIGINT}) {
    TargetProcess t;
    CHECK(t.first_output() == "listening on 127.0.0.1:" + std::to_string(t.port()) + "\n");
    const Reply r = http(t.port(), "GET", "/healthz");
    CHECK(r.status == 200);
    CHECK(r.body == "ok");
    WsClient idle(t.port());  // an open WebSocket does not hold up the shutdown
    REQUIRE(idle.handshake().status == 101);
    const int status = t.stop(sig);
    REQUIRE(status != -1);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(t.rest_of_output().empty());
  }
}

TEST_CASE("sample target binds the port given with --listen") {
  const int port = vigil::testing::free_port();
  TargetProcess t({"--listen", "127.0.0.1:" + std::to_string(port), "--threads", "1"});
  CHECK(t.port() == port);
  CHECK(http(port, "GET", "/healthz").status == 200);
}

TEST_CASE("sample target: 100 messages on one keep-alive connection, all answered and counted") {
  TargetProcess t;
  Connection c(t.port());
  REQUIRE(c.connected());
  uint64_t sent_bytes = 0;
  int64_t last_id = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string body = message_body("hello number " + std::to_string(i) + " of a hundred", "conv-7");
    const std::string req = build_request("POST", "/api/messages", body);
    sent_bytes += req.size();
    REQUIRE(c.send(req));
    const Reply r = c.read_reply();
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    const json j = r.json_body();
    REQUIRE(j.is_object());
    CHECK(j["id"].get<int64_t>() > last_id);
    last_id = j["id"].get<int64_t>();
    CHECK(j["conversation"] == "conv-7");
    CHECK(j["reply"] == "echo: hello number " + std::to_string(i) + " of a hundred");
    CHECK(j["tokens"] == 6);
  }
  const json s = c.request("GET", "/admin/stats").json_body();
  CHECK(s["requests"]["messages"] == 100);
  CHECK(s["bytes_received"] == sent_bytes);
  CHECK(s["requests"]["admin"] == 1);

  // The reply quotes the first 64 characters (not bytes) of the text; tokens are words.
  std::string accents;
  for (int i = 0; i < 70; ++i) accents += "\xc3\xa9";  // é
  json j = c.request("POST", "/api/messages", message_body(accents)).json_body();
  CHECK(j["reply"] == "echo: " + accents.substr(0, 128));
  j = c.request("POST", "/api/messages", message_body("  one\ttwo\n three  ")).json_body();
  CHECK(j["tokens"] == 3);
}

TEST_CASE("sample target answers pipelined requests in order and honours Connection: close") {
  TargetProcess t;
  Connection c(t.port());
  REQUIRE(c.send(build_request("POST", "/api/messages", message_body("first")) + build_request("GET", "/healthz") +
                 build_request("POST", "/api/messages", message_body("third"), "Connection: close\r\n")));
  const Reply a = c.read_reply();
  const Reply b = c.read_reply();
  const Reply d = c.read_reply();
  CHECK(a.json_body()["reply"] == "echo: first");
  CHECK(b.body == "ok");
  CHECK(d.json_body()["reply"] == "echo: third");
  CHECK(d.header("connection") == "close");
  CHECK(c.closed_by_peer());
}

TEST_CASE("sample target refuses bad requests: 400 bad JSON or fields, 404, 405, 413, 100-continue works") {
  TargetProcess t;
  Reply r = http(t.port(), "POST", "/api/messages", "{not json");
  CHECK(r.status == 400);
  CHECK(r.json_body()["error"].is_string());
  r = http(t.port(), "POST", "/api/messages", R"({"user":"u","conversation":"c"})");
  CHECK(r.status == 400);
  CHECK(r.json_body()["error"].get<std::string>().find("text") != std::string::npos);
  CHECK(http(t.port(), "POST", "/api/messages", R"({"user":"u","conversation":"c","text":5})").status == 400);
  CHECK(http(t.port(), "POST", "/api/messages", "[1,2]").status == 400);
  r = http(t.port(), "GET", "/api/messages");
  CHECK(r.status == 405);
  CHECK(r.header("allow") == "POST");
  r = http(t.port(), "GET", "/no/such/route");
  CHECK(r.status == 404);
  CHECK(r.json_body()["error"].is_string());

  // A declared body over 1 MiB is refused before it is sent ...
  {
    Connection c(t.port());
    c.send("POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
    CHECK(c.read_reply().status == 413);
  }
  // ... and one that is sent anyway is refused too, the reply surviving the unread bytes.
  {
    Connection c(t.port());
    const std::string big(1536 * 1024, 'x');
    std::thread writer([&] { c.send(build_request("POST", "/api/messages", big)); });
    CHECK(c.read_reply().status == 413);
    writer.join();
  }
  // Expect: 100-continue gets the interim answer, then the real one.
  {
    Connection c(t.port());
    const std::string body = message_body("after continue");
    c.send("POST /api/messages HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
    CHECK(c.read_reply().status == 100);
    c.send(body);
    r = c.read_reply();
    CHECK(r.status == 200);
    CHECK(r.json_body()["reply"] == "echo: after continue");
  }
  CHECK(http(t.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("sample target MCP: initialize, session header, tools/list, tools/call, JSON-RPC errors") {
  TargetProcess t;
  Connection c(t.port());
  const auto rpc = [](const json& id, const std::string& method, json params = nullptr) {
    json m{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) m["params"] = std::move(params);
    return m.dump();
  };
  Reply r = c.request("POST", "/mcp",
                      rpc(1, "initialize",
                          {{"protocolVersion", "2025-03-26"},
                           {"capabilities", json::object()},
                           {"clientInfo", {{"name", "test"}, {"version", "1"}}}}),
                      "Accept: application/json, text/event-stream\r\n");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  const std::string session = r.header("mcp-session-id");
  CHECK(session.size() == 32);
  CHECK(session.find_first_not_of("0123456789abcdef") == std::string::npos);
  json j = r.json_body();
  CHECK(j["jsonrpc"] == "2.0");
  CHECK(j["id"] == 1);
  CHECK(j["result"]["protocolVersion"] == "2025-03-26");
  CHECK(j["result"]["capabilities"]["tools"].is_object());
  CHECK(j["result"]["serverInfo"]["name"].is_string());

  const std::string sh = "Mcp-Session-Id: " + session + "\r\n";
  r = c.request("POST", "/mcp", json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump(), sh);
  CHECK(r.status == 202);
  CHECK(r.body.empty());

  j = c.request("POST", "/mcp", rpc(2, "tools/list"), sh).json_body();
  REQUIRE(j["result"]["tools"].size() == 3);
  std::vector<std::string> names;
  for (const auto& tool : j["result"]["tools"]) {
    names.push_back(tool["name"]);
    CHECK(tool["inputSchema"]["type"] == "object");
  }
  CHECK(names == std::vector<std::string>{"echo", "add", "fail"});

  const auto call = [&](const json& id, const std::string& tool, const json& args) {
    const Reply reply = c.request("POST", "/mcp", rpc(id, "tools/call", {{"name", tool}, {"arguments", args}}), sh);
    CHECK(reply.status == 200);
    return reply.json_body();
  };
  j = call("s-3", "echo", {{"text", "hi there"}});
  CHECK(j["id"] == "s-3");
  CHECK(j["result"]["isError"] == false);
  CHECK(j["result"]["content"][0]["type"] == "text");
  CHECK(j["result"]["content"][0]["text"] == "hi there");
  CHECK(call(4, "add", {{"a", 2}, {"b", 3}})["result"]["content"][0]["text"] == "5");
  CHECK(call(5, "add", {{"a", 2}, {"b", 3.5}})["result"]["content"][0]["text"] == "5.5");
  j = call(6, "fail", json::object());
  CHECK(j["result"]["isError"] == true);
  CHECK(j["result"]["content"][0]["text"].get<std::string>().size() > 0);
  j = call(7, "nope", json::object());
  CHECK(j["id"] == 7);
  CHECK(j["error"]["code"] == -32602);
  CHECK(call(8, "add", {{"a", "x"}})["error"]["code"] == -32602);
  j = c.request("POST", "/mcp", rpc(9, "resources/list"), sh).json_body();
  CHECK(j["error"]["code"] == -32601);

  // Transport-level refusals: HTTP 400 with a JSON-RPC error.
  r = c.request("POST", "/mcp", rpc(10, "tools/list"));
  CHECK(r.status == 400);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.json_body()["error"]["code"].is_number_integer());
  r = c.request("POST", "/mcp", rpc(11, "tools/list"), "Mcp-Session-Id: 0123456789abcdef0123456789abcdef\r\n");
  CHECK(r.status == 400);
  CHECK(r.json_body()["error"].is_object());
  r = c.request("POST", "/mcp", "{\"jsonrpc\":", sh);
  CHECK(r.status == 400);
  CHECK(r.json_body()["error"]["code"] == -32700);
  r = c.request("POST", "/mcp", "[" + rpc(12, "tools/list") + "]", sh);
  CHECK(r.json_body()["error"]["code"] == -32600);
  CHECK(c.request("GET", "/mcp").status == 405);

  const json s = c.request("GET", "/admin/stats").json_body();
  CHECK(s["requests"]["mcp"] == 15);
  CHECK(s["mcp_tools"] == json{{"echo", 1}, {"add", 3}, {"fail", 1}, {"unknown", 1}});
  // tool_calls_total counts isError results and JSON-RPC errors as errors.
  const std::string m = c.request("GET", "/metrics").body;
  for (const char* needle :
       {"tool_calls_total{tool=\"echo\",result=\"ok\"} 1\n", "tool_calls_total{tool=\"add\",result=\"ok\"} 2\n",
        "tool_calls_total{tool=\"add\",result=\"error\"} 1\n", "tool_calls_total{tool=\"fail\",result=\"error\"} 1\n",
        "tool_calls_total{tool=\"unknown\",result=\"error\"} 1\n"}) {
    INFO(needle);
    CHECK(m.find(needle) != std::string::npos);
  }
}

TEST_CASE("sample target WebSocket: chat echo keeps the id, other text and binary come back unchanged") {
  TargetProcess t;
  {
    WsClient ws(t.port());
    REQUIRE(ws.handshake().status == 101);
    CHECK(ws.handshake().header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    REQUIRE(ws.send(0x1, R"({"id":"m-42","text":"hello ws"})"));
    Frame f = ws.read();
    REQUIRE(f.opcode == 0x1);
    const json j = json::parse(f.payload, nullptr, false);
    CHECK(j["id"] == "m-42");
    CHECK(j["reply"] == "echo: hello ws");
    CHECK(j["ts"].get<int64_t>() >= now_ms - 1000);
    CHECK(j["ts"].get<int64_t>() <= now_ms + 5000);

    REQUIRE(ws.send(0x1, "just some text"));
    f = ws.read();
    CHECK(f.opcode == 0x1);
    CHECK(f.payload == "just some text");

    const std::string binary("\x00\x01\xfe\xff binary", 11);
    REQUIRE(ws.send(0x2, binary));
    f = ws.read();
    CHECK(f.opcode == 0x2);
    CHECK(f.payload == binary);

    const std::string long_text(70000, 'z');  // 64-bit length form
    REQUIRE(ws.send(0x1, json{{"id", 9}, {"text", long_text}}.dump()));
    f = ws.read();
    CHECK(json::parse(f.payload, nullptr, false)["reply"] == "echo: " + long_text);

    CHECK(stats(t.port())["ws_connections_open"] == 1);
    REQUIRE(ws.send(0x8, std::string("\x03\xe8", 2)));  // close, 1000
    CHECK(ws.read().opcode == 0x8);
  }
  CHECK(eventually(t.port(), [](const json& s) { return s["ws_connections_open"] == 0; }));
  const json s = stats(t.port());
  CHECK(s["ws_connections_total"] == 1);
  CHECK(s["ws_messages"] == 4);
  CHECK(s["requests"]["ws"] == 1);
  CHECK(http(t.port(), "GET", "/ws").status == 426);
}

TEST_CASE("sample target holds many idle WebSocket connections") {
  TargetProcess t({"--threads", "1"});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 300; ++i) {
    clients.push_back(std::make_unique<WsClient>(t.port()));
    REQUIRE(clients.back()->handshake().status == 101);
  }
  CHECK(eventually(t.port(), [](const json& s) { return s["ws_connections_open"] == 300; }));
  REQUIRE(clients.front()->send(0x1, R"({"id":1,"text":"still here"})"));
  CHECK(json::parse(clients.front()->read().payload, nullptr, false)["id"] == 1);
  CHECK(http(t.port(), "GET", "/metrics").body.find("websocket_connections 300\n") != std::string::npos);
  clients.clear();
  CHECK(eventually(t.port(), [](const json& s) { return s["ws_connections_open"] == 0; }));
}

TEST_CASE("sample target /metrics exposes request counters, latency histograms and WebSocket series") {
  TargetProcess t;
  CHECK(http(t.port(), "POST", "/api/messages", message_body("m")).status == 200);
  CHECK(http(t.port(), "POST", "/api/messages", "bad").status == 400);
  {
    WsClient ws(t.port());
    REQUIRE(ws.send(0x1, R"({"text":"x"})"));
    ws.read();
  }
  const Reply r = http(t.port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").rfind("text/plain", 0) == 0);
  const std::string& m = r.body;
  for (const char* needle : {
           "# TYPE http_requests_total counter\n",
           "http_requests_total{route=\"/api/messages\",code=\"200\"} 1\n",
           "http_requests_total{route=\"/api/messages\",code=\"400\"} 1\n",
           "http_requests_total{route=\"/ws\",code=\"101\"} 1\n",
           "# TYPE http_request_duration_seconds histogram\n",
           "http_request_duration_seconds_bucket{route=\"/api/messages\",le=\"0.001\"} ",
           "http_request_duration_seconds_bucket{route=\"/api/messages\",le=\"10\"} 2\n",
           "http_request_duration_seconds_bucket{route=\"/api/messages\",le=\"+Inf\"} 2\n",
           "http_request_duration_seconds_count{route=\"/api/messages\"} 2\n",
           "http_request_duration_seconds_sum{route=\"/api/messages\"} ",
           "# TYPE websocket_connections gauge\n",
           "# TYPE websocket_messages_total counter\n",
           "websocket_messages_total 1\n",
       }) {
    INFO(needle);
    CHECK(m.find(needle) != std::string::npos);
  }
}

TEST_CASE("sample target --error-rate 1 answers every request with 500 injected") {
  TargetProcess t({"--error-rate", "1"});
  for (int i = 0; i < 5; ++i) {
    const Reply r = http(t.port(), "POST", "/api/messages", message_body("x"));
    CHECK(r.status == 500);
    CHECK(r.json_body() == json{{"error", "injected"}});
  }
  CHECK(http(t.port(), "POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"initialize"})").status == 500);
  CHECK(http(t.port(), "GET", "/healthz").status == 200);  // only /api/messages and /mcp are faulty
  const json s = stats(t.port());
  CHECK(s["injected_errors"] == 6);
  CHECK(s["requests"]["messages"] == 5);
}

TEST_CASE("sample target error rate is an exact, evenly spread fraction") {
  TargetProcess t({"--error-rate", "0.25"});
  Connection c(t.port());
  std::vector<int> statuses;
  for (int i = 0; i < 12; ++i) statuses.push_back(c.request("POST", "/api/messages", message_body("x")).status);
  CHECK(statuses == std::vector<int>{200, 200, 200, 500, 200, 200, 200, 500, 200, 200, 200, 500});
}

TEST_CASE("sample target --stall-every 5 --stall-ms 300 stalls exactly every 5th request") {
  TargetProcess t({"--stall-every", "5", "--stall-ms", "300"});
  CHECK(http(t.port(), "GET", "/healthz").status == 200);  // not a faulty route: not counted
  Connection c(t.port());
  for (int i = 1; i <= 10; ++i) {
    const auto start = Clock::now();
    const Reply r = c.request("POST", "/api/messages", message_body("n" + std::to_string(i)));
    const double took = ms_since(start);
    INFO("request " << i << " took " << took << " ms");
    CHECK(r.status == 200);
    if (i % 5 == 0) {
      CHECK(took >= 300);
    } else {
      CHECK(took < 150);
    }
  }
  CHECK(stats(t.port())["stalls"] == 2);
}

TEST_CASE("sample target /admin/faults changes faults at run time and /admin/reset zeroes the counters") {
  TargetProcess t;
  Reply r = http(t.port(), "POST", "/admin/faults", R"({"latency_ms":150})");
  REQUIRE(r.status == 200);
  CHECK(r.json_body() ==
        json{{"latency_ms", 150}, {"jitter_ms", 0}, {"error_rate", 0.0}, {"stall_every", 0}, {"stall_ms", 0}});
  auto start = Clock::now();
  CHECK(http(t.port(), "POST", "/api/messages", message_body("slow")).status == 200);
  CHECK(ms_since(start) >= 150);
  {
    WsClient ws(t.port());  // latency applies to WebSocket replies too
    start = Clock::now();
    ws.send(0x1, R"({"id":1,"text":"slow"})");
    CHECK(ws.read().opcode == 1);
    CHECK(ms_since(start) >= 150);
  }
  start = Clock::now();
  CHECK(http(t.port(), "GET", "/healthz").status == 200);
  CHECK(ms_since(start) < 100);

  // A bad update changes nothing.
  CHECK(http(t.port(), "POST", "/admin/faults", R"({"latency_ms":-1})").status == 400);
  CHECK(http(t.port(), "POST", "/admin/faults", R"({"error_rate":2})").status == 400);
  CHECK(http(t.port(), "POST", "/admin/faults", R"({"latency_ms":0,"bogus":1})").status == 400);
  CHECK(http(t.port(), "GET", "/admin/faults").json_body()["latency_ms"] == 150);

  // A stall set at run time counts from the update: the 2nd request after it stalls.
  r = http(t.port(), "POST", "/admin/faults", R"({"latency_ms":0,"stall_every":2,"stall_ms":200})");
  CHECK(r.json_body()["stall_every"] == 2);
  start = Clock::now();
  http(t.port(), "POST", "/api/messages", message_body("1"));
  CHECK(ms_since(start) < 150);
  start = Clock::now();
  http(t.port(), "POST", "/api/messages", message_body("2"));
  CHECK(ms_since(start) >= 200);

  CHECK(stats(t.port())["requests"]["messages"] == 3);
  r = http(t.port(), "POST", "/admin/reset");
  CHECK(r.status == 200);
  const json s = stats(t.port());
  CHECK(s["requests"]["messages"] == 0);
  CHECK(s["requests"]["admin"] == 1);  // this /admin/stats
  CHECK(s["ws_connections_total"] == 0);
  CHECK(s["ws_messages"] == 0);
  CHECK(s["bytes_received"] == 0);
  CHECK(s["stalls"] == 0);
  // Message ids keep increasing across a reset.
  CHECK(http(t.port(), "POST", "/api/messages", message_body("after")).json_body()["id"] == 4);
}

TEST_CASE("sample target survives garbage: random bytes, half requests, broken frames") {
  TargetProcess t;
  std::mt19937 rng(12345);
  for (int round = 0; round < 20; ++round) {
    Connection c(t.port());
    std::string junk(1 + rng() % 20000, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    c.send(junk);
    if (round % 2 == 0) c.read_reply();  // sometimes read the 400, sometimes hang up at once
  }
  {
    Connection c(t.port());  // header cut off mid-way
    c.send("POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Le");
  }
  {
    Connection c(t.port());  // body cut off mid-way
    c.send("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\":");
  }
  {
    Connection c(t.port());  // invalid chunked encoding
    c.send("POST /api/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n");
    CHECK(c.read_reply().status == 400);
  }
  {
    Connection c(t.port());  // a header far too large
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    CHECK(c.read_reply().status == 431);
  }
  {
    WsClient ws(t.port());  // garbage after a good handshake, then a frame cut short
    REQUIRE(ws.handshake().status == 101);
    ws.connection().send(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12));
  }
  {
    WsClient ws(t.port());
    ws.connection().send(std::string("\x81\xfe\x10\x00\x01\x02", 6));
  }
  {
    WsClient ws(t.port());  // invalid UTF-8 in a text frame
    ws.send(0x1, "\xc3\x28");
    CHECK(ws.read().opcode != 0x1);
  }
  for (int i = 0; i < 20; ++i) Connection c(t.port());  // connect and hang up
  CHECK(t.alive());
  const Reply r = http(t.port(), "GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
}
