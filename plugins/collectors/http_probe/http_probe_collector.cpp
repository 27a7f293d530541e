// The http_probe collector: requests one URL and reports success, status, latency by phase,
// body match and, for https, the earliest certificate expiry. Blackbox-exporter-style names.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <re2/re2.h>

#include <memory>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t len = size * n;
  if (body->size() < (4u << 20)) body->append(data, std::min(len, (4u << 20) - body->size()));
  return len;
}

bool status_matches(long code, const std::vector<std::string>& patterns) {
  const std::string s = std::to_string(code);
  for (const auto& p : patterns) {
    if (p.size() == 3 && p[1] == 'x' && p[2] == 'x' && s.size() == 3 && s[0] == p[0]) return true;
    if (p == s) return true;
  }
  return false;
}

// OpenSSL's certinfo line "Expire date:Jan  1 00:00:00 2030 GMT" -> unix seconds, or -1.
double parse_expiry(const char* line) {
  const char* v = std::strchr(line, ':');
  if (!v) return -1;
  std::tm tm{};
  if (!strptime(v + 1, "%b %d %H:%M:%S %Y GMT", &tm)) return -1;
  return static_cast<double>(timegm(&tm));
}

class HttpProbe {
 public:
  explicit HttpProbe(Context& ctx) {
    url_ = ctx.get_string("url").value_or("");
    if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
      throw Error(VIGIL_E_CONFIG,
                  "\"url\" must start with http:// or https://, e.g. url = \"http://127.0.0.1:8080/health\"");
    method_ = ctx.get_string("method").value_or("GET");
    if (method_ != "GET" && method_ != "HEAD" && method_ != "POST" && method_ != "PUT")
      throw Error(VIGIL_E_CONFIG, "\"method\" must be GET, HEAD, POST or PUT");
    headers_ = ctx.get_string_map("headers");
    body_ = ctx.get_string("body").value_or("");
    expect_ = ctx.get_string_array("expect_status");
    if (expect_.empty()) expect_ = {"2xx"};
    for (const auto& p : expect_) {
      const bool ok = (p.size() == 3 && std::isdigit(static_cast<unsigned char>(p[0])) &&
                       ((p[1] == 'x' && p[2] == 'x') || (std::isdigit(static_cast<unsigned char>(p[1])) &&
                                                         std::isdigit(static_cast<unsigned char>(p[2])))));
      if (!ok)
        throw Error(VIGIL_E_CONFIG,
                    "\"expect_status\" entries are codes like \"200\" or classes like \"2xx\", not \"" + p + "\"");
    }
    if (auto re = ctx.get_string("body_regex")) {
      // RE2: linear-time matching without recursion, so neither a huge pattern nor a huge body
      // can exhaust the stack (std::regex recursed per character and crashed on both).
      RE2::Options opts;
      opts.set_log_errors(false);
      body_regex_ = std::make_unique<RE2>(*re, opts);
      if (!body_regex_->ok())
        throw Error(VIGIL_E_CONFIG, "\"body_regex\" is not a valid RE2 regular expression: " + body_regex_->error());
    }
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(0);
    verify_tls_ = !ctx.get_bool("tls_skip_verify").value_or(false);
    follow_ = ctx.get_bool("follow_redirects").value_or(true);
    target_ = ctx.get_string("target_label").value_or(url_);
  }

  void start(Context&) {
    curl_.reset(curl_easy_init());
    if (!curl_) throw Error(VIGIL_E_NOMEM, "curl_easy_init failed");
  }

