// One of the two translation units of the load module that include Asio and Beast (with ws_load.cpp).
#include "load/http_load.h"
#include "load/http_reply_parser.h"
#include "load/live_totals.h"
#include "load/tls_context.h"
#include "load/process_stats.h"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

namespace vigil::load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// What one thread measured; merged into the RunResult at the end.
struct Second {
  uint64_t offered = 0, completed = 0, errors = 0, dropped = 0;
  Histogram latency{2};
};

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Shared {
  const LoadOptions* options = nullptr;
  std::unique_ptr<asio::ssl::context> tls;  // https: the client context (verification, CA)
  LoadProfile profile{0, {}};
  bool ramped_connections = false;  // closed model with stages: connection g runs while the level exceeds g
  RequestSource* source = nullptr;
  ParsedUrl url;
  std::string host_line;  // "Host: h[:port]\r\n"
  tcp::resolver::results_type endpoints;
  Clock::time_point start, measure_from, end;
  std::atomic<uint64_t> next_seq{0};
  std::atomic<bool> stop{false};  // no new requests
  std::atomic<uint64_t> completed{0}, errors{0}, dropped{0};
  std::atomic<uint64_t> open_connections{0}, max_open{0};
  std::mutex fatal_mu;
  std::string fatal;    // a scenario failure that ends the run
  bool judged = false;  // options->judge is set: the workers feed `live`
  LiveTotals live;
};

struct Worker {
  Shared* sh = nullptr;
  int index = 0, connections = 0;
  asio::io_context io{1};
  std::unique_ptr<asio::steady_timer> wake;  // idle connections wait here (open model)
  std::deque<Clock::time_point> due;         // open model: requests due, oldest first
  int in_flight = 0;
  // Request deadlines, checked by this thread's sweeper rather than by a timer armed for each
  // read and write (wrk checks its timeouts the same way): a request past its deadline has its
  // socket's operations cancelled and counts as a timeout. One per connection of the thread.
  struct Deadline {
    tcp::socket* socket = nullptr;  // set while a request is in flight
    Clock::time_point at{};
    bool expired = false;
  };
  std::vector<Deadline> deadlines;
  RunResult part;
  std::vector<Second> seconds;
  std::atomic<int64_t> last_p95{0};
  LiveTotals::Batch batch;  // for sh->live, when the run is judged as it goes

  bool measured(Clock::time_point t) const { return t >= sh->measure_from; }
  Second& second_at(Clock::time_point t) {
    const auto i = static_cast<size_t>(std::max<int64_t>(0, us_between(sh->measure_from, t)) / 1'000'000);
    if (seconds.size() <= i) {
      if (!seconds.empty()) last_p95 = seconds.back().latency.percentile(95);  // for the progress line
      seconds.resize(i + 1);
    }
    return seconds[i];
  }
  void fail(Clock::time_point intended, const std::string& kind, const std::string& message, const std::string& tag) {
    sh->errors.fetch_add(1, std::memory_order_relaxed);
    if (!measured(intended)) return;
    ++part.requests;
    ++part.errors[kind];
    part.error_examples.try_emplace(kind, message);
    if (!tag.empty()) {
      auto& t = part.tags[tag];
      ++t.requests;
      ++t.errors;
    }
    const auto now = Clock::now();
    ++second_at(now).errors;
    if (sh->judged) {
      ++batch.failed;
      sh->live.offer(batch, now);
    }
  }
};

// The kind of a failed read or write (replies that are not HTTP are the parser's to judge).
std::string classify(const beast::error_code& ec) {
  return ec == beast::error::timeout ? kErrTimeout : kErrReset;  // reset, broken pipe, EOF mid-write …
}

std::string host_field(const ParsedUrl& url) {
  return url.host + (url.port == (url.tls ? "443" : "80") ? "" : ":" + url.port);
}

