// HttpServer: a small HTTP/1.1 server (Boost.Beast) for /metrics, health and the API.
//
// Hardening: a deadline on reading each whole request (slow clients are cut off), caps on open
// connections in all and per client address (further ones are closed at once and counted), header
// and body size limits (431/413), keep-alive.
// One I/O thread reads and writes; it never runs a handler. Handlers run in three worker pools,
// chosen per route (Lane), so no request waits behind another kind: health probes, the /metrics
// scrape, and everything else (the API, bounded: a full queue answers 503 with Retry-After).
// Thread-safety: start/stop from the control thread; a handler runs on its lane's threads, so
// handlers of the api lane run concurrently with each other.
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
  // Who the server authenticated: "user:NAME" (basic authentication) or "cert:CN" (a verified
  // client certificate); "" when neither is configured.
  std::string identity;

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
// Observes the open-connection count; `rejected` names the limit that closed a connection at
// once ("max_connections", "max_connections_per_client"), or is nullptr.
using ConnectionObserver = std::function<void(size_t open, const char* rejected)>;

// Where a route's handler runs. probe: liveness and readiness, cheap and never behind anything
// else; scrape: /metrics, whose rendering may take seconds on a large registry; api: the rest.
enum class Lane { probe, scrape, api };

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;
  // `path` may hold {name} segments, e.g. "/api/v1/silences/{id}": they match one segment and
  // reach the handler in Request::params, percent-decoded. Exact paths win over patterns.
  void add(const std::string& method, const std::string& path, Handler h, Lane lane = Lane::api);
  // The lane of the route `r` matches (api for unknown routes).
  Lane lane_of(const Request& r) const;
  // 404 for unknown paths, 405 (with the allowed methods) for known paths with other methods.
  Response dispatch(const Request& r, std::string& route) const;

 private:
  struct Route {
    std::map<std::string, Handler> by_method;
    Lane lane = Lane::api;
  };
  std::map<std::string, Route> routes_;  // by path or pattern
  const Route* find(const Request& r, std::map<std::string, std::string>& params, std::string& route) const;
  // The pattern matching `path`, filling params; nullptr when none.
  const std::string* match(const std::string& path, std::map<std::string, std::string>& params) const;
};

// Loads a web config file as HttpServer::set_web_config would (certificates and keys included),
// for `vigil check`.
Status check_web_config(const std::string& path);

class HttpServer {
 public:
  HttpServer(config::HttpSettings settings, std::shared_ptr<const Router> router, RequestObserver on_request = {},
             ConnectionObserver on_connection = {});
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Returns the bound port (useful with port 0).
  Result<uint16_t> start();
  // Loads a web config file (exporter-toolkit's format: TLS, client certificates, basic-auth
  // users, headers, rate limit; "" = plain HTTP without authentication) for the connections
  // accepted from now on. On error nothing changes. Once set, the file and the certificate files
  // it names are watched: a change (a renewed certificate) applies within about a second.
  Status set_web_config(const std::string& path);
  bool tls() const;  // whether new connections get TLS
  // Replaces the routes (e.g. after a reload) without touching the listener.
  void set_router(std::shared_ptr<const Router> router);
  // Closes the listener and every connection, then joins the I/O thread.
  void stop();

  struct Impl;  // defined in the .cpp; public only so its sessions can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::http
