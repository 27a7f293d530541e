// The Slack notifier: an incoming-webhook message with one attachment coloured by state and
// severity (danger / warning / good), the rendered title and body, and compact fields. Slack
// answers 200 "ok"; 429 (with Retry-After, which the host honours) and 5xx are retried; other
// statuses (invalid_payload, channel_not_found, ...) are permanent.
#include <nlohmann/json.hpp>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;
using vigil::sdk::to_view;

// Cuts text to at most `limit` bytes at a line end, saying how many lines were left out.
std::string clip(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = text.rfind('\n', limit - 40 < limit ? limit - 40 : 0);
  if (cut == std::string_view::npos) cut = limit - 40;
  size_t rest = 0;
  for (size_t i = cut; i < text.size(); ++i) rest += text[i] == '\n';
  return std::string(text.substr(0, cut)) + "\n… " + std::to_string(rest) + " more line(s)";
}

std::string severity_of(const vigil_notification& n) {
  switch (n.severity) {
    case VIGIL_SEVERITY_CRITICAL: return "critical";
    case VIGIL_SEVERITY_WARNING: return "warning";
    default: return "info";
  }
}

class Slack {
 public:
  explicit Slack(Context& ctx) {
    url_ = ctx.get_string("url").value_or("");
    if (url_.rfind("https://", 0) != 0 && url_.rfind("http://", 0) != 0)
      throw Error(VIGIL_E_CONFIG,
                  "\"url\" must be the incoming webhook URL, e.g. https://hooks.slack.com/services/T000/B000/XXXX");
    channel_ = ctx.get_string("channel").value_or("");
    username_ = ctx.get_string("username").value_or("");
    icon_emoji_ = ctx.get_string("icon_emoji").value_or("");
    max_text_ = static_cast<size_t>(ctx.get_int("max_text_bytes").value_or(7000));
    if (max_text_ < 200) throw Error(VIGIL_E_CONFIG, "\"max_text_bytes\" must be at least 200");
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(10'000'000'000LL);
  }

  std::string payload(const vigil_notification& n) const {
    const bool firing = n.status == VIGIL_ALERT_FIRING;
    const std::string severity = severity_of(n);
    const std::string color = !firing                  ? "good"
                              : severity == "critical" ? "danger"
                              : severity == "warning"  ? "warning"
                                                       : "#439FE0";
    const size_t firing_count = VIGIL_HAS(vigil_notification, &n, n_firing) ? n.n_firing : 0;
    nlohmann::json fields = nlohmann::json::array();
    fields.push_back({{"title", "Severity"}, {"value", severity}, {"short", true}});
    fields.push_back({{"title", "Alerts"},
                      {"value", std::to_string(firing_count) + " firing, " + std::to_string(n.n_alerts - firing_count) +
                                    " resolved"},
                      {"short", true}});
    std::string footer = "vigil";
    if (VIGIL_HAS(vigil_notification, &n, reason) && n.reason.len) footer += " · " + std::string(to_view(n.reason));
    nlohmann::json att{{"color", color},
                       {"title", clip(to_view(n.title), 1024)},
                       {"text", clip(to_view(n.body), max_text_)},
                       {"fallback", clip(to_view(n.title), 1024)},
                       {"fields", fields},
                       {"footer", footer},
                       {"mrkdwn_in", nlohmann::json::array({"text"})}};
    if (n.external_url.len) att["title_link"] = std::string(to_view(n.external_url));
    nlohmann::json body{{"text", clip(to_view(n.title), 1024)}, {"attachments", nlohmann::json::array({att})}};
    if (!channel_.empty()) body["channel"] = channel_;
    if (!username_.empty()) body["username"] = username_;
    if (!icon_emoji_.empty()) body["icon_emoji"] = icon_emoji_;
    return body.dump();
  }

  void deliver(Context& ctx, const vigil_notification& n, int64_t deadline) {
    const int64_t timeout = std::min(timeout_ns_, deadline - ctx.monotonic_ns());
    if (timeout <= 0) throw Error(VIGIL_E_TIMEOUT, "no time left before the delivery deadline");
    const auto reply = ctx.http("POST", url_, {{"Content-Type", "application/json"}}, payload(n), timeout);
    if (reply.status == 200) return;
    const std::string what = "HTTP " + std::to_string(reply.status) + " from Slack: " + reply.body.substr(0, 200);
    if (reply.status == 429 || reply.status >= 500) throw Error(VIGIL_E_UNAVAILABLE, what);
    throw Error(VIGIL_E_INVALID, what + " (a permanent failure: check the webhook URL and channel)");
  }

 private:
  std::string url_, channel_, username_, icon_emoji_;
  size_t max_text_ = 7000;
  int64_t timeout_ns_ = 0;
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_SECRET, nullptr, 1, "the incoming webhook URL (a secret)"},
    {"channel", VIGIL_CFG_STRING, nullptr, 0, "override the webhook's channel, e.g. #ops"},
    {"username", VIGIL_CFG_STRING, nullptr, 0, "override the sender name"},
    {"icon_emoji", VIGIL_CFG_STRING, nullptr, 0, "override the sender icon, e.g. :rotating_light:"},
    {"max_text_bytes", VIGIL_CFG_INT, "7000", 0, "longer bodies are cut at a line end, saying how much was left out"},
    {"timeout", VIGIL_CFG_DURATION, "10s", 0, "per request"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_NOTIFIER(Slack, "slack", "1.0.0", "Posts to a Slack incoming webhook, coloured by severity", kSchema);