// The request as it goes on the wire, written into `out` (its capacity reused from request to
// request) without building Beast's field list: this is the load's hot path. The scenario's Host and User-Agent replace
// the defaults; the length is always vigil's. An error when a header could split the request (CR or LF in it).
Status serialize_request(const Shared& sh, const HttpRequestSpec& spec, std::string& out) {
  out.clear();
  out.append(spec.method).append(" ").append(sh.url.base_path).append(spec.target).append(" HTTP/1.1\r\n");
  bool host = false, agent = false;
  for (const auto& [k, v] : spec.headers) {
    if (k.empty() || k.find_first_of("\r\n: ") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
      return Status::error("header \"" + k + "\" has a name or value that is not allowed (CR, LF, or ':' in the name)");
    if (beast::iequals(k, "content-length") || beast::iequals(k, "transfer-encoding")) continue;
    host = host || beast::iequals(k, "host");
    agent = agent || beast::iequals(k, "user-agent");
    out.append(k).append(": ").append(v).append("\r\n");
  }
  if (!host) out.append(sh.host_line);
  if (!agent) out.append("User-Agent: vigil-bench\r\n");
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH")
    out.append("Content-Length: ").append(std::to_string(spec.body.size())).append("\r\n");
  out.append("\r\n").append(spec.body);
  return {};
}

// Plain sockets rather than Beast's tcp_stream: its timer bookkeeping on every read and write
// was a measurable share of a request; deadlines are kept by the sweeper and by Watchdog.
using PlainStream = tcp::socket;
using TlsStream = asio::ssl::stream<tcp::socket>;

tcp::socket& socket_of(tcp::socket& s) {
  return s;
}
tcp::socket& socket_of(TlsStream& s) {
  return s.next_layer();
}

template <class Stream>
std::unique_ptr<Stream> new_stream(asio::io_context& io, Shared& sh) {
  if constexpr (std::is_same_v<Stream, TlsStream>)
    return std::make_unique<TlsStream>(io, *sh.tls);
  else
    return std::make_unique<tcp::socket>(io);
}

// Closes a socket whose connect, handshake or setup request is still going when `after` ends.
// Single-threaded use (one io_context thread); the shared flag keeps a late handler from
// touching a socket that is gone.
class Watchdog {
 public:
  Watchdog(asio::io_context& io, tcp::socket& socket, std::chrono::milliseconds after)
      : timer_(io, after), armed_(std::make_shared<bool>(true)), fired_(std::make_shared<bool>(false)) {
    timer_.async_wait([armed = armed_, fired = fired_, &socket](const beast::error_code& ec) {
      if (ec || !*armed) return;
      *fired = true;
      beast::error_code ignored;
      socket.close(ignored);
    });
  }
  ~Watchdog() {
    *armed_ = false;
    timer_.cancel();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  bool fired() const { return *fired_; }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> armed_, fired_;
};

// TCP connect within the connect timeout, and for https the TLS handshake (with SNI and, unless
// verification is off, the certificate checked against the host name).
asio::awaitable<beast::error_code> open_stream(tcp::socket& stream, Shared& sh, asio::io_context& io) {
  Watchdog watchdog(io, stream, sh.options->connect_timeout);
  auto [ec, ep] = co_await asio::async_connect(stream, sh.endpoints, kTuple);
  (void)ep;
  co_return watchdog.fired() ? beast::error_code(beast::error::timeout) : ec;
}

asio::awaitable<beast::error_code> open_stream(TlsStream& stream, Shared& sh, asio::io_context& io) {
  Watchdog watchdog(io, stream.next_layer(), sh.options->connect_timeout);
  auto [ec, ep] = co_await asio::async_connect(stream.next_layer(), sh.endpoints, kTuple);
  (void)ep;
  if (watchdog.fired()) co_return beast::error_code(beast::error::timeout);
  if (ec) co_return ec;
  if (!SSL_set_tlsext_host_name(stream.native_handle(), sh.url.host.c_str()))
    co_return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  if (!sh.options->tls_skip_verify) stream.set_verify_callback(asio::ssl::host_name_verification(sh.url.host));
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kTuple);
  co_return watchdog.fired() ? beast::error_code(beast::error::timeout) : hec;
}

// Fills `view` (its header list's capacity reused) with what the scenario sees of the reply.
const HttpReplyView& view_of(const HttpReplyParser& reply, HttpReplyView& view) {
  view.status = reply.status();
  view.headers.assign(reply.headers().begin(), reply.headers().end());
  view.body = reply.body();
  return view;
}

// Bytes read from a connection and not yet used by the parser: [pos, end) of data. Kept per
// connection, so a reply's bytes that arrive with the previous one's are not lost.
struct ReadBuffer {
  std::vector<char> data = std::vector<char>(16 * 1024);
  size_t pos = 0, end = 0;
  void clear() { pos = end = 0; }
};

struct ReadOutcome {
  beast::error_code ec;  // a read failed (reset, timeout's cancellation …)
  bool eof = false;      // the peer closed; the parser was told
};

// Reads one reply into `parser` (already reset): first what `in` holds, then from the stream.
// `first_byte` is set when the first bytes arrive; `read_bytes` counts what was read.
template <class Stream>
asio::awaitable<ReadOutcome> read_reply(Stream& stream, ReadBuffer& in, HttpReplyParser& parser,
                                        Clock::time_point& first_byte, size_t& read_bytes) {
  if (in.pos < in.end) {
    first_byte = Clock::now();
    in.pos += parser.feed(in.data.data() + in.pos, in.end - in.pos);
  }
  while (parser.state() == HttpReplyParser::State::need_more) {
    in.clear();  // the parser takes every byte while it needs more
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(in.data.data(), in.data.size()), kTuple);
    if (first_byte == Clock::time_point{}) first_byte = Clock::now();
    read_bytes += n;
    in.end = n;
    if (n) in.pos += parser.feed(in.data.data(), n);
    if (ec) {
      if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated) co_return ReadOutcome{ec, false};
      parser.finish_eof();
      co_return ReadOutcome{{}, true};
    }
  }
  co_return ReadOutcome{};
}

