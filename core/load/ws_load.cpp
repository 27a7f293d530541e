// The only translation unit that includes Beast's WebSocket headers.
#include "load/ws_load.h"
#include "load/live_totals.h"
#include "load/tls_context.h"
#include "load/process_stats.h"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace vigil::load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Shared {
  const WsOptions* o = nullptr;
  std::unique_ptr<asio::ssl::context> tls;  // wss
  WsSource* source = nullptr;
  std::string host, port, path;
  tcp::resolver::results_type endpoints;
  Clock::time_point start, measure_from, end;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> completed{0}, errors{0}, open{0}, max_open{0}, drops{0};
  bool judged = false;  // the options' judge is set: the workers feed `live`
  LiveTotals live;
};

struct Worker {
  Shared* sh = nullptr;
  asio::io_context io{1};
  RunResult part;
  std::vector<uint64_t> done_per_second, errors_per_second;
  LiveTotals::Batch batch;
  bool measured(Clock::time_point t) const { return t >= sh->measure_from; }
  void count_second(std::vector<uint64_t>& v, Clock::time_point t) {
    const auto i = static_cast<size_t>(std::max<int64_t>(0, us_between(sh->measure_from, t)) / 1'000'000);
    if (v.size() <= i) v.resize(i + 1);
    ++v[i];
  }
  void fail(Clock::time_point at, const std::string& kind, const std::string& message) {
    sh->errors.fetch_add(1, std::memory_order_relaxed);
    if (!measured(at)) return;
    ++part.requests;
    ++part.errors[kind];
    part.error_examples.try_emplace(kind, message);
    const auto now = Clock::now();
    count_second(errors_per_second, now);
    if (sh->judged) {
      ++batch.failed;
      sh->live.offer(batch, now);
    }
  }
};

