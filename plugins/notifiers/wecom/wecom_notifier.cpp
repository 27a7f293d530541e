// The WeCom (企业微信) group-robot notifier. Markdown by default (title in bold, colour by
// state), or plain text with @mentions. Messages longer than the robot accepts (markdown 4096
// bytes, text 2048) are split on line boundaries into numbered parts, sent in order. WeCom
// answers HTTP 200 with {"errcode":0}: any other errcode is a failure; 45009 (frequency limit)
// and 5xx are retried by the host, other codes are permanent. A robot takes 20 messages a
// minute: set rate_limit = "20/m" on the instance.
#include <nlohmann/json.hpp>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;
using vigil::sdk::to_view;

// Splits text into pieces of at most `limit` bytes, at line ends where possible and never
// inside a UTF-8 sequence.
std::vector<std::string> split(const std::string& text, size_t limit) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.size() - pos <= limit) {
      out.push_back(text.substr(pos));
      break;
    }
    size_t cut = text.rfind('\n', pos + limit - 1);
    if (cut == std::string::npos || cut < pos) {
      cut = pos + limit;
      while (cut > pos && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 continuation
    } else {
      ++cut;  // keep the newline with its line
    }
    out.push_back(text.substr(pos, cut - pos));
    pos = cut;
  }
  return out;
}

class WeCom {
 public:
  explicit WeCom(Context& ctx) {
    url_ = ctx.get_string("url").value_or("");
    if (url_.find("key=") == std::string::npos)
      throw Error(VIGIL_E_CONFIG,
                  "\"url\" must be the robot's webhook with its key, e.g. "
                  "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...");
    msgtype_ = ctx.get_string("msgtype").value_or("markdown");
    if (msgtype_ != "markdown" && msgtype_ != "text")
      throw Error(VIGIL_E_CONFIG, "\"msgtype\" must be \"markdown\" or \"text\"");
    mentioned_ = ctx.get_string_array("mentioned_list");
    mentioned_mobiles_ = ctx.get_string_array("mentioned_mobile_list");
    if (msgtype_ == "markdown" && !mentioned_mobiles_.empty())
      throw Error(VIGIL_E_CONFIG,
                  "\"mentioned_mobile_list\" needs msgtype = \"text\" (markdown mentions use <@userid>)");
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(10'000'000'000LL);
  }

  // The message parts for one notification.
  std::vector<std::string> messages(const vigil_notification& n) const {
    const bool firing = n.status == VIGIL_ALERT_FIRING;
    const std::string title(to_view(n.title)), body(to_view(n.body));
    std::string text;
    size_t limit;
    if (msgtype_ == "markdown") {
      const char* colour = !firing ? "info" : n.severity == VIGIL_SEVERITY_CRITICAL ? "warning" : "comment";
      text = "**<font color=\"" + std::string(colour) + "\">" + title + "</font>**\n" + body;
      for (const auto& u : mentioned_) text += "<@" + u + ">";
      limit = 4096;
    } else {
      text = title + "\n" + body;
      limit = 2048;
    }
    std::vector<std::string> parts = split(text, limit - 16);  // room for the "(2/3) " prefix
    std::vector<std::string> out;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string content = parts.size() > 1
                                ? "(" + std::to_string(i + 1) + "/" + std::to_string(parts.size()) + ") " + parts[i]
                                : parts[i];
      nlohmann::json j;
      j["msgtype"] = msgtype_;
      j[msgtype_]["content"] = content;
      if (msgtype_ == "text") {
        if (!mentioned_.empty()) j["text"]["mentioned_list"] = mentioned_;
        if (!mentioned_mobiles_.empty()) j["text"]["mentioned_mobile_list"] = mentioned_mobiles_;
      }
      out.push_back(j.dump());
    }
    return out;
  }

  void deliver(Context& ctx, const vigil_notification& n, int64_t deadline) {
    for (const auto& m : messages(n)) {
      const int64_t timeout = std::min(timeout_ns_, deadline - ctx.monotonic_ns());
      if (timeout <= 0) throw Error(VIGIL_E_TIMEOUT, "no time left before the delivery deadline");
      const auto reply = ctx.http("POST", url_, {{"Content-Type", "application/json"}}, m, timeout);
      if (reply.status >= 500) throw Error(VIGIL_E_UNAVAILABLE, "HTTP " + std::to_string(reply.status) + " from WeCom");
      if (reply.status != 200)
        throw Error(VIGIL_E_INVALID,
                    "HTTP " + std::to_string(reply.status) + " from WeCom: " + reply.body.substr(0, 200));
      const auto j = nlohmann::json::parse(reply.body, nullptr, false);
      const int64_t code = j.is_object() ? j.value("errcode", int64_t{-1}) : -1;
      if (code == 0) continue;
      const std::string what = "WeCom errcode " + std::to_string(code) + ": " +
                               (j.is_object() ? j.value("errmsg", std::string()) : reply.body.substr(0, 200));
      if (code == 45009) throw Error(VIGIL_E_UNAVAILABLE, what + " (frequency limit; set rate_limit = \"20/m\")");
      throw Error(VIGIL_E_INVALID, what);
    }
  }

 private:
  std::string url_, msgtype_;
  std::vector<std::string> mentioned_, mentioned_mobiles_;
  int64_t timeout_ns_ = 0;
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_SECRET, nullptr, 1, "the robot's webhook URL with its key (a secret)"},
    {"msgtype", VIGIL_CFG_STRING, "markdown", 0, "markdown (4096 bytes a message) or text (2048, with @mentions)"},
    {"mentioned_list", VIGIL_CFG_STRING_ARRAY, nullptr, 0, "user ids to mention; \"@all\" for everyone"},
    {"mentioned_mobile_list", VIGIL_CFG_STRING_ARRAY, nullptr, 0, "mobile numbers to mention (text only)"},
    {"timeout", VIGIL_CFG_DURATION, "10s", 0, "per request"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_NOTIFIER(WeCom, "wecom", "1.0.0", "Posts to a WeCom (企业微信) group robot, split to its size limits",
                   kSchema);