// The scenario's setup requests, one after another on one connection, before the load.
template <class Stream>
asio::awaitable<Status> setup(Shared& sh, asio::io_context& io) {
  const LoadOptions& o = *sh.options;
  std::unique_ptr<Stream> stream;
  ReadBuffer in;
  HttpReplyParser reply;
  std::string wire;
  bool connected = false;
  for (uint32_t step = 0;; ++step) {
    HttpRequestSpec spec;
    auto more = sh.source->setup_request(step, spec);
    if (!more.ok()) co_return Status::error("setup step " + std::to_string(step) + ": " + more.message());
    if (!more.value()) co_return Status{};
    const std::string what = "setup step " + std::to_string(step) + " (" + spec.method + " " + spec.target + ")";
    if (!connected) {
      stream = new_stream<Stream>(io, sh);
      const auto ec = co_await open_stream(*stream, sh, io);
      if (ec)
        co_return Status::error(what + ": cannot connect to " + sh.url.host + ":" + sh.url.port + ": " +
                                describe_connect_error(ec));
      connected = true;
    }
    if (auto st = serialize_request(sh, spec, wire); !st.ok()) co_return Status::error(what + ": " + st.message());
    Watchdog watchdog(io, socket_of(*stream), std::chrono::duration_cast<std::chrono::milliseconds>(o.request_timeout));
    auto [wec, wn] = co_await asio::async_write(*stream, asio::buffer(wire), kTuple);
    (void)wn;
    reply.reset(spec.method == "HEAD");
    beast::error_code ec = wec;
    if (!ec) {
      Clock::time_point first{};
      size_t n = 0;
      const ReadOutcome r = co_await read_reply(*stream, in, reply, first, n);
      ec = r.ec;
    }
    if (watchdog.fired()) co_return Status::error(what + ": no reply in time");
    if (ec) co_return Status::error(what + ": " + ec.message());
    if (reply.state() == HttpReplyParser::State::error) co_return Status::error(what + ": " + reply.error());
    HttpReplyView view;
    if (auto st = sh.source->check_setup(step, view_of(reply, view)); !st.ok())
      co_return Status::error(what + ": " + st.message());
    if (!reply.keep_alive()) {
      socket_of(*stream).close();
      in.clear();
      connected = false;
    }
  }
}