  void collect(Context& ctx, int64_t deadline) {
    if (!curl_) start(ctx);
    CURL* c = curl_.get();
    curl_easy_reset(c);  // keeps the connection cache: probes reuse keep-alive connections
    std::string body;
    const int64_t now = ctx.monotonic_ns();
    int64_t budget_ms = (deadline - now) / 1000000;
    if (timeout_ns_ > 0) budget_ms = std::min(budget_ms, timeout_ns_ / 1000000);
    budget_ms = std::max<int64_t>(budget_ms, 1);
    curl_slist* hdrs = nullptr;
    for (const auto& [k, v] : headers_) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(budget_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow_ ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify_tls_ ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify_tls_ ? 2L : 0L);
    curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-http-probe/1.0");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (method_ == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (method_ == "POST" || method_ == "PUT") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_.size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);

    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    std::string reason;
    if (rc != CURLE_OK) {
      reason = rc == CURLE_OPERATION_TIMEDOUT                                            ? "timeout"
               : rc == CURLE_COULDNT_RESOLVE_HOST                                        ? "resolve"
               : rc == CURLE_COULDNT_CONNECT                                             ? "connect"
               : (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION) ? "tls"
                                                                                         : "error";
    } else if (!status_matches(code, expect_)) {
      reason = "status";
    } else if (body_regex_ && !RE2::PartialMatch(body, *body_regex_)) {
      reason = "body";
    }
    const vigil::sdk::Labels l{{"target", target_}};
    ctx.gauge("probe_success", reason.empty() ? 1 : 0, l, "Whether the probe succeeded.");
    double total = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &total);
    ctx.gauge("probe_duration_seconds", total, l, "Seconds the probe took.");
    if (code > 0) ctx.gauge("probe_http_status_code", static_cast<double>(code), l, "Response HTTP status code.");
    ctx.gauge("probe_http_content_length", static_cast<double>(body.size()), l, "Bytes of response body received.");
    if (body_regex_ && rc == CURLE_OK)
      ctx.gauge("probe_http_body_match", reason == "body" ? 0 : 1, l, "Whether body_regex matched the response body.");
    double dns = 0, connect = 0, tls = 0, start = 0;
    curl_easy_getinfo(c, CURLINFO_NAMELOOKUP_TIME, &dns);
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME, &connect);
    curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME, &tls);
    curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME, &start);
    if (rc == CURLE_OK) {
      const double tls_end = tls > 0 ? tls : connect;
      const std::pair<const char*, double> phases[] = {{"resolve", dns},
                                                       {"connect", std::max(0.0, connect - dns)},
                                                       {"tls", tls > 0 ? tls - connect : 0.0},
                                                       {"processing", std::max(0.0, start - tls_end)},
                                                       {"transfer", std::max(0.0, total - start)}};
      for (const auto& [phase, secs] : phases)
        ctx.gauge("probe_http_duration_seconds", secs, {{"target", target_}, {"phase", phase}},
                  "Duration of the probe by phase (with connection reuse, resolve and connect are 0).");
      curl_certinfo* ci = nullptr;
      if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0) {
        double earliest = -1;
        for (int i = 0; i < ci->num_of_certs; ++i)
          for (curl_slist* s = ci->certinfo[i]; s; s = s->next)
            if (std::strncmp(s->data, "Expire date:", 12) == 0) {
              const double t = parse_expiry(s->data);
              if (t > 0 && (earliest < 0 || t < earliest)) earliest = t;
            }
        if (earliest > 0)
          ctx.gauge("probe_ssl_earliest_cert_expiry", earliest, l,
                    "Unix time of the earliest certificate expiry in the chain.");
      }
    }
    if (!reason.empty()) ++failures_[reason];
    for (const auto& [r, n] : failures_)
      ctx.counter("vigil_probe_failures_total", static_cast<double>(n), {{"target", target_}, {"reason", r}},
                  "Failed probes by reason.");
  }

  void stop() { curl_.reset(); }

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string url_, method_, body_, target_;
  vigil::sdk::Labels headers_;
  std::vector<std::string> expect_;
  std::unique_ptr<RE2> body_regex_;  // null: no body check
  int64_t timeout_ns_ = 0;
  bool verify_tls_ = true, follow_ = true;
  std::map<std::string, uint64_t> failures_;
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_STRING, nullptr, 1, "http:// or https:// URL to request"},
    {"method", VIGIL_CFG_STRING, "GET", 0, "GET, HEAD, POST or PUT"},
    {"headers", VIGIL_CFG_SECRET_MAP, "{}", 0, "request headers"},
    {"body", VIGIL_CFG_STRING, "\"\"", 0, "request body for POST/PUT"},
    {"expect_status", VIGIL_CFG_STRING_ARRAY, "[\"2xx\"]", 0, "accepted status codes (\"200\") or classes (\"2xx\")"},
    {"body_regex", VIGIL_CFG_STRING, nullptr, 0,
     "the response body must match this regular expression (RE2 syntax; linear time, any body size)"},
    {"timeout", VIGIL_CFG_DURATION, "the collection deadline", 0, "request timeout"},
    {"tls_skip_verify", VIGIL_CFG_BOOL, "false", 0, "do not verify the server certificate"},
    {"follow_redirects", VIGIL_CFG_BOOL, "true", 0, "follow up to 10 redirects"},
    {"target_label", VIGIL_CFG_STRING, "the url", 0, "value of the `target` label"},
    {nullptr, 0, nullptr, 0, nullptr},
};

vigil_status init_curl(const vigil_host_v1*) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? VIGIL_OK : VIGIL_E_INTERNAL;
}
const char* const kProvides[] = {VIGIL_IFACE_COLLECTOR, nullptr};
const void* get_interface(const char* id) noexcept {
  if (std::strcmp(id, VIGIL_IFACE_COLLECTOR) == 0) return vigil::sdk::detail::CollectorAdapter<HttpProbe>::vtable();
  return nullptr;
}

}  // namespace

// Written out instead of VIGIL_CPP_COLLECTOR because libcurl wants its global init in init().
extern "C" const vigil_plugin_entry_t vigil_plugin_entry = {
    VIGIL_ABI_MAJOR,
    VIGIL_ABI_MINOR,
    sizeof(vigil_plugin_entry_t),
    "http_probe",
    "1.0.0",
    "HTTP(S) probe: success, status, latency by phase, body match, certificate expiry",
    kProvides,
    &init_curl,
    nullptr,
    &get_interface,
    kSchema};
