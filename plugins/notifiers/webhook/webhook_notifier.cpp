// The webhook notifier: POSTs Alertmanager's webhook v4 JSON (as the host renders it), so every
// Alertmanager webhook consumer works unchanged, or the receiver's rendered body template (a
// custom payload). Adds an Idempotency-Key header (the same on
// every retry of one notification), optional custom headers and an optional HMAC-SHA256
// signature of the body. 2xx is success; 5xx, 429 and transport errors are retried by the
// host; other statuses are permanent failures.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

std::string hex(const unsigned char* p, size_t n) {
  std::string out;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out += b;
  }
  return out;
}

class Webhook {
 public:
  explicit Webhook(Context& ctx) {
    url_ = ctx.get_string("url").value_or("");
    if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
      throw Error(VIGIL_E_CONFIG,
                  "\"url\" must be an http:// or https:// URL, e.g. url = \"https://hooks.example/alerts\"");
    headers_ = ctx.get_string_map("headers");
    secret_ = ctx.get_string("hmac_secret").value_or("");
    signature_header_ = ctx.get_string("signature_header").value_or("X-Vigil-Signature");
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(10'000'000'000LL);
    if (timeout_ns_ <= 0) throw Error(VIGIL_E_CONFIG, "\"timeout\" must be greater than zero");
    const std::string payload = ctx.get_string("payload").value_or("alertmanager");
    if (payload != "alertmanager" && payload != "body")
      throw Error(VIGIL_E_CONFIG,
                  "\"payload\" must be \"alertmanager\" (the webhook v4 JSON) or \"body\" (the "
                  "receiver's rendered body_template)");
    send_body_ = payload == "body";
    content_type_ =
        ctx.get_string("content_type").value_or(send_body_ ? "text/plain; charset=utf-8" : "application/json");
  }

  void deliver(Context& ctx, const vigil_notification& n, int64_t deadline) {
    const std::string_view body = vigil::sdk::to_view(send_body_ ? n.body : n.json_body);
    vigil::sdk::Labels headers = headers_;
    headers.emplace_back("Content-Type", content_type_);
    if (VIGIL_HAS(vigil_notification, &n, idempotency_key))
      headers.emplace_back("Idempotency-Key", std::string(vigil::sdk::to_view(n.idempotency_key)));
    if (!secret_.empty()) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
      headers.emplace_back(signature_header_, "sha256=" + hex(mac, len));
    }
    const int64_t timeout = std::min(timeout_ns_, deadline - ctx.monotonic_ns());
    if (timeout <= 0) throw Error(VIGIL_E_TIMEOUT, "no time left before the delivery deadline");
    const auto reply = ctx.http("POST", url_, headers, body, timeout);
    if (reply.status >= 200 && reply.status < 300) return;
    std::string excerpt = reply.body.substr(0, 200);
    const std::string what =
        "HTTP " + std::to_string(reply.status) + " from the webhook" + (excerpt.empty() ? "" : ": " + excerpt);
    if (reply.status >= 500 || reply.status == 429) throw Error(VIGIL_E_UNAVAILABLE, what);
    throw Error(VIGIL_E_INVALID, what + " (a permanent failure: check the url and the receiver)");
  }

 private:
  std::string url_, secret_, signature_header_, content_type_;
  bool send_body_ = false;
  vigil::sdk::Labels headers_;
  int64_t timeout_ns_ = 0;
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_SECRET, nullptr, 1, "where to POST; treat it as a secret if it holds a key"},
    {"headers", VIGIL_CFG_SECRET_MAP, nullptr, 0, "extra request headers, e.g. { Authorization = \"Bearer ...\" }"},
    {"hmac_secret", VIGIL_CFG_SECRET, nullptr, 0, "signs the body with HMAC-SHA256 (header value sha256=<hex>)"},
    {"signature_header", VIGIL_CFG_STRING, "X-Vigil-Signature", 0, "header carrying the signature"},
    {"timeout", VIGIL_CFG_DURATION, "10s", 0, "per request"},
    {"payload", VIGIL_CFG_STRING, "alertmanager", 0,
     "alertmanager (the webhook v4 JSON) or body (the receiver's rendered body_template, e.g. a custom JSON)"},
    {"content_type", VIGIL_CFG_STRING, "application/json", 0,
     "Content-Type of the request (text/plain for payload = body)"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_NOTIFIER(Webhook, "webhook", "1.0.0", "POSTs Alertmanager's webhook v4 JSON to a URL", kSchema);
