// The only translation unit that includes Beast and Asio for the server.
#include "http/http_server.h"

#include "base/percent_encoding.h"
#include "config/listen_address.h"
#include "http/basic_auth.h"
#include "http/tls_context.h"
#include "http/web_config.h"
#include "http/worker_pool.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "log/log.h"

namespace vigil::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

void Router::add(const std::string& method, const std::string& path, Handler h, Lane lane) {
  auto& route = routes_[path];
  route.by_method[method] = std::move(h);
  route.lane = lane;
}

namespace {
std::vector<std::string_view> segments(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= p.size()) {
    const size_t j = p.find('/', i);
    out.push_back(p.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}
}  // namespace

const std::string* Router::match(const std::string& path, std::map<std::string, std::string>& params) const {
  const auto want = segments(path);
  for (const auto& [pattern, route] : routes_) {
    if (pattern.find('{') == std::string::npos) continue;
    const auto have = segments(pattern);
    if (have.size() != want.size()) continue;
    std::map<std::string, std::string> found;
    bool ok = true;
    for (size_t i = 0; ok && i < have.size(); ++i) {
      if (have[i].size() > 2 && have[i].front() == '{' && have[i].back() == '}') {
        if (want[i].empty()) ok = false;
        found[std::string(have[i].substr(1, have[i].size() - 2))] = percent_decode(std::string(want[i]), false);
      } else {
        ok = have[i] == want[i];
      }
    }
    if (ok) {
      params = std::move(found);
      return &pattern;
    }
  }
  return nullptr;
}

const Router::Route* Router::find(const Request& r, std::map<std::string, std::string>& params,
                                  std::string& route) const {
  auto it = routes_.find(r.path);
  if (it == routes_.end()) {
    if (const std::string* pattern = match(r.path, params)) it = routes_.find(*pattern);
  }
  if (it == routes_.end()) return nullptr;
  route = it->first;
  return &it->second;
}

Lane Router::lane_of(const Request& r) const {
  std::map<std::string, std::string> params;
  std::string route;
  const Route* found = find(r, params, route);
  return found ? found->lane : Lane::api;
}

Response Router::dispatch(const Request& req, std::string& route) const {
  Request r = req;
  const Route* found = find(r, r.params, route);
  if (!found) {
    route = "other";
    return Response{404, "text/plain; charset=utf-8", "not found: " + r.path + "\n"};
  }
  auto m = found->by_method.find(r.method == "HEAD" ? "GET" : r.method);
  if (m == found->by_method.end()) {
    std::string allowed;
    for (const auto& [k, v] : found->by_method) allowed += (allowed.empty() ? "" : ", ") + k;
    return Response{405, "text/plain; charset=utf-8",
                    "method " + r.method + " not allowed on " + r.path + "; allowed: " + allowed + "\n"};
  }
  return m->second(r);
}

// What a web config file sets for the connections accepted while it is current.
struct Security {
  std::string path;                         // "" = plain HTTP, no authentication
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  std::vector<std::string> client_allowed_sans;
  std::shared_ptr<BasicAuth> auth;  // null: no basic authentication
  std::vector<std::pair<std::string, std::string>> headers;
  RateLimit rate_limit;
  std::vector<std::pair<std::string, std::string>> stamps;  // file -> mtime and size when read
};

namespace {

// A file's mtime and size; "unsettled" for one changed in the last 2 s, which may have changed
// again while it was read, so the watch reads it once more.
std::string stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  if (::time(nullptr) - st.st_mtim.tv_sec < 2) return "unsettled";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
         std::to_string(st.st_size);
}

Result<std::shared_ptr<const Security>> load_security(const std::string& path) {
  auto sec = std::make_shared<Security>();
  sec->path = path;
  if (path.empty()) return std::shared_ptr<const Security>(sec);
  auto cfg = load_web_config(path);
  if (!cfg.ok()) return cfg.status();
  sec->stamps.emplace_back(path, stamp_of(path));
  if (cfg->tls) {
    auto ctx = make_server_context(*cfg->tls, path);
    if (!ctx.ok()) return ctx.status();
    sec->tls = std::make_shared<asio::ssl::context>(ctx->release());
    sec->client_allowed_sans = cfg->tls->client_allowed_sans;
    for (const auto& f : cfg->tls->watched_files) sec->stamps.emplace_back(f, stamp_of(f));
    if (const double left = seconds_to_expiry(*cfg->tls); left < 0)
      log::warn("http", "the server certificate has expired; clients will refuse it",
                {{"web_config", path}, {"expired_seconds_ago", -left}});
  }
  if (!cfg->basic_auth_users.empty()) sec->auth = std::make_shared<BasicAuth>(cfg->basic_auth_users);
  sec->headers = cfg->headers;
  sec->rate_limit = cfg->rate_limit;
  return std::shared_ptr<const Security>(sec);
}

}  // namespace

