// vigil_sample_target: a small HTTP/1.1 + WebSocket service shaped like the chat/agent backends
// vigil monitors and load-tests (a chat API, an MCP tool server, a WebSocket chat echo), with its
// own Prometheus metrics, counters of what it received (for tests to check against what vigil
// sent) and run-time switchable fault injection (latency, jitter, errors, periodic stalls).
//
// This is the only translation unit of the target and the only one that includes the WebSocket
// parts of Beast; keep it that way so the heavy headers are compiled once.
//
// Contracts the tests and docs rely on (README.md lists every route and switch):
//  - stdout carries exactly one line, "listening on HOST:PORT", flushed once the socket listens
//    and SIGINT/SIGTERM are handled, so a parent can start it with port 0 and read the port;
//    everything else (the fd limit, errors) goes to stderr.
//  - SIGINT/SIGTERM stop it with exit status 0; bad switches exit 2, a failed bind exits 1.
//  - No thread per connection and no sleeping thread: N io_context threads share one acceptor,
//    every connection lives on its own strand and every injected delay is an Asio timer.
//  - Fault injection is deterministic apart from jitter: injected errors and stalls are picked
//    from one process-wide count of /api/messages and /mcp requests, not by chance.

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Response = http::response<http::string_body>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::string_view kServerName = "vigil-sample-target";
constexpr std::string_view kVersion = "0.1.0";
constexpr std::uint64_t kMaxBodyBytes = 1024 * 1024;  // larger request bodies (and WS messages) are refused
constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
// A keep-alive connection may sit idle (or trickle a request) this long before it is closed.
constexpr auto kIdleTimeout = std::chrono::seconds(60);
// A client that stops reading its response is cut off after this.
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// After the last response on a connection we keep reading (and discarding) this long, so that
// bytes the client already sent cannot turn our close into a reset that destroys the response.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
// Upper bound for every millisecond setting: keeps timer arithmetic far from overflow.
constexpr std::uint64_t kMaxFaultMs = 3'600'000;

// ---------------------------------------------------------------------------------------------
// Small helpers

// Never throws: nlohmann's parser only yields valid UTF-8, but anything we echo that did not
// come through it (error messages quoting input) is repaired instead of aborting the reply.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The first max_chars code points of valid UTF-8 text (cutting bytes could split a character).
std::string utf8_prefix(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && chars++ == max_chars) return s.substr(0, i);
  }
  return s;
}

// Words are maximal runs of non-whitespace (ASCII whitespace), as a naive tokenizer counts them.
std::uint64_t count_words(const std::string& s) {
  std::uint64_t words = 0;
  bool in_word = false;
  for (const char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()};
  return rng();
}

