// The http_message scenario: "send a message" to a chat endpoint. Each request's JSON body is
// built from a template whose {{variables}} are filled per request: the sequence number, a user
// and a conversation id drawn from configured populations, and random text of a size range.
// Every value derives from the request's sequence number and `seed`, so a run is repeatable.
// Replies are checked for a status and, optionally, for JSON fields.
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

constexpr const char* kDefaultBody =
    R"({"user": "{{user}}", "conversation": "{{conversation}}", "text": "{{text}}", "seq": {{seq}}})";

// SplitMix64: a well-mixed value per (seed, seq, stream), no state shared between threads.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const char* const kWords[] = {"hello",   "deploy", "status", "message", "agent",   "tool",    "search",
                              "weather", "report", "please", "thanks",  "summary", "today",   "latency",
                              "queue",   "retry",  "cache",  "answer",  "quick",   "question"};

class HttpMessage {
 public:
  explicit HttpMessage(Context& ctx) {
    method_ = ctx.get_string("method").value_or("POST");
    path_ = ctx.get_string("path").value_or("/api/messages");
    if (path_.empty() || path_[0] != '/')
      throw Error(VIGIL_E_CONFIG, "\"path\" must start with '/', e.g. \"/api/messages\"");
    body_ = ctx.get_string("body_template").value_or(kDefaultBody);
    content_type_ = ctx.get_string("content_type").value_or("application/json");
    headers_ = ctx.get_string_map("headers");
    users_ = ctx.get_int("users").value_or(1000);
    conversations_ = ctx.get_int("conversations").value_or(100);
    text_min_ = ctx.get_int("text_min").value_or(20);
    text_max_ = ctx.get_int("text_max").value_or(200);
    seed_ = static_cast<uint64_t>(ctx.get_int("seed").value_or(1));
    expect_status_ = ctx.get_int("expect_status").value_or(0);
    expect_fields_ = ctx.get_string_array("expect_fields");
    tag_ = ctx.get_string("tag").value_or("send_message");
    if (users_ < 1 || conversations_ < 1)
      throw Error(VIGIL_E_CONFIG, "\"users\" and \"conversations\" must be at least 1");
    if (text_min_ < 0 || text_max_ < text_min_)
      throw Error(VIGIL_E_CONFIG, "\"text_min\" must be 0 or more and \"text_max\" at least \"text_min\"");
    if (expect_status_ != 0 && (expect_status_ < 100 || expect_status_ > 599))
      throw Error(VIGIL_E_CONFIG, "\"expect_status\" must be an HTTP status (100-599), or 0 for any 2xx");
    // Unknown {{variables}} are a configuration error, not a request full of braces.
    for (size_t at = body_.find("{{"); at != std::string::npos; at = body_.find("{{", at + 2)) {
      const auto end = body_.find("}}", at);
      const std::string name = end == std::string::npos ? "" : body_.substr(at + 2, end - at - 2);
      if (name != "seq" && name != "user" && name != "conversation" && name != "text")
        throw Error(VIGIL_E_CONFIG, "\"body_template\" uses {{" + name +
                                        "}}; the variables are {{seq}}, {{user}}, {{conversation}} and {{text}}");
    }
  }

  void build_http(Context&, uint64_t seq, vigil::sdk::HttpRequestBuilder& req) {
    req.method(method_);
    req.target(path_);
    req.tag(tag_);
    req.header("Content-Type", content_type_);
    for (const auto& [k, v] : headers_) req.header(k, v);
    // A local string sized once: a thread_local here (in a shared object) cost a __tls_get_addr
    // call per access, about a hundred a request, more than this one allocation.
    std::string body;
    body.reserve(body_.size() + static_cast<size_t>(text_max_) + 64);
    size_t from = 0;
    for (size_t at = body_.find("{{"); at != std::string::npos; at = body_.find("{{", from)) {
      body.append(body_, from, at - from);
      const auto end = body_.find("}}", at);
      const std::string_view name(body_.data() + at + 2, end - at - 2);
      if (name == "seq")
        body += std::to_string(seq);
      else if (name == "user")
        body += "user-" + std::to_string(mix(seed_ ^ mix(seq * 3)) % static_cast<uint64_t>(users_));
      else if (name == "conversation")
        body += "conv-" + std::to_string(mix(seed_ ^ mix(seq * 3 + 1)) % static_cast<uint64_t>(conversations_));
      else
        append_text(seq, body);
      from = end + 2;
    }
    body.append(body_, from);
    req.body(body);
  }