template <class NextLayer>
asio::awaitable<void> ws_connection(Worker& w, uint64_t conn, Clock::time_point open_at) {
  Shared& sh = *w.sh;
  const auto& o = sh.o->load;
  const double per_conn_rate = o.rate > 0 ? o.rate / o.connections : 0;
  // Connections' messages are spread over the interval so they do not fire together.
  const double interval_us = per_conn_rate > 0 ? 1e6 / per_conn_rate : 0;
  const double phase = interval_us * static_cast<double>(conn) / std::max(1, o.connections);
  uint64_t seq = 0;
  asio::steady_timer timer(w.io);
  {
    timer.expires_at(open_at);
    co_await timer.async_wait(kTuple);
  }
  while (!sh.stop.load(std::memory_order_relaxed)) {
    auto ws_ptr = [&] {
      if constexpr (std::is_same_v<NextLayer, TlsStream>)
        return std::make_unique<websocket::stream<TlsStream>>(w.io, *sh.tls);
      else
        return std::make_unique<websocket::stream<beast::tcp_stream>>(w.io);
    }();
    auto& ws = *ws_ptr;
    const auto t0 = Clock::now();
    beast::get_lowest_layer(ws).expires_after(o.connect_timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(ws).async_connect(sh.endpoints, kTuple);
    (void)ep;
    if constexpr (std::is_same_v<NextLayer, TlsStream>) {
      if (!cec) {
        // SNI and, unless verification is off, the certificate checked against the host name.
        SSL_set_tlsext_host_name(ws.next_layer().native_handle(), sh.host.c_str());
        if (!o.tls_skip_verify) ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(sh.host));
        auto [hec] = co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client, kTuple);
        cec = hec;
      }
    }
    if (!cec) {
      // Named, not temporaries: GCC 12 destroys temporaries of a co_await operand twice.
      const std::string host = sh.host + ":" + sh.port, target = sh.path.empty() ? "/" : sh.path;
      auto [hec] = co_await ws.async_handshake(host, target, kTuple);
      cec = hec;
    }
    if (cec) {
      // Not reaching the server, or no TLS with it, is a connect error; a refused upgrade is
      // a protocol error.
      const bool tls_failed = cec.category() == asio::error::get_ssl_category() ||
                              cec.category() == asio::ssl::error::get_stream_category();
      w.fail(t0,
             cec == beast::error::timeout || cec == asio::error::connection_refused || tls_failed ? kErrConnect
                                                                                                  : kErrProtocol,
             "WebSocket connect to " + sh.host + ":" + sh.port + sh.path + ": " + describe_connect_error(cec));
      timer.expires_after(std::chrono::milliseconds(200));  // not a busy loop against a refusing server
      co_await timer.async_wait(kTuple);
      continue;
    }
    beast::get_lowest_layer(ws).expires_never();
    // Connect times count from the ramp on: opening the connections is what is measured there.
    w.part.connect.record(us_between(t0, Clock::now()));
    ++w.part.connections_opened;
    const auto now_open = sh.open.fetch_add(1) + 1;
    for (auto m = sh.max_open.load(); now_open > m && !sh.max_open.compare_exchange_weak(m, now_open);) {
    }
    beast::flat_buffer buffer;
    bool dropped = false;
    while (!sh.stop.load(std::memory_order_relaxed)) {
      auto intended = Clock::now();
      if (interval_us > 0) {
        intended =
            sh.start + std::chrono::microseconds(static_cast<int64_t>(phase + interval_us * static_cast<double>(seq)));
        if (intended >= sh.end) break;
        if (intended > Clock::now()) {
          timer.expires_at(intended);
          co_await timer.async_wait(kTuple);
          if (sh.stop) break;
        }
      }
      std::string msg;
      bool binary = false;
      auto built = sh.source->build_message(conn, seq, msg, binary);
      if (!built.ok()) {
        w.fail(intended, kErrValidation, built.message());
        sh.stop = true;
        break;
      }
      if (!built.value()) break;  // nothing more to send: hold the connection
      ws.binary(binary);
      const auto sent = Clock::now();
      // The reply must come within the request timeout: the timer cancels the socket's reads.
      asio::steady_timer deadline(w.io);
      bool timed_out = false;
      deadline.expires_after(o.request_timeout);
      deadline.async_wait([&](const beast::error_code& ec) {
        if (!ec) {
          timed_out = true;
          beast::get_lowest_layer(ws).socket().cancel();
        }
      });
      auto [wec, wn] = co_await ws.async_write(asio::buffer(msg), kTuple);
      beast::error_code ec = wec;
      if (!ec && w.measured(intended)) w.part.bytes_sent += wn;
      bool matched = false;
      std::string problem;
      while (!ec && !matched) {
        buffer.clear();
        auto [rec, rn] = co_await ws.async_read(buffer, kTuple);
        ec = rec;
        if (ec) break;
        if (w.measured(intended)) w.part.bytes_received += rn;
        const auto data = beast::buffers_to_string(buffer.data());
        auto checked = sh.source->check_message(conn, seq, data, !ws.got_text());
        if (!checked.ok()) {
          problem = checked.message();
          break;
        }
        matched = checked.value();
      }
      deadline.cancel();
      const auto done = Clock::now();
      if (timed_out) {
        w.fail(intended, kErrTimeout,
               "no reply to message " + std::to_string(seq) + " within " + std::to_string(o.request_timeout.count()) +
                   " ms");
        dropped = true;  // the reply may still come: start over on a fresh connection
        break;
      }
      if (ec) {
        if (!sh.stop) {
          sh.drops.fetch_add(1);
          w.fail(intended, kErrReset, "connection " + std::to_string(conn) + " dropped: " + ec.message());
        }
        dropped = true;
        break;
      }
      ++seq;
      if (!problem.empty()) {
        w.fail(intended, kErrValidation, problem);
        continue;
      }
      sh.completed.fetch_add(1, std::memory_order_relaxed);
      if (w.measured(intended)) {
        const int64_t lat = us_between(intended, done);
        ++w.part.requests;
        ++w.part.ok;
        w.part.latency.record(lat);
        w.part.service.record(us_between(sent, done));
        auto& t = w.part.tags["message"];
        ++t.requests;
        t.latency.record(lat);
        w.count_second(w.done_per_second, done);
        if (sh.judged) {
          w.batch.latency.record(lat);
          ++w.batch.ok;
          sh.live.offer(w.batch, done);
        }
      }
    }
    // Hold the connection until the end when the scenario had nothing more to send.
    while (!dropped && !sh.stop.load(std::memory_order_relaxed)) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(kTuple);
    }
    sh.open.fetch_sub(1);
    if (!dropped) {
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(2));
      co_await ws.async_close(websocket::close_code::normal, kTuple);
      break;
    }
  }
}

}  // namespace