// Connection number g of the run (threads take them in turn, so a ramp spreads over threads),
// number `local` of its thread.
template <class Stream>
asio::awaitable<void> connection(Worker& w, int g, int local) {
  Shared& sh = *w.sh;
  const LoadOptions& o = *sh.options;
  const bool open = o.open();
  std::unique_ptr<Stream> stream;  // a new one for each connection: a TLS stream is not reusable
  ReadBuffer in;
  HttpReplyParser reply;
  bool connected = false;
  int64_t connect_backoff_ms = 0;
  TagStats* tag_stats = nullptr;  // the last tag's entry in w.part.tags (map nodes stay put)
  std::string tag_name;
  // Reused from request to request: what the scenario builds, the bytes sent, the reply's view.
  HttpRequestSpec spec;
  std::string wire;
  HttpReplyView reply_view;
  while (!sh.stop.load(std::memory_order_relaxed)) {
    Clock::time_point intended = Clock::now();
    if (sh.ramped_connections) {
      // Below this connection's level: it closes after its request, as k6 ramps VUs down, and
      // waits (in slices, to see the stop) for the level to come back.
      const double t = seconds_between(sh.start, intended);
      if (sh.profile.at(t) + 1e-9 < g + 1) {
        if (connected) {
          socket_of(*stream).close();
          in.clear();
          connected = false;
          sh.open_connections.fetch_sub(1);
        }
        const double when = sh.profile.first_reaching(g + 1, t).value_or(sh.profile.duration_s());
        asio::steady_timer timer(w.io);
        timer.expires_at(std::min(sh.start + std::chrono::microseconds(static_cast<int64_t>(when * 1e6)),
                                  intended + std::chrono::milliseconds(200)));
        co_await timer.async_wait(kTuple);
        continue;
      }
    }
    if (open) {
      // The wake timer never expires (setting its expiry here would cancel the other idle
      // connections' waits, and they would wake each other in a loop): the pacer's cancel_one
      // wakes one idle connection, a stop's cancel all.
      while (w.due.empty() && !sh.stop.load(std::memory_order_relaxed)) co_await w.wake->async_wait(kTuple);
      if (w.due.empty()) break;
      intended = w.due.front();
      w.due.pop_front();
      if (Clock::now() - intended > o.request_timeout) {  // waited too long for a connection
        sh.dropped.fetch_add(1, std::memory_order_relaxed);
        if (w.measured(intended)) {
          ++w.part.dropped;
          ++w.second_at(intended).dropped;
          if (sh.judged) ++w.batch.dropped;
        }
        continue;
      }
    }
    const uint64_t seq = sh.next_seq.fetch_add(1, std::memory_order_relaxed);
    if (o.iterations && seq >= o.iterations) {
      sh.stop = true;
      break;
    }
    if (!connected) {
      if (connect_backoff_ms) {  // a refusing target must not turn into a busy loop
        asio::steady_timer t(w.io, std::chrono::milliseconds(connect_backoff_ms));
        co_await t.async_wait(kTuple);
        if (sh.stop) break;
      }
      const auto t0 = Clock::now();
      stream = new_stream<Stream>(w.io, sh);
      const auto ec = co_await open_stream(*stream, sh, w.io);
      if (ec) {
        w.fail(intended, kErrConnect,
               "connect to " + sh.url.host + ":" + sh.url.port + ": " + describe_connect_error(ec), "");
        connect_backoff_ms = std::min<int64_t>(connect_backoff_ms ? connect_backoff_ms * 2 : 10, 1000);
        socket_of(*stream).close();
        continue;
      }
      connect_backoff_ms = 0;
      connected = true;
      if (w.measured(t0)) {
        w.part.connect.record(us_between(t0, Clock::now()));
        ++w.part.connections_opened;
      }
      const auto now_open = sh.open_connections.fetch_add(1) + 1;
      for (auto m = sh.max_open.load(); now_open > m && !sh.max_open.compare_exchange_weak(m, now_open);) {
      }
      socket_of(*stream).set_option(tcp::no_delay(true));
    }
    spec.method.assign("GET");  // the defaults of a fresh spec, keeping the strings' capacity
    spec.target.assign("/");
    spec.headers.clear();
    spec.body.clear();
    spec.tag.clear();
    Status built = sh.source->build(seq, spec);
    if (built.ok()) built = serialize_request(sh, spec, wire);
    if (!built.ok()) {
      std::lock_guard l(sh.fatal_mu);
      if (sh.fatal.empty())
        sh.fatal = "the scenario could not build request " + std::to_string(seq) + ": " + built.message();
      sh.stop = true;
      break;
    }
    if (spec.tag.empty()) spec.tag = spec.method + " " + spec.target;
    const std::string& tag = spec.tag;
    const auto what = [&spec] { return spec.method + " " + spec.target; };  // for error messages only

    ++w.in_flight;
    const auto sent = Clock::now();
    if (w.measured(intended) && open && sent - intended > std::chrono::milliseconds(10)) ++w.part.late;
    auto& deadline = w.deadlines[static_cast<size_t>(local)];
    deadline = {&socket_of(*stream), sent + o.request_timeout, false};
    auto [wec, wn] = co_await asio::async_write(*stream, asio::buffer(wire), kTuple);
    reply.reset(spec.method == "HEAD");
    beast::error_code ec = wec;
    Clock::time_point first_byte{};
    size_t read_bytes = 0;
    bool eof = false;
    if (!ec) {
      const ReadOutcome r = co_await read_reply(*stream, in, reply, first_byte, read_bytes);
      ec = r.ec;
      eof = r.eof;
    }
    --w.in_flight;
    deadline.socket = nullptr;
    const auto done = Clock::now();
    if (ec || reply.state() == HttpReplyParser::State::error) {
      // A read error; the peer closing before the reply was whole (reset); or a reply that is not
      // HTTP (protocol).
      const std::string kind = deadline.expired ? kErrTimeout : ec ? classify(ec) : eof ? kErrReset : kErrProtocol;
      w.fail(intended, kind,
             what() + ": " +
                 (kind == kErrTimeout ? "no reply within " + std::to_string(o.request_timeout.count()) + " ms"
                  : ec                ? ec.message()
                                      : reply.error()),
             tag);
      beast::error_code ignored;
      socket_of(*stream).shutdown(tcp::socket::shutdown_both, ignored);
      socket_of(*stream).close();
      in.clear();
      connected = false;
      sh.open_connections.fetch_sub(1);
      continue;
    }
    const int status = reply.status();
    std::string problem;
    std::string kind;
    if (status >= 500) {
      kind = kErrHttp5xx;
    } else if (status >= 400) {
      kind = kErrHttp4xx;
    }
    if (kind.empty()) {
      problem = sh.source->check(seq, view_of(reply, reply_view));
      if (!problem.empty()) kind = kErrValidation;
    }
    if (!kind.empty()) {
      w.fail(intended, kind, problem.empty() ? "HTTP " + std::to_string(status) + " from " + what() : problem, tag);
    } else {
      sh.completed.fetch_add(1, std::memory_order_relaxed);
      if (w.measured(intended)) {
        const int64_t lat = us_between(intended, done);
        ++w.part.requests;
        ++w.part.ok;
        w.part.latency.record(lat);
        w.part.service.record(us_between(sent, done));
        w.part.ttfb.record(us_between(sent, first_byte));
        if (!tag_stats || tag != tag_name) {  // most runs have one tag or a few: skip the lookup
          tag_stats = &w.part.tags[tag];
          tag_name = tag;
        }
        auto& t = *tag_stats;
        ++t.requests;
        t.latency.record(lat);
        auto& s = w.second_at(done);
        ++s.completed;
        s.latency.record(lat);
        if (sh.judged) {
          w.batch.latency.record(lat);
          ++w.batch.ok;
          sh.live.offer(w.batch, done);
        }
      }
    }
    if (w.measured(intended)) {
      w.part.bytes_sent += wn;
      w.part.bytes_received += read_bytes;
    }
    if (!reply.keep_alive()) {
      socket_of(*stream).close();
      in.clear();
      connected = false;
      sh.open_connections.fetch_sub(1);
    }
  }
  if (connected) {
    socket_of(*stream).close();
    sh.open_connections.fetch_sub(1);
  }
  w.wake->cancel();  // let the other idle connections of this thread see the stop too
}

