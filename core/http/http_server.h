// HttpServer: a small HTTP/1.1 server (Boost.Beast) for /metrics, health and the API.
//
// Hardening: a deadline on reading each whole request (slow clients are cut off), a cap on
// open connections (further ones are closed at once and counted), header and body size limits
// (431/413), keep-alive. One I/O thread; handlers run on it and must be quick.
// Thread-safety: start/stop from the control thread; handlers on the I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "config/settings.h"

namespace vigil::http {

struct Request {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', or ""
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> params;   // {name} segments of the matched route

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct Response {
  Response() = default;
  Response(unsigned status_code, std::string type, std::string text)
      : status(status_code), content_type(std::move(type)), body(std::move(text)) {}

  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // further response headers
};

// Observes every request: route label ("/metrics", "other"), status, seconds.
using RequestObserver = std::function<void(const std::string& route, unsigned status, double seconds)>;
using ConnectionObserver = std::function<void(size_t open, bool rejected)>;

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;
  // `path` may hold {name} segments, e.g. "/api/v1/silences/{id}": they match one segment and
  // reach the handler in Request::params, percent-decoded. Exact paths win over patterns.
  void add(const std::string& method, const std::string& path, Handler h);
  // 404 for unknown paths, 405 (with the allowed methods) for known paths with other methods.
  Response dispatch(const Request& r, std::string& route) const;

 private:
  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
  // The pattern matching `path`, filling params; nullptr when none.
  const std::string* match(const std::string& path, std::map<std::string, std::string>& params) const;
};

class HttpServer {
 public:
  HttpServer(config::HttpSettings settings, std::shared_ptr<const Router> router, RequestObserver on_request = {},
             ConnectionObserver on_connection = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Returns the bound port (useful with port 0).
  Result<uint16_t> start();
  // Replaces the routes (e.g. after a reload) without touching the listener.
  void set_router(std::shared_ptr<const Router> router);
  // Closes the listener and every connection, then joins the I/O thread.
  void stop();

  struct Impl;  // defined in the .cpp; public only so its sessions can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::http