std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string hex64(std::uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------------
// Fault settings

struct Faults {
  std::uint64_t latency_ms = 0;   // added to every reply on the faulty routes and WebSocket
  std::uint64_t jitter_ms = 0;    // plus a uniform 0..jitter_ms
  double error_rate = 0;          // fraction of faulty-route requests answered 500, in [0, 1]
  std::uint64_t stall_every = 0;  // every N-th faulty-route request (0: never) ...
  std::uint64_t stall_ms = 0;     // ... waits this much longer
};

json faults_json(const Faults& f) {
  return {{"latency_ms", f.latency_ms},
          {"jitter_ms", f.jitter_ms},
          {"error_rate", f.error_rate},
          {"stall_every", f.stall_every},
          {"stall_ms", f.stall_ms}};
}

// What to do to one request on a faulty route.
struct Plan {
  std::chrono::milliseconds delay{0};
  bool inject_error = false;
  bool stalled = false;
};

// ---------------------------------------------------------------------------------------------
// Routes, counters and metrics

enum Route : std::size_t {
  kMessages,
  kMcp,
  kWs,
  kMetrics,
  kHealthz,
  kAdminFaults,
  kAdminStats,
  kAdminReset,
  kOther,
  kRouteCount
};

struct RouteInfo {
  std::string_view path;       // also the metrics label
  std::string_view stats_key;  // key under "requests" in /admin/stats (the admin routes share one)
  bool faulty;                 // error, stall and latency injection apply
};

constexpr std::array<RouteInfo, kRouteCount> kRoutes{{
    {"/api/messages", "messages", true},
    {"/mcp", "mcp", true},
    {"/ws", "ws", false},
    {"/metrics", "metrics", false},
    {"/healthz", "healthz", false},
    {"/admin/faults", "admin", false},
    {"/admin/stats", "admin", false},
    {"/admin/reset", "admin", false},
    {"other", "other", false},
}};

Route classify(std::string_view target) {
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  for (std::size_t r = 0; r < kOther; ++r)
    if (kRoutes[r].path == path) return static_cast<Route>(r);
  return kOther;
}

enum Tool : std::size_t { kToolEcho, kToolAdd, kToolFail, kToolUnknown, kToolCount };
constexpr std::array<std::string_view, kToolCount> kToolNames{"echo", "add", "fail", "unknown"};

// What the target received, for tests to compare with what the client sent; /admin/reset zeroes
// all of it except ws_open, which is the number of connections open right now.
struct Stats {
  std::array<std::atomic<std::uint64_t>, kRouteCount> requests{};
  std::array<std::atomic<std::uint64_t>, kToolCount> tools{};
  std::atomic<std::uint64_t> ws_total{0};
  std::atomic<std::uint64_t> ws_open{0};
  std::atomic<std::uint64_t> ws_messages{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> injected_errors{0};
  std::atomic<std::uint64_t> stalls{0};

  void reset() {
    for (auto& c : requests) c = 0;
    for (auto& c : tools) c = 0;
    ws_total = 0;
    ws_messages = 0;
    bytes_received = 0;
    injected_errors = 0;
    stalls = 0;
  }

  json to_json() const {
    std::map<std::string, std::uint64_t> by_key;
    for (std::size_t r = 0; r < kRouteCount; ++r) by_key[std::string(kRoutes[r].stats_key)] += requests[r].load();
    json tool_counts = json::object();
    for (std::size_t t = 0; t < kToolCount; ++t) tool_counts[std::string(kToolNames[t])] = tools[t].load();
    return {{"requests", by_key},
            {"mcp_tools", tool_counts},
            {"ws_connections_total", ws_total.load()},
            {"ws_connections_open", ws_open.load()},
            {"ws_messages", ws_messages.load()},
            {"bytes_received", bytes_received.load()},
            {"injected_errors", injected_errors.load()},
            {"stalls", stalls.load()}};
  }
};

// Prometheus counters: monotonic for the life of the process (never touched by /admin/reset).
constexpr std::array<double, 13> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr std::array<std::string_view, 13> kBucketLabels{"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                                         "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

struct RouteMetrics {
  std::array<std::atomic<std::uint64_t>, 500> by_code{};               // status 100..599
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> hist{};  // per bucket (not cumulative), last: > 10 s
  std::atomic<std::uint64_t> sum_ns{0};
};

struct Metrics {
  std::array<RouteMetrics, kRouteCount> routes;
  std::atomic<std::uint64_t> ws_messages{0};
  // tools/call outcomes: [tool][0 = ok, 1 = error (a JSON-RPC error or isError: true)].
  std::array<std::array<std::atomic<std::uint64_t>, 2>, kToolCount> tool_calls{};

  void observe(Route route, unsigned status, Clock::duration took) {
    auto& m = routes[route];
    if (status >= 100 && status < 600) ++m.by_code[status - 100];
    const double secs = std::chrono::duration<double>(took).count();
    const auto b = std::lower_bound(kBuckets.begin(), kBuckets.end(), secs) - kBuckets.begin();
    ++m.hist[static_cast<std::size_t>(b)];
    m.sum_ns += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
  }

  std::string render(std::uint64_t ws_open) const {
    std::string out;
    char line[256];
    out += "# HELP http_requests_total HTTP requests answered, by route and status code.\n";
    out += "# TYPE http_requests_total counter\n";
    for (std::size_t r = 0; r < kRouteCount; ++r) {
      for (std::size_t c = 0; c < routes[r].by_code.size(); ++c) {
        const auto n = routes[r].by_code[c].load();
        if (n == 0) continue;
        std::snprintf(line, sizeof line, "http_requests_total{route=\"%.*s\",code=\"%zu\"} %llu\n",
                      static_cast<int>(kRoutes[r].path.size()), kRoutes[r].path.data(), c + 100,
                      static_cast<unsigned long long>(n));
        out += line;
      }
    }
    out += "# HELP http_request_duration_seconds Time from a complete request to its response written.\n";
    out += "# TYPE http_request_duration_seconds histogram\n";
    for (std::size_t r = 0; r < kRouteCount; ++r) {
      const auto route = kRoutes[r].path;
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
        cumulative += routes[r].hist[b].load();
        const std::string_view le = b < kBuckets.size() ? kBucketLabels[b] : "+Inf";
        std::snprintf(line, sizeof line, "http_request_duration_seconds_bucket{route=\"%.*s\",le=\"%.*s\"} %llu\n",
                      static_cast<int>(route.size()), route.data(), static_cast<int>(le.size()), le.data(),
                      static_cast<unsigned long long>(cumulative));
        out += line;
      }
      std::snprintf(line, sizeof line, "http_request_duration_seconds_sum{route=\"%.*s\"} %.9f\n",
                    static_cast<int>(route.size()), route.data(), static_cast<double>(routes[r].sum_ns.load()) / 1e9);
      out += line;
      // The count is the +Inf bucket, so the two always agree even while requests are recorded.
      std::snprintf(line, sizeof line, "http_request_duration_seconds_count{route=\"%.*s\"} %llu\n",
                    static_cast<int>(route.size()), route.data(), static_cast<unsigned long long>(cumulative));
      out += line;
    }
    out +=
        "# HELP tool_calls_total MCP tools/call requests, by tool and result (ok, or error: a JSON-RPC error or a "
        "result with isError).\n";
    out += "# TYPE tool_calls_total counter\n";
    for (std::size_t t = 0; t < kToolCount; ++t) {
      for (std::size_t r = 0; r < 2; ++r) {
        const auto n = tool_calls[t][r].load();
        if (n == 0) continue;
        std::snprintf(line, sizeof line, "tool_calls_total{tool=\"%.*s\",result=\"%s\"} %llu\n",
                      static_cast<int>(kToolNames[t].size()), kToolNames[t].data(), r ? "error" : "ok",
                      static_cast<unsigned long long>(n));
        out += line;
      }
    }
    out += "# HELP websocket_connections WebSocket connections open now.\n";
    out += "# TYPE websocket_connections gauge\n";
    out += "websocket_connections " + std::to_string(ws_open) + "\n";
    out += "# HELP websocket_messages_total WebSocket messages received.\n";
    out += "# TYPE websocket_messages_total counter\n";
    out += "websocket_messages_total " + std::to_string(ws_messages.load()) + "\n";
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// Process-wide state shared by all connections (thread-safe).

class State {
 public:
  explicit State(const Faults& faults) : faults_(faults), session_key_(random_u64()) {}

  Faults faults() const {
    std::lock_guard lock(mu_);
    return faults_;
  }

  // Replaces the settings and restarts the request count, so after this call the next stall is
  // exactly the stall_every-th faulty request and the error pattern starts over.
  void set_faults(const Faults& f) {
    std::lock_guard lock(mu_);
    faults_ = f;
    seq_ = 0;
  }

  // Numbers the request (n = 1, 2, ...) and decides its faults. The n-th request is an injected
  // error when floor(n * rate) steps up at n (integer parts per million), so exactly that fraction
  // of any run of requests fails, evenly spread; it stalls when n is a multiple of stall_every.
  Plan plan_http() {
    Faults f;
    std::uint64_t n = 0;
    {
      std::lock_guard lock(mu_);
      f = faults_;
      n = ++seq_;
    }
    Plan p;
    const auto ppm = static_cast<std::uint64_t>(std::llround(f.error_rate * 1e6));
    p.inject_error = ppm > 0 && (n * ppm) / 1'000'000 != ((n - 1) * ppm) / 1'000'000;
    p.stalled = f.stall_every > 0 && n % f.stall_every == 0;
    p.delay = base_delay(f) + std::chrono::milliseconds(p.stalled ? f.stall_ms : 0);
    if (p.inject_error) ++stats.injected_errors;
    if (p.stalled) ++stats.stalls;
    return p;
  }

  // WebSocket replies get latency and jitter only (no errors, no stalls).
  std::chrono::milliseconds ws_delay() const { return base_delay(faults()); }

  void reset() {
    {
      std::lock_guard lock(mu_);
      seq_ = 0;
    }
    stats.reset();
  }

  // Session ids are self-certifying (a random nonce and a keyed tag), so any number of sessions
  // costs no memory and an id this process did not issue is recognised as unknown.
  std::string new_session() const {
    const std::uint64_t nonce = random_u64();
    return hex64(nonce) + hex64(mix64(nonce ^ session_key_));
  }
  bool valid_session(std::string_view id) const {
    if (id.size() != 32) return false;
    std::uint64_t nonce = 0, tag = 0;
    const auto a = std::from_chars(id.data(), id.data() + 16, nonce, 16);
    const auto b = std::from_chars(id.data() + 16, id.data() + 32, tag, 16);
    return a.ec == std::errc() && a.ptr == id.data() + 16 && b.ec == std::errc() && b.ptr == id.data() + 32 &&
           tag == mix64(nonce ^ session_key_);
  }

  Stats stats;
  Metrics metrics;
  std::atomic<std::uint64_t> next_message_id{1};  // never reset: ids stay unique for the process

 private:
  static std::chrono::milliseconds base_delay(const Faults& f) {
    std::uint64_t ms = f.latency_ms;
    if (f.jitter_ms > 0) ms += random_u64() % (f.jitter_ms + 1);
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  }

  mutable std::mutex mu_;
  Faults faults_;         // guarded by mu_
  std::uint64_t seq_{0};  // faulty-route requests since start, reset or a faults change; guarded by mu_
  const std::uint64_t session_key_;
};

// ---------------------------------------------------------------------------------------------
// Route handlers: pure functions of the request and the state; the session adds version,
// keep-alive and Server headers.

Response json_reply(unsigned status, const json& body) {
  Response r{static_cast<http::status>(status), 11};
  r.set(http::field::content_type, "application/json");
  r.body() = dump(body);
  return r;
}

Response error_reply(unsigned status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

Response method_not_allowed(std::string_view method, std::string_view allowed, Route route) {
  Response r = error_reply(405, "method " + std::string(method) + " not allowed on " +
                                    std::string(kRoutes[route].path) + "; allowed: " + std::string(allowed));
  r.set(http::field::allow, allowed);
  return r;
}

// Parses a JSON object body; on failure fills `error` with the 400 reply to send.
std::optional<json> parse_object(const std::string& body, std::optional<Response>& error) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    error = error_reply(400, "body is not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    error = error_reply(400, "body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

// POST /api/messages {"user", "conversation", "text"} -> {"id", "conversation", "reply", "tokens"}.
Response handle_messages(State& state, const std::string& body) {
  std::optional<Response> error;
  const auto msg = parse_object(body, error);
  if (!msg) return std::move(*error);
  for (const char* field : {"user", "conversation", "text"}) {
    const auto it = msg->find(field);
    if (it == msg->end() || !it->is_string())
      return error_reply(400, std::string("field \"") + field + "\" must be a string");
  }
  const auto& text = (*msg)["text"].get_ref<const std::string&>();
  return json_reply(200, {{"id", state.next_message_id++},
                          {"conversation", (*msg)["conversation"]},
                          {"reply", "echo: " + utf8_prefix(text, 64)},
                          {"tokens", count_words(text)}});
}

// ---- MCP (JSON-RPC 2.0 over streamable HTTP, always answered as application/json)

json rpc_error(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

json rpc_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json tool_result(const std::string& text, bool is_error) {
  return {{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", is_error}};
}

const json& tools_list() {
  static const json tools = json::array({
      {{"name", "echo"},
       {"description", "Returns its \"text\" argument unchanged."},
       {"inputSchema",
        {{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}, {"required", json::array({"text"})}}}},
      {{"name", "add"},
       {"description", "Returns the sum of the numbers \"a\" and \"b\"."},
       {"inputSchema",
        {{"type", "object"},
         {"properties", {{"a", {{"type", "number"}}}, {"b", {{"type", "number"}}}}},
         {"required", json::array({"a", "b"})}}}},
      {{"name", "fail"},
       {"description", "Always fails: returns a result with isError true."},
       {"inputSchema", {{"type", "object"}, {"properties", json::object()}}}},
  });
  return tools;
}

// a + b as text: exact for integers that fit int64 (and their sum), otherwise as a double.
std::string add_numbers(const json& a, const json& b) {
  const auto fits = [](const json& v) {
    return v.is_number_integer() && (!v.is_number_unsigned() ||
                                     v.get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()});
  };
  if (fits(a) && fits(b)) {
    const auto x = a.get<std::int64_t>();
    const auto y = b.get<std::int64_t>();
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    if (!((y > 0 && x > kMax - y) || (y < 0 && x < kMin - y))) return std::to_string(x + y);
  }
  return dump(json(a.get<double>() + b.get<double>()));
}

json call_tool_unrecorded(State& state, const json& id, const json& msg);

// tools/call, its outcome counted in tool_calls_total.
json call_tool(State& state, const json& id, const json& msg) {
  json reply = call_tool_unrecorded(state, id, msg);
  std::size_t tool = kToolUnknown;
  if (const auto p = msg.find("params"); p != msg.end() && p->is_object()) {
    if (const auto n = p->find("name"); n != p->end() && n->is_string())
      for (std::size_t t = 0; t < kToolUnknown; ++t)
        if (kToolNames[t] == n->get_ref<const std::string&>()) tool = t;
  }
  const auto result = reply.find("result");
  const bool failed =
      reply.contains("error") || (result != reply.end() && result->is_object() && result->value("isError", false));
  ++state.metrics.tool_calls[tool][failed ? 1 : 0];
  return reply;
}

json call_tool_unrecorded(State& state, const json& id, const json& msg) {
  const auto params = msg.find("params");
  if (params == msg.end() || !params->is_object())
    return rpc_error(id, -32602, "Invalid params: tools/call needs params {\"name\", \"arguments\"}");
  const auto name_it = params->find("name");
  if (name_it == params->end() || !name_it->is_string())
    return rpc_error(id, -32602, "Invalid params: \"name\" must be a string");
  json args = json::object();
  if (const auto a = params->find("arguments"); a != params->end() && !a->is_null()) {
    if (!a->is_object()) return rpc_error(id, -32602, "Invalid params: \"arguments\" must be an object");
    args = *a;
  }
  const auto& name = name_it->get_ref<const std::string&>();
  if (name == "echo") {
    ++state.stats.tools[kToolEcho];
    const auto text = args.find("text");
    if (text == args.end() || !text->is_string())
      return rpc_error(id, -32602, "Invalid params: echo needs a string argument \"text\"");
    return rpc_result(id, tool_result(text->get<std::string>(), false));
  }
  if (name == "add") {
    ++state.stats.tools[kToolAdd];
    const auto a = args.find("a");
    const auto b = args.find("b");
    if (a == args.end() || b == args.end() || !a->is_number() || !b->is_number())
      return rpc_error(id, -32602, "Invalid params: add needs number arguments \"a\" and \"b\"");
    return rpc_result(id, tool_result(add_numbers(*a, *b), false));
  }
  if (name == "fail") {
    ++state.stats.tools[kToolFail];
    return rpc_result(id, tool_result("fail: this tool always fails", true));
  }
  ++state.stats.tools[kToolUnknown];
  return rpc_error(id, -32602, "Unknown tool: " + name);
}

// Transport-level refusals (unparseable, not a request, no session) are HTTP 400 with a JSON-RPC
// error; a well-formed request always gets HTTP 200, with a result or a JSON-RPC error.
Response handle_mcp(State& state, const http::request<http::string_body>& req) {
  const json msg = json::parse(req.body(), nullptr, false);
  if (msg.is_discarded()) return json_reply(400, rpc_error(nullptr, -32700, "Parse error: body is not valid JSON"));
  if (msg.is_array()) return json_reply(400, rpc_error(nullptr, -32600, "Invalid Request: batches are not supported"));
  if (!msg.is_object()) return json_reply(400, rpc_error(nullptr, -32600, "Invalid Request: not a JSON-RPC object"));
  const auto id_it = msg.find("id");
  const bool is_request = id_it != msg.end();
  const json id = is_request ? *id_it : json(nullptr);
  if (is_request && !id.is_string() && !id.is_number() && !id.is_null())
    return json_reply(400, rpc_error(nullptr, -32600, "Invalid Request: id must be a string or a number"));
  const auto version = msg.find("jsonrpc");
  if (version == msg.end() || *version != "2.0")
    return json_reply(400, rpc_error(id, -32600, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
  const auto method_it = msg.find("method");
  const bool is_client_response = method_it == msg.end() && (msg.contains("result") || msg.contains("error"));
  if (!is_client_response && (method_it == msg.end() || !method_it->is_string()))
    return json_reply(400, rpc_error(id, -32600, "Invalid Request: \"method\" must be a string"));

  if (!is_client_response && *method_it == "initialize") {
    if (!is_request) return json_reply(400, rpc_error(nullptr, -32600, "Invalid Request: initialize needs an id"));
    Response r = json_reply(200, rpc_result(id, {{"protocolVersion", "2025-03-26"},
                                                 {"capabilities", {{"tools", json::object()}}},
                                                 {"serverInfo", {{"name", kServerName}, {"version", kVersion}}}}));
    r.set("Mcp-Session-Id", state.new_session());
    return r;
  }
  const auto session = req["Mcp-Session-Id"];
  if (session.empty())
    return json_reply(400, rpc_error(id, -32000, "Bad Request: missing Mcp-Session-Id header (call initialize first)"));
  if (!state.valid_session(std::string_view(session.data(), session.size())))
    return json_reply(400, rpc_error(id, -32000, "Bad Request: unknown Mcp-Session-Id"));

  // Notifications (no id) and responses from the client are accepted without a body.
  if (is_client_response || !is_request) return Response{http::status::accepted, 11};

  const auto& method = method_it->get_ref<const std::string&>();
  if (method == "ping") return json_reply(200, rpc_result(id, json::object()));
  if (method == "tools/list") return json_reply(200, rpc_result(id, {{"tools", tools_list()}}));
  if (method == "tools/call") return json_reply(200, call_tool(state, id, msg));
  return json_reply(200, rpc_error(id, -32601, "Method not found: " + method));
}

// ---- admin

// Validates the whole body before changing anything, so a bad field leaves the settings as they were.
Response handle_faults_update(State& state, const std::string& body) {
  std::optional<Response> error;
  const auto msg = parse_object(body, error);
  if (!msg) return std::move(*error);
  Faults f = state.faults();
  for (const auto& [key, value] : msg->items()) {
    std::uint64_t* ms = key == "latency_ms"    ? &f.latency_ms
                        : key == "jitter_ms"   ? &f.jitter_ms
                        : key == "stall_every" ? &f.stall_every
                        : key == "stall_ms"    ? &f.stall_ms
                                               : nullptr;
    if (ms) {
      if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<std::int64_t>() < 0) ||
          value.get<std::uint64_t>() > kMaxFaultMs)
        return error_reply(400, "\"" + key + "\" must be an integer in 0.." + std::to_string(kMaxFaultMs));
      *ms = value.get<std::uint64_t>();
    } else if (key == "error_rate") {
      if (!value.is_number() || !(value.get<double>() >= 0 && value.get<double>() <= 1))
        return error_reply(400, "\"error_rate\" must be a number in 0..1");
      f.error_rate = value.get<double>();
    } else {
      return error_reply(
          400, "unknown field \"" + key + "\" (known: latency_ms, jitter_ms, error_rate, stall_every, stall_ms)");
    }
  }
  state.set_faults(f);
  return json_reply(200, faults_json(f));
}

Response dispatch(State& state, Route route, const http::request<http::string_body>& req) {
  const auto method = req.method();
  const auto method_name = req.method_string();
  switch (route) {
    case kMessages:
      if (method != http::verb::post) return method_not_allowed(method_name, "POST", route);
      return handle_messages(state, req.body());
    case kMcp:
      // No server-initiated SSE stream and no session deletion: GET and DELETE are 405 as the
      // streamable HTTP transport allows.
      if (method != http::verb::post) return method_not_allowed(method_name, "POST", route);
      return handle_mcp(state, req);
    case kWs: {
      if (method != http::verb::get) return method_not_allowed(method_name, "GET", route);
      Response r = error_reply(426, "/ws needs a WebSocket upgrade request");
      r.set(http::field::upgrade, "websocket");
      return r;
    }
    case kMetrics: {
      if (method != http::verb::get) return method_not_allowed(method_name, "GET", route);
      Response r{http::status::ok, 11};
      r.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      r.body() = state.metrics.render(state.stats.ws_open.load());
      return r;
    }
    case kHealthz: {
      if (method != http::verb::get) return method_not_allowed(method_name, "GET", route);
      Response r{http::status::ok, 11};
      r.set(http::field::content_type, "text/plain; charset=utf-8");
      r.body() = "ok";
      return r;
    }
    case kAdminFaults:
      if (method == http::verb::get) return json_reply(200, faults_json(state.faults()));
      if (method == http::verb::post) return handle_faults_update(state, req.body());
      return method_not_allowed(method_name, "GET, POST", route);
    case kAdminStats:
      if (method != http::verb::get) return method_not_allowed(method_name, "GET", route);
      return json_reply(200, state.stats.to_json());
    case kAdminReset:
      if (method != http::verb::post) return method_not_allowed(method_name, "POST", route);
      state.reset();
      return json_reply(200, state.stats.to_json());
    case kOther:
    case kRouteCount: break;
  }
  const auto target = req.target();
  return error_reply(404, "no route for " + std::string(method_name) + " " + std::string(target.data(), target.size()));
}

// ---------------------------------------------------------------------------------------------
// WebSocket chat echo. Reads one message, waits the injected latency, answers, reads the next:
// replies on a connection keep the order of the messages. An idle connection costs a socket and
// a pending read, no thread and no timer (there is no idle timeout).

std::string ws_reply(const std::string& in) {
  const json msg = json::parse(in, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) return in;  // not a chat message: echoed unchanged
  json out = json::object();
  if (const auto id = msg.find("id"); id != msg.end()) out["id"] = *id;
  const auto text = msg.find("text");
  out["reply"] = "echo: " + (text != msg.end() && text->is_string() ? text->get<std::string>() : std::string());
  out["ts"] = unix_ms();
  return dump(out);
}

// Stream: beast::tcp_stream, or TlsStream with --tls-cert (wss).
template <class Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>> {
  using std::enable_shared_from_this<WsSession<Stream>>::shared_from_this;

 public:
  WsSession(Stream&& stream, State& state) : ws_(std::move(stream)), timer_(ws_.get_executor()), state_(state) {}
  ~WsSession() {
    if (open_) --state_.stats.ws_open;
  }

  void run(http::request<http::string_body> req, Clock::time_point start) {
    req_ = std::move(req);
    start_ = start;
    // Suggested server timeouts: a handshake deadline but no idle timeout and no pings, so
    // thousands of idle connections stay open without any work.
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, kServerName); }));
    ws_.read_message_max(kMaxBodyBytes);
    ws_.auto_fragment(false);  // every reply is one frame, whatever its size: simpler for minimal clients
    ws_.async_accept(req_, beast::bind_front_handler(&WsSession<Stream>::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec) {
    state_.metrics.observe(kWs, ec ? 400 : 101, Clock::now() - start_);
    if (ec) return;  // Beast has answered the bad handshake; dropping the session closes the socket
    req_ = {};
    open_ = true;
    ++state_.stats.ws_open;
    ++state_.stats.ws_total;
    read();
  }

  void read() { ws_.async_read(buffer_, beast::bind_front_handler(&WsSession<Stream>::on_read, shared_from_this())); }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) return;  // closed by the peer, reset, or a protocol error: the session ends
    ++state_.stats.ws_messages;
    ++state_.metrics.ws_messages;
    state_.stats.bytes_received += bytes;
    out_text_ = ws_.got_text();
    out_ = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (out_text_) out_ = ws_reply(out_);  // binary frames are echoed as they came
    const auto delay = state_.ws_delay();
    if (delay.count() == 0) return write();
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code tec) {
      if (!tec) self->write();
    });
  }

  void write() {
    ws_.text(out_text_);
    ws_.async_write(asio::buffer(out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->read();
    });
  }

  websocket::stream<Stream> ws_;
  asio::steady_timer timer_;
  State& state_;
  http::request<http::string_body> req_;  // the upgrade request, kept until the handshake completes
  Clock::time_point start_;
  beast::flat_buffer buffer_;
  std::string out_;
  bool out_text_ = true;
  bool open_ = false;
};

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 connection: one request at a time, answered before the next is parsed, so pipelined
// requests are answered in order (bytes of later requests wait in buffer_).

// Stream: beast::tcp_stream, or TlsStream with --tls-cert (https; the handshake comes first).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;

 public:
  HttpSession(tcp::socket socket, State& state, asio::ssl::context* tls)
      : stream_(make(std::move(socket), tls)), timer_(stream_.get_executor()), state_(state) {}

  void run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest().expires_after(kIdleTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->close_now();  // not TLS, or a client that does not trust us
        self->read_header();
      });
    } else {
      read_header();
    }
  }

 private:
  static Stream make(tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, TlsStream>)
      return Stream(std::move(socket), *tls);
    else
      return Stream(std::move(socket));
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    received_ = 0;
    lowest().expires_after(kIdleTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession<Stream>::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t bytes) {
    received_ += bytes;
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
      // libcurl sends "Expect: 100-continue" with larger bodies and otherwise waits a second
      // before sending the body, which would show up as a phantom second of latency.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      lowest().expires_after(kWriteTimeout);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    lowest().expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession<Stream>::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    received_ += bytes;
    if (ec) return on_read_error(ec);
    handle();
  }

  void on_read_error(beast::error_code ec) {
    // Socket trouble (reset, timeout, EOF between requests) or a client that hung up mid-request:
    // there is nobody to answer.
    if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
        ec == http::error::end_of_stream || ec == http::error::partial_message)
      return close_now();
    route_ = parser_->is_header_done() ? classify(parser_->get().target()) : kOther;
    ++state_.stats.requests[route_];
    if (ec == http::error::body_limit) return send_error(413, "request body larger than 1 MiB");
    if (ec == http::error::header_limit) return send_error(431, "request header too large");
    // Any other parse error: answered, then closed, since the parser cannot find the next request.
    send_error(400, "bad request: " + ec.message());
  }

  void send_error(unsigned status, const std::string& message) {
    start_ = Clock::now();
    version_ = 11;
    keep_alive_ = false;
    res_ = error_reply(status, message);
    write();
  }

  void handle() {
    auto& req = parser_->get();
    start_ = Clock::now();
    route_ = classify(req.target());
    ++state_.stats.requests[route_];
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    if (route_ == kWs && req.method() == http::verb::get && websocket::is_upgrade(req)) {
      state_.stats.bytes_received += received_;
      lowest().expires_never();  // the WebSocket stream has its own timeouts
      std::make_shared<WsSession<Stream>>(std::move(stream_), state_)->run(parser_->release(), start_);
      return;
    }
    if (!kRoutes[route_].faulty) {
      res_ = dispatch(state_, route_, req);
      return write();
    }
    state_.stats.bytes_received += received_;
    const Plan plan = state_.plan_http();
    res_ = plan.inject_error ? error_reply(500, "injected") : dispatch(state_, route_, req);
    if (plan.delay.count() == 0) return write();
    timer_.expires_after(plan.delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close_now();
      self->write();
    });
  }

  void write() {
    res_.version(version_);
    res_.set(http::field::server, kServerName);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    lowest().expires_after(kWriteTimeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&HttpSession<Stream>::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    state_.metrics.observe(route_, res_.result_int(), Clock::now() - start_);
    if (ec) return close_now();
    if (!keep_alive_) return linger_close();
    read_header();
  }

  // Graceful close: send FIN, then discard whatever the client still sends until it closes too
  // (or kLingerTimeout passes), so unread input cannot make the kernel reset the connection
  // before the client has read our last response.
  void linger_close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    lowest().expires_after(kLingerTimeout);  // one deadline for the whole drain
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close_now();
      self->drain();
    });
  }

  void close_now() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

  Stream stream_;
  asio::steady_timer timer_;
  State& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  Route route_ = kOther;
  Clock::time_point start_;
  std::uint64_t received_ = 0;  // bytes of the current request as the parser consumed them
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::array<char, 4096> drain_{};
};