uint64_t raise_fd_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0) return 0;
  if (l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
    getrlimit(RLIMIT_NOFILE, &l);
  }
  return l.rlim_cur;
}

Result<RunResult> run_ws_load(const WsOptions& wo, WsSource& source, const std::atomic<bool>* abort,
                              const std::function<void(const Progress&)>& progress) {
  const auto& o = wo.load;
  if (!o.stages.empty())
    return Status::error(
        "WebSocket runs ramp their connections up with connect_rate and hold them: stages are "
        "not supported (use --connect-rate, or an http scenario for staged ramps)");
  if (o.connections < 1) return Status::error("at least one connection (--vus) is needed");
  if (wo.connect_rate <= 0) return Status::error("the connect rate must be positive");
  const std::string hint = " (write ws[s]://HOST[:PORT]/PATH, e.g. ws://127.0.0.1:8080/ws)";
  const bool tls = o.url.rfind("wss://", 0) == 0;
  if (!tls && o.url.rfind("ws://", 0) != 0)
    return Status::error("target \"" + o.url + "\" is not a ws:// or wss:// URL" + hint);
  auto parsed = parse_http_url(tls ? "https://" + o.url.substr(6) : "http://" + o.url.substr(5));
  if (!parsed.ok()) return Status::error("target \"" + o.url + "\": " + parsed.message());
  Shared sh;
  sh.o = &wo;
  sh.source = &source;
  sh.judged = static_cast<bool>(o.judge);
  sh.host = parsed.value().host;
  sh.port = parsed.value().port;
  sh.path = parsed.value().base_path;
  if (tls) {
    auto ctx = make_tls_context(o);
    if (!ctx.ok()) return ctx.status();
    sh.tls = std::move(ctx.value());
  }
  {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    sh.endpoints = resolver.resolve(sh.host, sh.port, ec);
    if (ec) return Status::error("target \"" + o.url + "\": cannot resolve " + sh.host + ": " + ec.message());
  }
  RunResult r;
  const uint64_t fds = raise_fd_limit();
  if (fds && static_cast<uint64_t>(o.connections) + 64 > fds)
    r.warnings.push_back("the open-files limit is " + std::to_string(fds) + ": fewer than " +
                         std::to_string(o.connections) + " connections can be held (raise it with ulimit -n)");
  const int threads = std::max(1, std::min(o.threads, o.connections));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    workers.push_back(std::make_unique<Worker>());
    workers.back()->sh = &sh;
  }
  const double cpu0 = self_cpu_seconds();
  sh.start = Clock::now();
  // Every connection is opened first; the measured part starts after the warm-up or, at the
  // latest, once the connect ramp is done.
  const auto ramp = std::chrono::microseconds(static_cast<int64_t>(1e6 * o.connections / wo.connect_rate));
  sh.measure_from = sh.start + std::max<Clock::duration>(o.warmup, ramp);
  sh.end = sh.measure_from + o.duration;
  for (int c = 0; c < o.connections; ++c) {
    const auto at = sh.start + std::chrono::microseconds(static_cast<int64_t>(1e6 * c / wo.connect_rate));
    asio::co_spawn(
        workers[static_cast<size_t>(c % threads)]->io,
        sh.tls ? ws_connection<TlsStream>(*workers[static_cast<size_t>(c % threads)], static_cast<uint64_t>(c), at)
               : ws_connection<beast::tcp_stream>(*workers[static_cast<size_t>(c % threads)], static_cast<uint64_t>(c),
                                                  at),
        asio::detached);
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&io = w->io] { io.run(); });
  uint64_t last = 0;
  auto last_tick = sh.start;
  Clock::time_point stopped_at{};
  std::vector<uint64_t> open_per_second;
  std::string aborted_why;
  auto last_judged = sh.start;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    sample_level(open_per_second, sh.measure_from, sh.end, now, sh.open.load());
    if (abort && abort->load() && !sh.stop) aborted_why = "stopped before its end";
    if (sh.judged && !sh.stop && now >= sh.measure_from && now - last_judged >= std::chrono::seconds(1)) {
      last_judged = now;
      aborted_why = o.judge(sh.live.snapshot(std::chrono::duration<double>(now - sh.measure_from).count()));
    }
    if ((now >= sh.end || !aborted_why.empty()) && !sh.stop) {
      sh.stop = true;  // connections see it at their next timer or reply; the drain bound ends the rest
      stopped_at = now;
    }
    bool all_done = true;
    for (auto& w : workers) all_done = all_done && w->io.stopped();
    if (all_done) break;
    if (sh.stop && now - stopped_at > o.drain)
      for (auto& w : workers) w->io.stop();
    if (progress && now - last_tick >= std::chrono::seconds(1)) {
      Progress p;
      p.elapsed_s = std::chrono::duration<double>(now - sh.start).count();
      p.completed = sh.completed.load();
      p.errors = sh.errors.load();
      p.rate = static_cast<double>(p.completed - last) / std::chrono::duration<double>(now - last_tick).count();
      p.warming_up = now < sh.measure_from;
      last = p.completed;
      last_tick = now;
      progress(p);
    }
  }
  for (auto& t : running) t.join();
  const auto finished = Clock::now();
  r.target = o.url;
  r.model = o.rate > 0 ? "open" : "closed";
  r.connections = o.connections;
  r.threads = threads;
  r.rate = o.rate;
  r.warmup_s = std::chrono::duration<double>(sh.measure_from - sh.start).count();
  r.duration_s = std::max(0.0, std::chrono::duration<double>(std::min(finished, sh.end) - sh.measure_from).count());
  std::vector<uint64_t> done, errs;
  for (auto& w : workers) {
    auto& p = w->part;
    r.add_part(p);
    if (done.size() < w->done_per_second.size()) done.resize(w->done_per_second.size());
    for (size_t i = 0; i < w->done_per_second.size(); ++i) done[i] += w->done_per_second[i];
    if (errs.size() < w->errors_per_second.size()) errs.resize(w->errors_per_second.size());
    for (size_t i = 0; i < w->errors_per_second.size(); ++i) errs[i] += w->errors_per_second[i];
  }
  for (size_t i = 0; i < std::max({done.size(), errs.size(), open_per_second.size()}); ++i)
    r.timeline.push_back({static_cast<int64_t>(i) * 1000, 0, i < done.size() ? done[i] : 0,
                          i < errs.size() ? errs[i] : 0, 0, 0, 0, 0,
                          i < open_per_second.size() ? open_per_second[i] : 0});
  r.max_connections_open = sh.max_open.load();
  r.generator_cpu_seconds = self_cpu_seconds() - cpu0;
  r.aborted = aborted_why;
  if (!r.aborted.empty()) r.warnings.push_back("the run ended early: " + r.aborted);
  if (sh.drops.load())
    r.warnings.push_back(std::to_string(sh.drops.load()) + " connections were dropped by the server and opened again");
  if (r.max_connections_open < static_cast<uint64_t>(o.connections))
    r.warnings.push_back("at most " + std::to_string(r.max_connections_open) + " of the " +
                         std::to_string(o.connections) + " connections were open at once");
  if (r.ok == 0 && r.errors.count(kErrConnect))
    r.warnings.push_back("no connection to the target could be opened: " + r.error_examples[kErrConnect]);
  return r;
}

}  // namespace vigil::load