struct HttpServer::Impl {
  // Declared before the io_context: sessions it destroys still count themselves out here.
  config::HttpSettings settings;
  std::mutex router_mu;
  std::shared_ptr<const Router> router;  // guarded by router_mu
  RequestObserver on_request;
  ConnectionObserver on_connection;
  std::atomic<size_t> open{0};
  std::mutex clients_mu;
  std::map<asio::ip::address, size_t> per_client;  // open connections by peer address; guarded by clients_mu
  std::mutex security_mu;
  std::shared_ptr<const Security> security = std::make_shared<Security>();  // guarded by security_mu
  std::chrono::steady_clock::time_point last_watch{};                       // I/O thread only
  std::mutex bucket_mu;
  double tokens = 0;  // the rate limit's bucket; guarded by bucket_mu
  std::chrono::steady_clock::time_point refilled{};

  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_backoff{ioc};
  asio::steady_timer watch_timer{ioc};
  std::thread thread;
  bool started = false;
  std::unique_ptr<WorkerPool> probe_pool, scrape_pool, api_pool;

  std::shared_ptr<const Router> current_router() {
    std::lock_guard lock(router_mu);
    return router;
  }
  std::shared_ptr<const Security> current_security() {
    std::lock_guard lock(security_mu);
    return security;
  }
  void set_security(std::shared_ptr<const Security> sec) {
    {
      std::lock_guard lock(bucket_mu);
      tokens = sec->rate_limit.burst;
      refilled = std::chrono::steady_clock::now();
    }
    std::lock_guard lock(security_mu);
    security = std::move(sec);
  }
  // At most once a second: when the web config file or a file it names changed (a renewed
  // certificate), load it again; a broken one is logged and the current one stays.
  void watch_web_config() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_watch < std::chrono::seconds(1)) return;
    last_watch = now;
    const auto sec = current_security();
    if (sec->path.empty()) return;
    bool changed = false;
    for (const auto& [file, stamp] : sec->stamps) changed = changed || stamp_of(file) != stamp;
    if (!changed) return;
    auto next = load_security(sec->path);
    if (!next.ok()) {
      log::error("http", "the changed web config is not applied; the previous one stays",
                 {{"web_config", sec->path}, {"problem", next.message()}});
      // Not retried until the files change again.
      auto same = std::make_shared<Security>(*sec);
      for (auto& [file, stamp] : same->stamps) stamp = stamp_of(file);
      replace_security(sec, std::move(same));
      return;
    }
    if (replace_security(sec, *next))
      log::info("http", "web config reloaded", {{"web_config", sec->path}, {"tls", (*next)->tls != nullptr}});
  }
  // Installs `next` unless the security in force is no longer `expected` (a SIGHUP reload came
  // first: it read the files as new or newer).
  bool replace_security(const std::shared_ptr<const Security>& expected, std::shared_ptr<const Security> next) {
    {
      std::lock_guard lock(security_mu);
      if (security != expected) return false;
    }
    set_security(std::move(next));
    return true;
  }
  // Every second on the I/O thread: the watch, also when no connection arrives.
  void schedule_watch() {
    watch_timer.expires_after(std::chrono::seconds(1));
    watch_timer.async_wait([this](beast::error_code ec) {
      if (ec) return;
      watch_web_config();
      schedule_watch();
    });
  }
  // One request's token from the rate limit's bucket; false when it is empty.
  bool take_token(const RateLimit& limit) {
    if (limit.interval.count() <= 0) return true;
    std::lock_guard lock(bucket_mu);
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min<double>(limit.burst, tokens + std::chrono::duration<double>(now - refilled).count() /
                                                        std::chrono::duration<double>(limit.interval).count());
    refilled = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
  WorkerPool& pool_for(Lane lane) {
    switch (lane) {
      case Lane::probe: return *probe_pool;
      case Lane::scrape: return *scrape_pool;
      case Lane::api: break;
    }
    return *api_pool;
  }
  void connection_changed(const char* rejected) {
    if (on_connection) on_connection(open.load(), rejected);
  }
  // Counts a connection from `peer` in; the limit it would exceed, or nullptr when admitted.
  const char* admit(const asio::ip::address& peer) {
    if (open.load() >= settings.max_connections) return "max_connections";
    std::lock_guard lock(clients_mu);
    auto& n = per_client[peer];
    if (n >= settings.max_connections_per_client) return "max_connections_per_client";
    ++n;
    ++open;
    return nullptr;
  }
  void release(const asio::ip::address& peer) {
    {
      std::lock_guard lock(clients_mu);
      auto it = per_client.find(peer);
      if (it != per_client.end() && --it->second == 0) per_client.erase(it);
    }
    --open;
    connection_changed(nullptr);
  }
  void do_accept();
};

