// The email notifier: one message per notification through the host's SMTP client
// (vigil.smtp/1): smtps:// (implicit TLS, port 465) or smtp:// with STARTTLS required before
// AUTH. multipart/alternative text and HTML, UTF-8 subjects (RFC 2047), a Message-ID from the
// idempotency key (so a repeated delivery is recognisable), and threading by group: every
// message of one alert group refers to the same root, so mail clients show one thread.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;
using vigil::sdk::to_view;

std::string base64(std::string_view in, size_t line = 76) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (i + 1 < in.size() ? static_cast<uint8_t>(in[i + 1]) << 8 : 0) |
                       (i + 2 < in.size() ? static_cast<uint8_t>(in[i + 2]) : 0);
    const char q[4] = {t[(n >> 18) & 63], t[(n >> 12) & 63], i + 1 < in.size() ? t[(n >> 6) & 63] : '=',
                       i + 2 < in.size() ? t[n & 63] : '='};
    for (char c : q) {
      if (line && col == line) {
        out += "\r\n";
        col = 0;
      }
      out += c;
      ++col;
    }
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// RFC 2047 for non-ASCII header text; plain otherwise. CR/LF never reach a header.
std::string header_text(std::string_view s) {
  std::string clean;
  bool ascii = true;
  for (char c : s) {
    if (c == '\r' || c == '\n') continue;
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
    clean += c;
  }
  return ascii ? clean : "=?UTF-8?B?" + base64(clean, 0) + "?=";
}

uint64_t fnv(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

class Email {
 public:
  explicit Email(Context& ctx) {
    url_ = ctx.get_string("smtp_url").value_or("");
    if (url_.rfind("smtp://", 0) != 0 && url_.rfind("smtps://", 0) != 0)
      throw Error(VIGIL_E_CONFIG, "\"smtp_url\" must be smtps://host:465 or smtp://host:587 (STARTTLS)");
    from_ = ctx.get_string("from").value_or("");
    if (from_.find('@') == std::string::npos)
      throw Error(VIGIL_E_CONFIG, "\"from\" must be an address, e.g. vigil@example.com");
    to_ = ctx.get_string_array("to");
    if (to_.empty())
      throw Error(VIGIL_E_CONFIG, "\"to\" must list at least one recipient, e.g. to = [\"oncall@example.com\"]");
    username_ = ctx.get_string("username").value_or("");
    password_ = ctx.get_string("password").value_or("");
    allow_plaintext_ = ctx.get_bool("allow_plaintext").value_or(false);
    if (!username_.empty() && allow_plaintext_)
      throw Error(VIGIL_E_CONFIG, "\"allow_plaintext\" can not be used with a username: credentials need TLS");
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(30'000'000'000LL);
  }

  std::string message(const vigil_notification& n, std::time_t now) const {
    const std::string key = VIGIL_HAS(vigil_notification, &n, idempotency_key) && n.idempotency_key.len
                                ? std::string(to_view(n.idempotency_key))
                                : std::to_string(now);
    const std::string domain = from_.substr(from_.find('@') + 1);
    char thread[40];
    std::snprintf(thread, sizeof thread, "%016llx", static_cast<unsigned long long>(fnv(to_view(n.group_key))));
    char date[64];
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    const std::string boundary = "vigil-" + std::string(thread) + "-" + std::to_string(now);
    const bool firing = n.status == VIGIL_ALERT_FIRING;
    std::string to_line;
    for (const auto& t : to_) to_line += (to_line.empty() ? "" : ", ") + t;
    const std::string html = "<html><body><h3 style=\"color:" + std::string(firing ? "#c0392b" : "#27ae60") + "\">" +
                             html_escape(to_view(n.title)) + "</h3><pre style=\"font-family:monospace\">" +
                             html_escape(to_view(n.body)) + "</pre></body></html>";
    std::string m;
    m += "From: vigil <" + from_ + ">\r\n";
    m += "To: " + to_line + "\r\n";
    m += "Subject: " + header_text(to_view(n.title)) + "\r\n";
    m += "Date: " + std::string(date) + "\r\n";
    m += "Message-ID: <" + key + "@" + domain + ">\r\n";
    m += "In-Reply-To: <group-" + std::string(thread) + "@" + domain + ">\r\n";
    m += "References: <group-" + std::string(thread) + "@" + domain + ">\r\n";
    m += "X-Vigil-Group-Key: " + header_text(to_view(n.group_key)) + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64(to_view(n.body)) + "\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64(html) + "\r\n";
    m += "--" + boundary + "--\r\n";
    return m;
  }

  void deliver(Context& ctx, const vigil_notification& n, int64_t deadline) {
    const auto* svc = static_cast<const vigil_smtp_client_v1*>(ctx.host()->get_service(ctx.raw(), VIGIL_SERVICE_SMTP));
    if (!svc) throw Error(VIGIL_E_UNSUPPORTED, "this vigil host provides no SMTP client (vigil.smtp/1)");
    const int64_t timeout = std::min(timeout_ns_, deadline - ctx.monotonic_ns());
    if (timeout <= 0) throw Error(VIGIL_E_TIMEOUT, "no time left before the delivery deadline");
    const std::string text = message(n, std::time(nullptr));
    std::vector<vigil_str> to;
    for (const auto& t : to_) to.push_back(vigil::sdk::to_str(t));
    vigil_smtp_message msg{};
    msg.struct_size = sizeof msg;
    msg.url = vigil::sdk::to_str(url_);
    msg.username = vigil::sdk::to_str(username_);
    msg.password = vigil::sdk::to_str(password_);
    msg.from = vigil::sdk::to_str(from_);
    msg.to = to.data();
    msg.n_to = to.size();
    msg.message = vigil::sdk::to_str(text);
    msg.allow_plaintext = allow_plaintext_ ? 1 : 0;
    msg.timeout_ns = timeout;
    const vigil_status st = svc->send(ctx.raw(), &msg);
    if (st != VIGIL_OK) throw Error(st, "");  // the host set the reason
  }

 private:
  std::string url_, from_, username_, password_;
  std::vector<std::string> to_;
  bool allow_plaintext_ = false;
  int64_t timeout_ns_ = 0;
};

const vigil_config_key kSchema[] = {
    {"smtp_url", VIGIL_CFG_SECRET, nullptr, 1,
     "smtps://host:465 (implicit TLS) or smtp://host:587 (STARTTLS required)"},
    {"from", VIGIL_CFG_STRING, nullptr, 1, "sender address"},
    {"to", VIGIL_CFG_STRING_ARRAY, nullptr, 1, "recipient addresses"},
    {"username", VIGIL_CFG_STRING, nullptr, 0, "SMTP AUTH user (sent only over TLS)"},
    {"password", VIGIL_CFG_SECRET, nullptr, 0, "SMTP AUTH password; use ${ENV} rather than writing it in the file"},
    {"allow_plaintext", VIGIL_CFG_BOOL, "false", 0, "smtp:// without TLS, for a relay on loopback only; no AUTH then"},
    {"timeout", VIGIL_CFG_DURATION, "30s", 0, "per message"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_NOTIFIER(Email, "email", "1.0.0", "Sends mail over SMTP with TLS, threaded by alert group", kSchema);