// ---------------------------------------------------------------------------------------------
// Acceptor

class Listener {
 public:
  Listener(asio::io_context& ioc, tcp::acceptor& acceptor, State& state, asio::ssl::context* tls)
      : ioc_(ioc), acceptor_(acceptor), pause_(ioc), state_(state), tls_(tls) {}

  void accept() {
    // Each connection gets its own strand: its handlers never run concurrently, on any thread.
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_)
          std::make_shared<HttpSession<TlsStream>>(std::move(socket), state_, tls_)->run();
        else
          std::make_shared<HttpSession<beast::tcp_stream>>(std::move(socket), state_, nullptr)->run();
        return accept();
      }
      // Out of descriptors (EMFILE, ENFILE) or memory: retry shortly, on a timer, instead of
      // spinning on accept. Transient per-connection errors are already retried inside Asio.
      std::fprintf(stderr, "vigil_sample_target: accept: %s\n", ec.message().c_str());
      pause_.expires_after(std::chrono::milliseconds(50));
      pause_.async_wait([this](beast::error_code tec) {
        if (!tec) accept();
      });
    });
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor& acceptor_;
  asio::steady_timer pause_;
  State& state_;
  asio::ssl::context* tls_;  // null: plain HTTP
};

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 2;
  Faults faults;
  std::string tls_cert, tls_key;  // PEM files: serve https and wss instead of http and ws
};