// Cancels the requests of this thread that are past their deadline; ends after the stop once
// no request is in flight.
asio::awaitable<void> sweeper(Worker& w) {
  Shared& sh = *w.sh;
  const auto every = std::clamp<Clock::duration>(sh.options->request_timeout / 20, std::chrono::milliseconds(5),
                                                 std::chrono::milliseconds(100));
  asio::steady_timer timer(w.io);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(kTuple);
    const auto now = Clock::now();
    bool armed = false;
    for (auto& d : w.deadlines) {
      if (!d.socket) continue;
      armed = true;
      if (!d.expired && now >= d.at) {
        d.expired = true;
        beast::error_code ignored;
        d.socket->cancel(ignored);
      }
    }
    if (sh.stop.load(std::memory_order_relaxed) && !armed) break;
  }
}

// Open model: makes requests due on the rate profile and wakes an idle connection for each. The
// threads take the run's arrivals in turn, so their requests interleave.
asio::awaitable<void> pacer(Worker& w, int threads) {
  Shared& sh = *w.sh;
  asio::steady_timer timer(w.io);
  for (uint64_t i = 0; !sh.stop.load(std::memory_order_relaxed); ++i) {
    const auto at = sh.profile.arrival_time(
        static_cast<double>(i * static_cast<uint64_t>(threads) + static_cast<uint64_t>(w.index)));
    if (!at) break;
    const auto due = sh.start + std::chrono::microseconds(static_cast<int64_t>(*at * 1e6));
    if (due >= sh.end) break;
    if (due > Clock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(kTuple);
    }
    w.due.push_back(due);
    if (w.measured(due)) ++w.second_at(due).offered;
    w.wake->cancel_one();
  }
}

}  // namespace