  void check_http(Context&, uint64_t, const vigil_http_reply& reply) {
    if (expect_status_ ? reply.status_code != expect_status_ : (reply.status_code < 200 || reply.status_code > 299))
      throw Error(VIGIL_E_INVALID, "status " + std::to_string(reply.status_code) + ", expected " +
                                       (expect_status_ ? std::to_string(expect_status_) : std::string("2xx")));
    if (expect_fields_.empty()) return;
    const auto json = nlohmann::json::parse(static_cast<const char*>(reply.body),
                                            static_cast<const char*>(reply.body) + reply.body_len, nullptr, false);
    if (json.is_discarded() || !json.is_object()) throw Error(VIGIL_E_INVALID, "the reply is not a JSON object");
    for (const auto& f : expect_fields_)
      if (!json.contains(f)) throw Error(VIGIL_E_INVALID, "the reply lacks the field \"" + f + "\"");
  }

 private:
  // Appends words drawn for this request until the length is within [text_min, text_max].
  void append_text(uint64_t seq, std::string& out) const {
    uint64_t r = mix(seed_ ^ mix(seq * 3 + 2));
    const auto want =
        static_cast<size_t>(text_min_ + static_cast<int64_t>(r % static_cast<uint64_t>(text_max_ - text_min_ + 1)));
    const size_t from = out.size();
    while (out.size() - from < want) {
      r = mix(r);
      if (out.size() > from) out += ' ';
      out += kWords[r % (sizeof kWords / sizeof kWords[0])];
    }
    out.resize(from + want);
  }

  std::string method_, path_, body_, content_type_, tag_;
  vigil::sdk::Labels headers_;
  int64_t users_ = 1000, conversations_ = 100, text_min_ = 20, text_max_ = 200, expect_status_ = 0;
  uint64_t seed_ = 1;
  std::vector<std::string> expect_fields_;
};

const vigil_config_key kSchema[] = {
    {"path", VIGIL_CFG_STRING, "/api/messages", 0, "the endpoint, after the target URL"},
    {"method", VIGIL_CFG_STRING, "POST", 0, "HTTP method"},
    {"body_template", VIGIL_CFG_STRING, "a JSON message", 0,
     "request body with {{seq}}, {{user}}, {{conversation}} and {{text}}"},
    {"content_type", VIGIL_CFG_STRING, "application/json", 0, "Content-Type of the body"},
    {"headers", VIGIL_CFG_SECRET_MAP, nullptr, 0, "extra request headers, e.g. Authorization"},
    {"users", VIGIL_CFG_INT, "1000", 0, "distinct user ids drawn from"},
    {"conversations", VIGIL_CFG_INT, "100", 0, "distinct conversation ids drawn from"},
    {"text_min", VIGIL_CFG_INT, "20", 0, "shortest {{text}}, in bytes"},
    {"text_max", VIGIL_CFG_INT, "200", 0, "longest {{text}}, in bytes"},
    {"seed", VIGIL_CFG_INT, "1", 0, "seed of every random choice (same seed, same requests)"},
    {"expect_status", VIGIL_CFG_INT, "0", 0, "the status a reply must have; 0 = any 2xx"},
    {"expect_fields", VIGIL_CFG_STRING_ARRAY, nullptr, 0, "top-level JSON fields the reply must have"},
    {"tag", VIGIL_CFG_STRING, "send_message", 0, "name of these requests in reports"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_HTTP_SCENARIO(HttpMessage, "http_message", "1.0.0",
                        "Send a message: JSON bodies from a template to a chat endpoint", kSchema);
