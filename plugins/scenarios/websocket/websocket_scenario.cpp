// The websocket scenario: chat over WebSocket. vigil opens and holds the connections; each sends
// JSON messages carrying a correlation id ("<connection>-<sequence>") and the reply that carries
// the same id completes the round trip. Other messages (pushes, greetings) are skipped.
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

class WebSocketChat {
 public:
  explicit WebSocketChat(Context& ctx) {
    id_field_ = ctx.get_string("id_field").value_or("id");
    text_field_ = ctx.get_string("text_field").value_or("text");
    const int64_t size = ctx.get_int("text_size").value_or(64);
    if (size < 0 || size > (1 << 20)) throw Error(VIGIL_E_CONFIG, "\"text_size\" must be between 0 and 1048576");
    text_.assign(static_cast<size_t>(size), 'x');
    for (size_t i = 0; i < text_.size(); ++i) text_[i] = "hello chat "[i % 11];
    messages_ = ctx.get_int("messages").value_or(0);
    if (messages_ < 0) throw Error(VIGIL_E_CONFIG, "\"messages\" must be 0 (no limit) or more");
    if (id_field_.empty()) throw Error(VIGIL_E_CONFIG, "\"id_field\" must name the correlation field, e.g. \"id\"");
  }

  bool build_ws(Context&, uint64_t conn, uint64_t seq, std::string& out, bool& binary) {
    if (messages_ && seq >= static_cast<uint64_t>(messages_)) return false;
    binary = false;
    out = nlohmann::json{{id_field_, id(conn, seq)}, {text_field_, text_}}.dump();
    return true;
  }

  bool check_ws(Context&, uint64_t conn, uint64_t seq, std::string_view msg, bool binary) {
    if (binary) return false;
    const auto j = nlohmann::json::parse(msg, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains(id_field_)) return false;
    return j[id_field_] == id(conn, seq);
  }

 private:
  static std::string id(uint64_t conn, uint64_t seq) { return std::to_string(conn) + "-" + std::to_string(seq); }
  std::string id_field_, text_field_, text_;
  int64_t messages_ = 0;
};

const vigil_config_key kSchema[] = {
    {"id_field", VIGIL_CFG_STRING, "id", 0, "JSON field carrying the correlation id, in messages and replies"},
    {"text_field", VIGIL_CFG_STRING, "text", 0, "JSON field carrying the text"},
    {"text_size", VIGIL_CFG_INT, "64", 0, "bytes of text in each message"},
    {"messages", VIGIL_CFG_INT, "0", 0, "messages each connection sends, then it is only held; 0 = no limit"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_WS_SCENARIO(WebSocketChat, "websocket", "1.0.0",
                      "Chat over held WebSocket connections: round trips matched by correlation id", kSchema);
