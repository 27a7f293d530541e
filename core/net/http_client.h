// HttpClient: the host's outgoing HTTP(S) client for notifiers and other plugins, on libcurl.
// Connections, DNS answers and TLS sessions are shared by every request (a curl share handle),
// so repeated deliveries to one webhook reuse a kept-alive connection. TLS peers are verified;
// proxies come from the environment (https_proxy, no_proxy), as curl reads them.
//
// Thread-safe: requests may run concurrently from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::net {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::chrono::milliseconds retry_after{0};  // from Retry-After (seconds or an HTTP date)
};

enum class TransportError { none, unavailable, timeout };

struct HttpOutcome {
  TransportError error = TransportError::none;
  std::string message;  // names the URL (without its query, which may hold a key) and curl's reason
  HttpResponse response;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpOutcome perform(const HttpRequest& req);
  // Connections opened so far (for tests and metrics: reuse keeps this low).
  uint64_t connections_opened() const;

  // The process-wide client used by the host services.
  static HttpClient& shared();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The URL without query and fragment: safe to log (webhook keys often sit in the query).
std::string redact_url(const std::string& url);

}  // namespace vigil::net