std::string describe_connect_error(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec.category() == asio::error::get_ssl_category() || ec.category() == asio::ssl::error::get_stream_category()) {
    std::string m = ec.message();
    const auto code = static_cast<unsigned long>(ec.value());
    if (const char* r = ERR_GET_REASON(code) != 0 ? ERR_reason_error_string(code) : nullptr) m = r;
    if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED)
      m += " (trust its CA with --tls-ca-file or tls_ca_file, or turn checks off with --insecure-skip-tls-verify)";
    return "TLS: " + m;
  }
  return ec.message();
}

Result<std::unique_ptr<asio::ssl::context>> make_tls_context(const LoadOptions& o) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!o.tls_ca_file.empty()) {
    ctx->load_verify_file(o.tls_ca_file, ec);
    if (ec)
      return Status::error("tls_ca_file \"" + o.tls_ca_file + "\": cannot load it as PEM certificates (" +
                           describe_connect_error(ec) + ")");
  }
  ctx->set_verify_mode(o.tls_skip_verify ? asio::ssl::verify_none : asio::ssl::verify_peer);
  return ctx;
}

Result<ParsedUrl> parse_http_url(const std::string& url) {
  const std::string hint = " (write http[s]://HOST[:PORT][/PATH], e.g. http://127.0.0.1:8080)";
  ParsedUrl p;
  p.tls = url.rfind("https://", 0) == 0;
  if (!p.tls && url.rfind("http://", 0) != 0)
    return Status::error("target \"" + url + "\" is not an http:// or https:// URL" + hint);
  if (p.tls) p.port = "443";
  const std::string rest = url.substr(p.tls ? 8 : 7);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  p.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  if (!p.base_path.empty() && p.base_path.back() == '/') p.base_path.pop_back();
  if (authority.empty()) return Status::error("target \"" + url + "\" names no host" + hint);
  if (authority.front() == '[') {  // [v6]:port
    const auto end = authority.find(']');
    if (end == std::string::npos) return Status::error("target \"" + url + "\": unclosed '[' in the host" + hint);
    p.host = authority.substr(1, end - 1);
    if (end + 1 < authority.size() && authority[end + 1] == ':') p.port = authority.substr(end + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    p.host = authority.substr(0, colon);
    p.port = authority.substr(colon + 1);
  } else {
    p.host = authority;
  }
  if (p.port.empty() || p.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(p.port) < 1 ||
      std::stoi(p.port) > 65535)
    return Status::error("target \"" + url + "\": the port must be 1-65535" + hint);
  return p;
}

Result<RunResult> run_http_load(const LoadOptions& o, RequestSource& source, const std::atomic<bool>* abort,
                                const std::function<void(const Progress&)>& progress) {
  if (o.connections < (!o.open() && !o.stages.empty() ? 0 : 1))
    return Status::error("at least one connection (--vus / connections) is needed");
  if (o.threads < 1) return Status::error("at least one thread is needed");
  if (o.rate < 0) return Status::error("the rate must be positive");
  auto url = parse_http_url(o.url);
  if (!url.ok()) return url.status();
  for (const auto& s : o.stages)
    if (!o.open() && s.target > 100000)
      return Status::error("stage target " + std::to_string(static_cast<int64_t>(s.target)) +
                           " connections: at most 100000");
  Shared sh;
  sh.options = &o;
  if (url.value().tls) {
    auto tls = make_tls_context(o);
    if (!tls.ok()) return tls.status();
    sh.tls = std::move(tls.value());
  }
  sh.profile = o.profile();
  sh.ramped_connections = !o.open() && !o.stages.empty();
  sh.judged = static_cast<bool>(o.judge);
  sh.source = &source;
  sh.url = url.value();
  sh.host_line = "Host: " + host_field(sh.url) + "\r\n";
  {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    sh.endpoints = resolver.resolve(sh.url.host, sh.url.port, ec);
    if (ec) return Status::error("target \"" + o.url + "\": cannot resolve " + sh.url.host + ": " + ec.message());
  }
  {
    asio::io_context io;
    Status st;
    auto steps = sh.tls ? setup<TlsStream>(sh, io) : setup<PlainStream>(sh, io);
    asio::co_spawn(io, std::move(steps), [&](std::exception_ptr e, Status r) {
      st = e ? Status::error("setup failed unexpectedly") : std::move(r);
    });
    io.run();
    if (!st.ok()) return st;
  }
  const int connections =
      sh.ramped_connections ? std::max(1, static_cast<int>(std::ceil(sh.profile.peak() - 1e-9))) : o.connections;
  const int threads = std::min(o.threads, connections);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    auto w = std::make_unique<Worker>();
    w->sh = &sh;
    w->index = t;
    w->connections = connections / threads + (t < connections % threads ? 1 : 0);
    w->wake = std::make_unique<asio::steady_timer>(w->io, Clock::time_point::max());
    workers.push_back(std::move(w));
  }
  const double cpu0 = self_cpu_seconds();
  sh.start = Clock::now();
  sh.measure_from = sh.start + o.warmup;
  sh.end = sh.measure_from + o.measured_duration();
  for (auto& w : workers) {
    w->deadlines.resize(static_cast<size_t>(w->connections));
    for (int c = 0; c < w->connections; ++c)
      asio::co_spawn(w->io,
                     sh.tls ? connection<TlsStream>(*w, c * threads + w->index, c)
                            : connection<PlainStream>(*w, c * threads + w->index, c),
                     asio::detached);
    asio::co_spawn(w->io, sweeper(*w), asio::detached);
    if (o.open()) asio::co_spawn(w->io, pacer(*w, threads), asio::detached);
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&io = w->io] { io.run(); });

  // The control loop: progress, the end of the run, the drain bound.
  uint64_t last_completed = 0;
  auto last_tick = sh.start;
  std::vector<uint64_t> open_per_second;  // the connections open at the end of each measured second
  std::string aborted_why;
  auto last_judged = sh.start;
  bool stopped_at_end = false;
  Clock::time_point stopped_at{};
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    const bool aborted = abort && abort->load();
    if (aborted && !sh.stop) aborted_why = "stopped before its end";
    if ((now >= sh.end || aborted) && !sh.stop) sh.stop = true;
    if (sh.judged && !sh.stop && now >= sh.measure_from && now - last_judged >= std::chrono::seconds(1)) {
      last_judged = now;
      aborted_why = o.judge(sh.live.snapshot(seconds_between(sh.measure_from, now)));
      if (!aborted_why.empty()) sh.stop = true;
    }
    if (sh.stop && !stopped_at_end) {
      stopped_at_end = true;
      stopped_at = now;
      for (auto& w : workers) asio::post(w->io, [wp = w.get()] { wp->wake->cancel(); });
    }
    sample_level(open_per_second, sh.measure_from, sh.end, now, sh.open_connections.load());
    bool all_done = true;
    for (auto& w : workers) all_done = all_done && w->io.stopped();
    if (all_done) break;
    if (stopped_at_end && now - stopped_at > o.drain) {
      // Requests still in flight after the drain bound are abandoned (counted as interrupted).
      for (auto& w : workers) w->io.stop();
    }
    if (progress && now - last_tick >= std::chrono::seconds(1)) {
      Progress p;
      p.elapsed_s = std::chrono::duration<double>(now - sh.start).count();
      p.completed = sh.completed.load();
      p.errors = sh.errors.load();
      p.dropped = sh.dropped.load();
      p.rate =
          static_cast<double>(p.completed - last_completed) / std::chrono::duration<double>(now - last_tick).count();
      p.warming_up = now < sh.measure_from;
      for (auto& w : workers) p.p95_us = std::max(p.p95_us, w->last_p95.load());
      last_completed = p.completed;
      last_tick = now;
      progress(p);
    }
  }
  for (auto& t : running) t.join();
  const auto finished = Clock::now();

  RunResult r;
  r.target = o.url;
  r.model = o.open() ? "open" : "closed";
  r.connections = connections;
  r.stages = stages_text(o.stages);
  r.threads = threads;
  r.rate = o.rate;
  r.warmup_s = std::chrono::duration<double>(o.warmup).count();
  const auto measured_end = std::min(finished, sh.end);
  r.duration_s = std::max(0.0, std::chrono::duration<double>(measured_end - sh.measure_from).count());
  std::vector<Second> seconds;
  for (auto& w : workers) {
    auto& p = w->part;
    p.interrupted = static_cast<uint64_t>(std::max(0, w->in_flight));
    r.add_part(p);
    if (seconds.size() < w->seconds.size()) seconds.resize(w->seconds.size());
    for (size_t i = 0; i < w->seconds.size(); ++i) {
      seconds[i].offered += w->seconds[i].offered;
      seconds[i].completed += w->seconds[i].completed;
      seconds[i].errors += w->seconds[i].errors;
      seconds[i].dropped += w->seconds[i].dropped;
      seconds[i].latency.add(w->seconds[i].latency);
    }
  }
  r.max_connections_open = sh.max_open.load();
  for (size_t i = 0; i < seconds.size(); ++i) {
    const auto& s = seconds[i];
    r.timeline.push_back({static_cast<int64_t>(i) * 1000, s.offered, s.completed, s.errors, s.dropped,
                          s.latency.percentile(50), s.latency.percentile(95), s.latency.percentile(99),
                          i < open_per_second.size() ? open_per_second[i] : 0});
  }
  r.generator_cpu_seconds = self_cpu_seconds() - cpu0;
  r.aborted = aborted_why;

  // Reasons not to trust the numbers.
  if (!r.aborted.empty()) r.warnings.push_back("the run ended early: " + r.aborted);
  const double wall = std::chrono::duration<double>(finished - sh.start).count();
  const double busy = wall > 0 ? r.generator_cpu_seconds / (wall * threads) : 0;
  if (busy > 0.9)
    r.warnings.push_back("the load generator used " + std::to_string(static_cast<int>(busy * 100)) +
                         " % of its threads' CPU: it may be the bottleneck (add --threads or a machine)");
  if (o.open() && r.dropped > 0)
    r.warnings.push_back(std::to_string(r.dropped) +
                         " due requests were dropped: they waited longer than the request timeout for a free "
                         "connection (the target is slower than the offered rate, or connections are too few)");
  if (o.open() && r.late > r.requests / 100 + 1)
    r.warnings.push_back(std::to_string(r.late) +
                         " requests were sent more than 10 ms after they were due; their latency counts from when "
                         "they were due (coordinated omission corrected)");
  if (const double offered = r.offered_rate(); o.open() && r.duration_s > 0 && r.throughput() < 0.9 * offered)
    r.warnings.push_back("achieved " + std::to_string(static_cast<int>(r.throughput())) + " req/s of the " +
                         std::to_string(static_cast<int>(offered)) + " offered");
  if (r.ok == 0 && r.errors.count(kErrConnect))
    r.warnings.push_back("no connection to the target could be opened: " + r.error_examples[kErrConnect]);
  if (r.interrupted)
    r.warnings.push_back(std::to_string(r.interrupted) + " requests were still in flight after the drain bound");
  {
    std::lock_guard l(sh.fatal_mu);
    if (!sh.fatal.empty()) return Status::error(sh.fatal);
  }
  return r;
}

}  // namespace vigil::load
