// The prometheus_scrape collector: pulls an application's /metrics (Prometheus text format)
// and re-exposes its samples, with the instance's extra labels, beside vigil's own. This is
// how vigil watches the app it runs next to.
#include <curl/curl.h>

#include <cctype>
#include <cstring>
#include <map>
#include <vigil/plugin.hpp>

#include "text_format.h"

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* p = static_cast<std::pair<std::string*, uint64_t>*>(user);
  const size_t len = size * n;
  if (p->first->size() + len > p->second) return 0;  // over max_body_size: abort the transfer
  p->first->append(data, len);
  return len;
}

class PrometheusScrape {
 public:
  explicit PrometheusScrape(Context& ctx) {
    url_ = ctx.get_string("url").value_or("");
    if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
      throw Error(VIGIL_E_CONFIG,
                  "\"url\" must be an http:// or https:// URL, e.g. url = \"http://127.0.0.1:8080/metrics\"");
    headers_ = ctx.get_string_map("headers");
    timeout_ns_ = ctx.get_duration_ns("timeout").value_or(0);
    max_body_ = ctx.get_size_bytes("max_body_size").value_or(16u << 20);
    verify_tls_ = !ctx.get_bool("tls_skip_verify").value_or(false);
    target_ = ctx.get_string("target_label").value_or(url_);
    prefix_ = ctx.get_string("metric_prefix").value_or("");
    if (!prefix_.empty() && !(std::isalpha(static_cast<unsigned char>(prefix_[0])) || prefix_[0] == '_'))
      throw Error(VIGIL_E_CONFIG, "\"metric_prefix\" must start with a letter or _, e.g. metric_prefix = \"app_\"");
  }