constexpr const char* kUsage =
    "usage: vigil_sample_target [--listen HOST:PORT] [--threads N] [--latency-ms N] [--jitter-ms N]\n"
    "                           [--error-rate F] [--stall-every N --stall-ms M]\n"
    "  --listen HOST:PORT  address to bind (default 127.0.0.1:8080; port 0 picks a free port;\n"
    "                      IPv6 as [::1]:PORT)\n"
    "  --threads N         io_context threads (default 2)\n"
    "  --latency-ms N      delay every /api/messages, /mcp and WebSocket reply by N ms\n"
    "  --jitter-ms N       plus a uniform random 0..N ms\n"
    "  --error-rate F      answer this fraction (0..1) of /api/messages and /mcp with 500\n"
    "  --stall-every N     every N-th /api/messages or /mcp request (process-wide) ...\n"
    "  --stall-ms M        ... waits M ms more before its reply\n"
    "  --tls-cert FILE     serve https and wss with this PEM certificate (chain) ...\n"
    "  --tls-key FILE      ... and this PEM private key\n"
    "Prints \"listening on HOST:PORT\" on stdout once ready; SIGINT/SIGTERM stop it.\n";

bool parse_u64(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > max) return false;
  out = v;
  return true;
}

// Returns an error message, or nothing when the options are valid.
std::optional<std::string> parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    bool has_value = false;
    if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "--help" || name == "-h") return std::string();
    static constexpr std::array<std::string_view, 9> kKnown{"--listen",    "--threads",    "--latency-ms",
                                                            "--jitter-ms", "--error-rate", "--stall-every",
                                                            "--stall-ms",  "--tls-cert",   "--tls-key"};
    if (std::find(kKnown.begin(), kKnown.end(), name) == kKnown.end()) return "unknown option " + name;
    if (!has_value) {
      if (i + 1 >= argc) return name + " needs a value";
      value = argv[++i];
    }
    std::uint64_t n = 0;
    if (name == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) return "--listen wants HOST:PORT, got \"" + value + "\"";
      std::string host = value.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      beast::error_code ec;
      asio::ip::make_address(host, ec);
      if (ec) return "--listen: \"" + host + "\" is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or [::1])";
      if (!parse_u64(value.substr(colon + 1), 65535, n)) return "--listen: bad port in \"" + value + "\"";
      opt.host = host;
      opt.port = static_cast<std::uint16_t>(n);
    } else if (name == "--threads") {
      if (!parse_u64(value, 256, n) || n == 0) return "--threads must be an integer in 1..256";
      opt.threads = static_cast<unsigned>(n);
    } else if (name == "--latency-ms" || name == "--jitter-ms" || name == "--stall-every" || name == "--stall-ms") {
      if (!parse_u64(value, kMaxFaultMs, n)) return name + " must be an integer in 0.." + std::to_string(kMaxFaultMs);
      (name == "--latency-ms"    ? opt.faults.latency_ms
       : name == "--jitter-ms"   ? opt.faults.jitter_ms
       : name == "--stall-every" ? opt.faults.stall_every
                                 : opt.faults.stall_ms) = n;
    } else if (name == "--tls-cert" || name == "--tls-key") {
      (name == "--tls-cert" ? opt.tls_cert : opt.tls_key) = value;
    } else if (name == "--error-rate") {
      double f = -1;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), f);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || !(f >= 0 && f <= 1))
        return "--error-rate must be a number in 0..1";
      opt.faults.error_rate = f;
    }
  }
  if (opt.tls_cert.empty() != opt.tls_key.empty()) return "--tls-cert and --tls-key go together";
  return std::nullopt;
}