namespace {

using HttpResponse = bhttp::response<bhttp::string_body>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
Stream open_stream(tcp::socket socket, const Security& sec) {
  if constexpr (std::is_same_v<Stream, TlsStream>)
    return TlsStream(PlainStream(std::move(socket)), *sec.tls);
  else
    return PlainStream(std::move(socket));
}

Response plain_text(unsigned status, std::string text) {
  return Response{status, "text/plain; charset=utf-8", std::move(text)};
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(tcp::socket socket, asio::ip::address peer, HttpServer::Impl& server, std::shared_ptr<const Security> sec)
      : stream_(open_stream<Stream>(std::move(socket), *sec)),
        peer_(std::move(peer)),
        server_(server),
        security_(std::move(sec)) {}
  ~Session() { server_.release(peer_); }

  void run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(server_.settings.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      read();
    }
  }

 private:
  void on_handshake(beast::error_code ec) {
    if constexpr (kTls) {
      if (ec) {
        // A client that does not trust us, sends no or a foreign certificate, or speaks plain HTTP.
        log::debug("http", "TLS handshake failed", {{"peer", peer_.to_string()}, {"error", ec.message()}});
        return close_socket();
      }
      identity_ = client_identity(stream_.native_handle());
      if (!client_san_allowed(stream_.native_handle(), security_->client_allowed_sans)) {
        log::warn("http", "a client certificate without an allowed SAN was refused",
                  {{"peer", peer_.to_string()}, {"identity", identity_}});
        return close_socket();
      }
      read();
    }
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.settings.max_header_bytes));
    parser_->body_limit(server_.settings.max_body_bytes);
    // One deadline for the whole request: a client trickling bytes is cut off all the same.
    beast::get_lowest_layer(stream_).expires_after(server_.settings.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::ssl::error::stream_truncated) {
      return close();
    }
    if (ec == bhttp::error::header_limit) return send_error(431, "request header too large\n");
    if (ec == bhttp::error::body_limit) return send_error(413, "request body too large\n");
    if (ec) return send_error(400, "bad request: " + ec.message() + "\n");
    const auto start = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    Request r;
    r.method = std::string(req.method_string());
    const std::string target(req.target());
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(req.body());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.identity = identity_;
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    // A web config applied since this connection began rules this request (a removed user, a
    // new rate limit); the connection then closes, so its next request meets the new TLS too.
    if (auto now_in_force = server_.current_security(); now_in_force != security_) {
      security_ = std::move(now_in_force);
      keep_alive_ = false;
    }
    if (!server_.take_token(security_->rate_limit)) {
      keep_alive_ = false;
      Response limited = plain_text(429, "too many requests: over the web config's rate_limit; retry shortly\n");
      limited.headers.emplace_back("Retry-After", "1");
      return respond(std::move(limited), "other", r.method == "HEAD", start);
    }
    auto router = server_.current_router();
    WorkerPool* pool = &server_.pool_for(router->lane_of(r));
    const auto& auth = security_->auth;
    bool verify = false;  // credentials not seen before: bcrypt, in the API pool (bounded)
    if (auth) {
      if (auto user = auth->cached(r.header("authorization"))) {
        r.identity = "user:" + *user;
      } else {
        verify = true;
        pool = &server_.pool_for(Lane::api);
      }
    }
    // The handler runs in its lane's pool; the answer comes back to this session's strand.
    const bool queued =
        pool->try_post([self = this->shared_from_this(), router, r = std::move(r), start, verify, auth]() mutable {
          std::string route = "other";
          Response resp;
          if (verify) {
            if (auto user = auth->verify(r.header("authorization"))) {
              r.identity = "user:" + *user;
            } else {
              resp = plain_text(401, "unauthorized: this server needs a user and password (basic authentication)\n");
              resp.headers.emplace_back("WWW-Authenticate", "Basic realm=\"vigil\", charset=\"UTF-8\"");
              return self->post_response(std::move(resp), route, r.method == "HEAD", start);
            }
          }
          try {
            resp = router->dispatch(r, route);
          } catch (const std::exception& e) {
            log::error("http", "handler failed", {{"path", r.path}, {"error", e.what()}});
            resp = plain_text(500, "internal error\n");
          }
          self->post_response(std::move(resp), route, r.method == "HEAD", start);
        });
    if (!queued) {
      keep_alive_ = false;
      Response busy = plain_text(
          503, pool->name() == "api" ? "busy: " + std::to_string(server_.settings.api_queue) +
                                           " API requests are already waiting (http.api_queue); retry shortly\n"
                                     : "busy: too many " + pool->name() + " requests are waiting; retry shortly\n");
      busy.headers.emplace_back("Retry-After", "1");
      respond(std::move(busy), "other", false, start);
    }
  }

  // From a worker: hands the response to this session's strand.
  void post_response(Response resp, std::string route, bool head, std::chrono::steady_clock::time_point start) {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this(), resp = std::move(resp), route = std::move(route), head,
                start]() mutable { self->respond(std::move(resp), route, head, start); });
  }

  void respond(Response resp, const std::string& route, bool head, std::chrono::steady_clock::time_point start) {
    auto res = std::make_shared<HttpResponse>(static_cast<bhttp::status>(resp.status), version_);
    res->set(bhttp::field::server, "vigil");
    res->set(bhttp::field::content_type, resp.content_type);
    for (const auto& [name, value] : security_->headers) res->set(name, value);
    for (const auto& [name, value] : resp.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    if (!head) res->body() = std::move(resp.body);
    res->prepare_payload();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (server_.on_request) server_.on_request(route, resp.status, secs);
    write(std::move(res));
  }

  void send_error(unsigned status, std::string body) {
    keep_alive_ = false;
    version_ = 11;
    respond(plain_text(status, std::move(body)), "other", false, std::chrono::steady_clock::now());
  }

  void write(const std::shared_ptr<HttpResponse>& res) {
    beast::get_lowest_layer(stream_).expires_after(server_.settings.read_timeout);
    bhttp::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->read();
    });
  }

  void close() {
    if constexpr (kTls) {
      // close_notify, bounded: a peer that never answers it is cut off.
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_socket(); });
    } else {
      close_socket();
    }
  }

  void close_socket() {
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  Stream stream_;
  const asio::ip::address peer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  HttpServer::Impl& server_;
  std::shared_ptr<const Security> security_;  // in force at the last request (I/O thread only)
  std::string identity_;                      // the verified client certificate's, or ""
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor || !acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors (EMFILE, ENFILE) or buffers: retry shortly, without blocking the
      // I/O thread meanwhile and without spinning.
      accept_backoff.expires_after(std::chrono::milliseconds(50));
      accept_backoff.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) do_accept();
      });
      return;
    }
    {
      watch_web_config();
      beast::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec).address();
      const char* rejected = peer_ec ? "gone" : admit(peer);
      if (rejected) {
        if (!peer_ec) connection_changed(rejected);  // counted before the client can see the close
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        connection_changed(nullptr);
        auto sec = current_security();
        if (sec->tls)
          std::make_shared<Session<TlsStream>>(std::move(socket), peer, *this, std::move(sec))->run();
        else
          std::make_shared<Session<PlainStream>>(std::move(socket), peer, *this, std::move(sec))->run();
      }
    }
    do_accept();
  });
}