  void collect(Context& ctx, int64_t deadline) {
    if (!curl_) curl_.reset(curl_easy_init());
    if (!curl_) throw Error(VIGIL_E_NOMEM, "curl_easy_init failed");
    CURL* c = curl_.get();
    curl_easy_reset(c);
    std::string body;
    std::pair<std::string*, uint64_t> sink{&body, max_body_};
    int64_t budget_ms = (deadline - ctx.monotonic_ns()) / 1000000;
    if (timeout_ns_ > 0) budget_ms = std::min(budget_ms, timeout_ns_ / 1000000);
    curl_slist* hdrs = curl_slist_append(nullptr, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1");
    for (const auto& [k, v] : headers_) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(budget_ms, 1)));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify_tls_ ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify_tls_ ? 2L : 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-scrape/1.0");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    const int64_t t0 = ctx.monotonic_ns();
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    const double secs = static_cast<double>(ctx.monotonic_ns() - t0) / 1e9;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);

    const vigil::sdk::Labels l{{"target", target_}};
    ctx.gauge("vigil_scrape_duration_seconds", secs, l, "Duration of the scrape.");
    std::string reason;
    if (rc == CURLE_WRITE_ERROR)
      reason = "too_large";
    else if (rc == CURLE_OPERATION_TIMEDOUT)
      reason = "timeout";
    else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION)
      reason = "tls";
    else if (rc != CURLE_OK)
      reason = "connect";
    else if (code != 200)
      reason = "status";
    size_t emitted = 0;
    if (reason.empty()) {
      auto parsed = vigil::scrape::parse_text_format(body);
      for (const auto& s : parsed.samples) {
        if (emit(ctx, s, prefix_)) ++emitted;
      }
      if (!parsed.errors.empty()) {
        reason = "parse";
        ctx.warn(url_ + ": " + std::to_string(parsed.errors.size()) + " line(s) skipped; first: " + parsed.errors[0]);
      }
    }
    ctx.gauge("vigil_scrape_up", rc == CURLE_OK && code == 200 ? 1 : 0, l, "1 when the target answered with 200.");
    ctx.gauge("vigil_scrape_samples", static_cast<double>(emitted), l, "Samples re-exposed from the last scrape.");
    if (!reason.empty()) ++failures_[reason];
    for (const auto& [r, n] : failures_)
      ctx.counter("vigil_scrape_failures_total", static_cast<double>(n), {{"target", target_}, {"reason", r}},
                  "Failed scrapes by reason (connect, timeout, status, too_large, parse).");
    if (rc != CURLE_OK || code != 200)
      throw Error(VIGIL_E_UNAVAILABLE,
                  url_ + ": " + (rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP status " + std::to_string(code)));
  }

 private:
  // Emits one scraped sample; a sample the host rejects (e.g. a clash) is skipped.
  static bool emit(Context& ctx, const vigil::scrape::ParsedSample& s, const std::string& prefix) {
    const std::string name = prefix + s.name;
    std::vector<vigil_label> labels;
    for (const auto& [k, v] : s.labels) labels.push_back({vigil::sdk::to_str(k), vigil::sdk::to_str(v)});
    vigil_sample out{};
    out.struct_size = sizeof out;
    out.name = vigil::sdk::to_str(name);
    out.help = vigil::sdk::to_str(s.help);
    out.labels = labels.data();
    out.n_labels = labels.size();
    out.value = s.value;
    out.unix_ms = s.timestamp_ms;
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
    switch (s.kind) {
      case vigil::scrape::Kind::gauge: out.type = VIGIL_METRIC_GAUGE; break;
      case vigil::scrape::Kind::counter: out.type = VIGIL_METRIC_COUNTER; break;
      case vigil::scrape::Kind::untyped: out.type = VIGIL_METRIC_UNTYPED; break;
      case vigil::scrape::Kind::histogram:
        out.type = VIGIL_METRIC_HISTOGRAM;
        for (const auto& [b, n] : s.buckets) {
          bounds.push_back(b);
          counts.push_back(n);
        }
        out.bucket_bounds = bounds.data();
        out.bucket_counts = counts.data();
        out.n_buckets = bounds.size();
        out.sum = s.sum;
        out.count = s.count;
        break;
    }
    return ctx.host()->emit(ctx.raw(), &out) == VIGIL_OK;
  }

  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string url_, target_, prefix_;
  vigil::sdk::Labels headers_;
  int64_t timeout_ns_ = 0;
  uint64_t max_body_ = 16u << 20;
  bool verify_tls_ = true;
  std::map<std::string, uint64_t> failures_;
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_STRING, nullptr, 1, "the application's metrics URL"},
    {"headers", VIGIL_CFG_SECRET_MAP, "{}", 0, "request headers (e.g. Authorization)"},
    {"timeout", VIGIL_CFG_DURATION, "the collection deadline", 0, "scrape timeout"},
    {"max_body_size", VIGIL_CFG_SIZE, "16MiB", 0, "larger responses fail with reason too_large"},
    {"tls_skip_verify", VIGIL_CFG_BOOL, "false", 0, "do not verify the server certificate"},
    {"target_label", VIGIL_CFG_STRING, "the url", 0, "value of the `target` label on vigil_scrape_* series"},
    {"metric_prefix", VIGIL_CFG_STRING, "\"\"", 0,
     "prepended to every scraped metric name, keeping the app's families apart from vigil's own (e.g. \"app_\")"},
    {nullptr, 0, nullptr, 0, nullptr},
};

vigil_status init_curl(const vigil_host_v1* host) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) return VIGIL_OK;
  return host->fail(nullptr, VIGIL_E_INTERNAL, "prometheus_scrape: libcurl's global initialisation failed");
}
void deinit_curl() {
  curl_global_cleanup();
}
const char* const kProvides[] = {VIGIL_IFACE_COLLECTOR, nullptr};
const void* get_interface(const char* id) noexcept {
  if (std::strcmp(id, VIGIL_IFACE_COLLECTOR) == 0)
    return vigil::sdk::detail::CollectorAdapter<PrometheusScrape>::vtable();
  return nullptr;
}

}  // namespace

// Written out instead of VIGIL_CPP_COLLECTOR because libcurl wants its global init in init().
extern "C" const vigil_plugin_entry_t vigil_plugin_entry = {
    VIGIL_ABI_MAJOR,     VIGIL_ABI_MINOR, sizeof(vigil_plugin_entry_t),
    "prometheus_scrape", "1.0.0",         "Scrapes an application's /metrics and re-exposes its samples",
    kProvides,           &init_curl,      &deinit_curl,
    &get_interface,      kSchema};