// Thousands of idle WebSocket clients need thousands of descriptors: take the whole hard limit.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  std::fprintf(stderr, "vigil_sample_target: open file limit %llu\n", static_cast<unsigned long long>(rl.rlim_cur));
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (const auto err = parse_args(argc, argv, opt)) {
    if (err->empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "vigil_sample_target: %s\n%s", err->c_str(), kUsage);
    return 2;
  }
  raise_fd_limit();
  ::signal(SIGPIPE, SIG_IGN);

  // Declared first so it outlives the io_context, whose destruction destroys pending handlers and
  // with them the sessions that refer to it.
  State state(opt.faults);
  asio::io_context ioc(static_cast<int>(opt.threads));

  tcp::acceptor acceptor(ioc);
  const tcp::endpoint ep(asio::ip::make_address(opt.host), opt.port);
  beast::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "vigil_sample_target: cannot listen on %s:%u: %s\n", opt.host.c_str(), opt.port,
                 ec.message().c_str());
    return 1;
  }

  // Installed before the "listening" line: a parent may send SIGTERM as soon as it reads it.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    beast::error_code ignored;
    acceptor.close(ignored);
    ioc.stop();
  });

  std::unique_ptr<asio::ssl::context> tls;
  if (!opt.tls_cert.empty()) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain_file(opt.tls_cert, ec);
    if (!ec) tls->use_private_key_file(opt.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      std::fprintf(stderr, "vigil_sample_target: --tls-cert %s / --tls-key %s: %s\n", opt.tls_cert.c_str(),
                   opt.tls_key.c_str(), ec.message().c_str());
      return 2;
    }
  }
  Listener listener(ioc, acceptor, state, tls.get());
  listener.accept();

  const auto bound = acceptor.local_endpoint();
  const std::string shown =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  std::printf("listening on %s:%u\n", shown.c_str(), static_cast<unsigned>(bound.port()));
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < opt.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}
