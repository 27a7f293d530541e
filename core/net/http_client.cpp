#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>

namespace vigil::net {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

size_t write_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::chrono::milliseconds parse_retry_after(const std::string& v) {
  if (v.empty()) return std::chrono::milliseconds(0);
  char* end = nullptr;
  const long secs = std::strtol(v.c_str(), &end, 10);
  if (end && *end == '\0' && secs >= 0) return std::chrono::seconds(secs);
  const time_t when = curl_getdate(v.c_str(), nullptr);  // an HTTP date
  if (when < 0) return std::chrono::milliseconds(0);
  const auto delta = std::chrono::system_clock::from_time_t(when) - std::chrono::system_clock::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(delta));
}

size_t read_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "retry-after") {
      std::string v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(v.begin());
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      static_cast<HttpResponse*>(user)->retry_after = parse_retry_after(v);
    }
  }
  return size * n;
}

}  // namespace

struct HttpClient::Impl {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu;
  std::vector<CURL*> pool;  // idle easy handles; each keeps its own connection cache too
  std::atomic<uint64_t> opened{0};

  static void lock(CURL*, curl_lock_data d, curl_lock_access, void* self) { static_cast<Impl*>(self)->locks[d].lock(); }
  static void unlock(CURL*, curl_lock_data d, void* self) { static_cast<Impl*>(self)->locks[d].unlock(); }

  CURL* take() {
    {
      std::lock_guard l(pool_mu);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void give(CURL* h) {
    std::lock_guard l(pool_mu);
    pool.push_back(h);
  }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
  static CurlGlobal global;
  impl_->share = curl_share_init();
  curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::lock);
  curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
  curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
}

HttpClient::~HttpClient() {
  for (CURL* h : impl_->pool) curl_easy_cleanup(h);
  curl_share_cleanup(impl_->share);
}

HttpClient& HttpClient::shared() {
  static HttpClient client;
  return client;
}

uint64_t HttpClient::connections_opened() const {
  return impl_->opened.load();
}

HttpOutcome HttpClient::perform(const HttpRequest& req) {
  HttpOutcome out;
  CURL* h = impl_->take();
  if (!h) {
    out.error = TransportError::unavailable;
    out.message = "cannot create an HTTP request (out of memory)";
    return out;
  }
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_SHARE, impl_->share);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(req.timeout.count(), 10000)));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil");
  if (req.method != "GET" && req.method != "HEAD") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &read_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &out.response);
  const CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  impl_->opened += static_cast<uint64_t>(connects);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    out.error = rc == CURLE_OPERATION_TIMEDOUT ? TransportError::timeout : TransportError::unavailable;
    out.message = req.method + " " + redact_url(req.url) + ": " + curl_easy_strerror(rc);
  } else {
    out.response.status = static_cast<int>(code);
  }
  impl_->give(h);
  return out;
}

std::string redact_url(const std::string& url) {
  const auto cut = url.find_first_of("?#");
  return cut == std::string::npos ? url : url.substr(0, cut) + "?...";
}

}  // namespace vigil::net