HttpServer::HttpServer(config::HttpSettings settings, std::shared_ptr<const Router> router, RequestObserver on_request,
                       ConnectionObserver on_connection)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->router = std::move(router);
  impl_->on_request = std::move(on_request);
  impl_->on_connection = std::move(on_connection);
}

HttpServer::~HttpServer() {
  stop();
}

Result<uint16_t> HttpServer::start() {
  const auto& listen = impl_->settings.listen;
  auto where = config::parse_listen_address(listen);
  if (!where.ok()) return Status::error("[http] " + where.message());
  beast::error_code ec;
  const auto addr = asio::ip::make_address(where->ip, ec);
  if (ec) return Status::error("[http] listen = \"" + listen + "\": " + ec.message());
  const tcp::endpoint ep(addr, where->port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::error("[http] listen = \"" + listen + "\": cannot listen: " + ec.message() +
                         " (is another process using the port? pick another, or port 0 for any free one)");
  const uint16_t bound = a.local_endpoint().port();
  const auto& st = impl_->settings;
  impl_->probe_pool = std::make_unique<WorkerPool>("probe", 2, 64);
  impl_->scrape_pool = std::make_unique<WorkerPool>("scrape", 1, 64);
  impl_->api_pool = std::make_unique<WorkerPool>("api", st.api_workers, st.api_queue);
  impl_->do_accept();
  impl_->schedule_watch();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  impl_->started = true;
  return bound;
}

Status check_web_config(const std::string& path) {
  auto sec = load_security(path);
  return sec.ok() ? Status{} : sec.status();
}

Status HttpServer::set_web_config(const std::string& path) {
  auto sec = load_security(path);
  if (!sec.ok()) return sec.status();
  impl_->set_security(std::move(*sec));
  return {};
}

bool HttpServer::tls() const {
  return impl_->current_security()->tls != nullptr;
}

void HttpServer::set_router(std::shared_ptr<const Router> router) {
  std::lock_guard lock(impl_->router_mu);
  impl_->router = std::move(router);
}

void HttpServer::stop() {
  if (!impl_ || !impl_->started) return;
  impl_->started = false;
  asio::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_backoff.cancel();
    impl_->watch_timer.cancel();
  });
  // Sessions finish the response in flight; idle ones are cut when the loop stops. Handlers
  // still running finish (their answers are written while the loop runs); queued ones are dropped.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto* pool : {impl_->probe_pool.get(), impl_->scrape_pool.get(), impl_->api_pool.get()})
    if (pool) pool->stop();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace vigil::http
