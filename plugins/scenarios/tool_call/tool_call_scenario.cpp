// The tool_call scenario: MCP-style JSON-RPC 2.0 over streamable HTTP. Before the load it runs
// the session's handshake as setup steps (`initialize`, then the `notifications/initialized`
// notification) and keeps the Mcp-Session-Id the server gives; then every request is a
// `tools/call` of a tool drawn from a weighted mix, carrying that session. A JSON-RPC `error`
// reply and a result with `isError: true` both count as failures, each with its reason; replies
// sent as an SSE stream (text/event-stream) are read from their last `data:` line.
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>
#include <vigil/plugin.hpp>

namespace {

using nlohmann::json;
using vigil::sdk::Context;
using vigil::sdk::Error;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Tool {
  std::string name;
  json arguments;
  uint64_t weight = 1;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The JSON-RPC message of a reply: the body, or the last `data:` line of an SSE stream.
json message_of(const vigil_http_reply& r) {
  std::string_view body(static_cast<const char*>(r.body), r.body_len);
  bool sse = false;
  for (size_t i = 0; i < r.n_headers; ++i)
    if (lower(std::string(r.headers[i].name.ptr, r.headers[i].name.len)) == "content-type" &&
        std::string_view(r.headers[i].value.ptr, r.headers[i].value.len).find("text/event-stream") !=
            std::string_view::npos)
      sse = true;
  if (sse) {
    std::string_view last;
    for (size_t at = 0; at < body.size();) {
      auto end = body.find('\n', at);
      if (end == std::string_view::npos) end = body.size();
      auto line = body.substr(at, end - at);
      if (line.substr(0, 5) == "data:") last = line.substr(5);
      at = end + 1;
    }
    body = last;
  }
  return json::parse(body.begin(), body.end(), nullptr, false);
}

class ToolCall {
 public:
  explicit ToolCall(Context& ctx) {
    path_ = ctx.get_string("path").value_or("/mcp");
    if (path_.empty() || path_[0] != '/') throw Error(VIGIL_E_CONFIG, "\"path\" must start with '/', e.g. \"/mcp\"");
    protocol_ = ctx.get_string("protocol_version").value_or("2025-03-26");
    headers_ = ctx.get_string_map("headers");
    seed_ = static_cast<uint64_t>(ctx.get_int("seed").value_or(1));
    const size_t n = ctx.count("tools");
    if (n == 0)
      throw Error(VIGIL_E_CONFIG,
                  "no tools: add [[scenarios.tool_call.tools]] tables with name (and arguments, weight), e.g. "
                  "tools = [{ name = \"search\", arguments = '{\"query\": \"status\"}' }]");
    for (size_t i = 0; i < n; ++i) {
      const std::string at = "tools[" + std::to_string(i) + "]";
      Tool t;
      t.name = ctx.get_string(at + ".name").value_or("");
      if (t.name.empty()) throw Error(VIGIL_E_CONFIG, "\"" + at + ".name\" is required: the tool to call");
      const std::string args = ctx.get_string(at + ".arguments").value_or("{}");
      t.arguments = json::parse(args, nullptr, false);
      if (t.arguments.is_discarded() || !t.arguments.is_object())
        throw Error(VIGIL_E_CONFIG, "\"" + at + ".arguments\" must be a JSON object, e.g. '{\"query\": \"status\"}'");
      const int64_t w = ctx.get_int(at + ".weight").value_or(1);
      if (w < 1) throw Error(VIGIL_E_CONFIG, "\"" + at + ".weight\" must be at least 1");
      t.weight = static_cast<uint64_t>(w);
      total_weight_ += t.weight;
      tools_.push_back(std::move(t));
    }
  }

  bool build_setup(Context&, uint32_t step, vigil::sdk::HttpRequestBuilder& req) {
    if (step > 1) return false;
    request_head(req);
    if (step == 0) {
      req.tag("initialize");
      req.body(json{{"jsonrpc", "2.0"},
                    {"id", 0},
                    {"method", "initialize"},
                    {"params",
                     {{"protocolVersion", protocol_},
                      {"capabilities", json::object()},
                      {"clientInfo", {{"name", "vigil-bench"}, {"version", "1"}}}}}}
                   .dump());
    } else {
      req.tag("notifications/initialized");
      req.body(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
    }
    return true;
  }

  void check_setup(Context&, uint32_t step, const vigil_http_reply& reply) {
    if (reply.status_code < 200 || reply.status_code > 299)
      throw Error(VIGIL_E_INVALID, std::string(step == 0 ? "initialize" : "notifications/initialized") +
                                       " answered HTTP " + std::to_string(reply.status_code) +
                                       " (is \"path\" the server's MCP endpoint?)");
    if (step != 0) return;
    const json m = message_of(reply);
    if (m.is_discarded() || !m.is_object()) throw Error(VIGIL_E_INVALID, "initialize: the reply is not JSON-RPC");
    if (m.contains("error"))
      throw Error(VIGIL_E_INVALID, "initialize was refused: " + m["error"].value("message", m["error"].dump()));
    if (!m.contains("result")) throw Error(VIGIL_E_INVALID, "initialize: the reply has no result");
    for (size_t i = 0; i < reply.n_headers; ++i)
      if (lower(std::string(reply.headers[i].name.ptr, reply.headers[i].name.len)) == "mcp-session-id")
        session_.assign(reply.headers[i].value.ptr, reply.headers[i].value.len);
  }

  void build_http(Context&, uint64_t seq, vigil::sdk::HttpRequestBuilder& req) {
    const Tool& t = pick(seq);
    request_head(req);
    req.tag("tools/call " + t.name);
    req.body(json{{"jsonrpc", "2.0"},
                  {"id", seq + 1},
                  {"method", "tools/call"},
                  {"params", {{"name", t.name}, {"arguments", t.arguments}}}}
                 .dump());
  }

  void check_http(Context&, uint64_t seq, const vigil_http_reply& reply) {
    if (reply.status_code < 200 || reply.status_code > 299)
      throw Error(VIGIL_E_INVALID, "HTTP " + std::to_string(reply.status_code));
    const json m = message_of(reply);
    if (m.is_discarded() || !m.is_object()) throw Error(VIGIL_E_INVALID, "the reply is not JSON-RPC");
    if (m.contains("error")) {
      const auto& e = m["error"];
      throw Error(VIGIL_E_INVALID, "JSON-RPC error " + (e.contains("code") ? e["code"].dump() : std::string("?")) +
                                       ": " + e.value("message", std::string()));
    }
    if (!m.contains("result") || m.value("id", json()) != json(seq + 1))
      throw Error(VIGIL_E_INVALID, "the reply is not the result of call " + std::to_string(seq + 1));
    const auto& r = m["result"];
    if (r.is_object() && r.value("isError", false)) {
      std::string text;
      if (r.contains("content") && r["content"].is_array() && !r["content"].empty())
        text = r["content"][0].value("text", std::string());
      throw Error(VIGIL_E_INVALID, "tool " + pick(seq).name + " reported an error" + (text.empty() ? "" : ": " + text));
    }
  }

 private:
  void request_head(vigil::sdk::HttpRequestBuilder& req) const {
    req.method("POST");
    req.target(path_);
    req.header("Content-Type", "application/json");
    req.header("Accept", "application/json, text/event-stream");
    req.header("MCP-Protocol-Version", protocol_);
    if (!session_.empty()) req.header("Mcp-Session-Id", session_);
    for (const auto& [k, v] : headers_) req.header(k, v);
  }
  const Tool& pick(uint64_t seq) const {
    uint64_t r = mix(seed_ ^ mix(seq)) % total_weight_;
    for (const auto& t : tools_) {
      if (r < t.weight) return t;
      r -= t.weight;
    }
    return tools_.back();
  }

  std::string path_, protocol_;
  std::string session_;  // written by check_setup before the load, only read during it
  vigil::sdk::Labels headers_;
  std::vector<Tool> tools_;
  uint64_t total_weight_ = 0, seed_ = 1;
};

const vigil_config_key kSchema[] = {
    {"path", VIGIL_CFG_STRING, "/mcp", 0, "the MCP endpoint, after the target URL"},
    {"protocol_version", VIGIL_CFG_STRING, "2025-03-26", 0, "sent in initialize and MCP-Protocol-Version"},
    {"headers", VIGIL_CFG_SECRET_MAP, nullptr, 0, "extra request headers, e.g. Authorization"},
    {"seed", VIGIL_CFG_INT, "1", 0, "seed of the tool mix (same seed, same sequence of calls)"},
    {"tools", VIGIL_CFG_TABLE_ARRAY, nullptr, 1, "the tools to call: name, arguments, weight"},
    {"tools[].name", VIGIL_CFG_STRING, nullptr, 1, "the tool's name"},
    {"tools[].arguments", VIGIL_CFG_STRING, "{}", 0, "its arguments, a JSON object"},
    {"tools[].weight", VIGIL_CFG_INT, "1", 0, "its share of the calls, relative to the others"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_HTTP_SCENARIO(ToolCall, "tool_call", "1.0.0",
                        "MCP tools/call over streamable HTTP: session setup, weighted tool mix, error checks", kSchema);
