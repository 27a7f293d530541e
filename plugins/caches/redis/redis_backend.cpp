// The redis cache backend: hiredis 0.14 behind the plugin ABI's cache interface. A bounded pool
// of connections with connect and command timeouts; AUTH and database selection from a
// redis:// URL (parsed with Boost.URL); a key prefix; SET with PX for TTLs; batch get/set as one
// pipeline. A broken connection is dropped and reopened on next use, with backoff, so Redis
// going away gives errors (VIGIL_E_UNAVAILABLE, retryable) rather than a crash, and coming
// back needs no restart of vigil.
#include <hiredis/hiredis.h>
#include <poll.h>

#include <boost/url/src.hpp>  // Boost.URL is compiled into this one file (Debian ships no library)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <vigil/plugin.hpp>

#include "../../common/redis_reply_limits.hpp"
#include "../../common/redis_url.hpp"
#include "redis_replies.h"

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

using vigil::redis_url::parse_url;
using vigil::redis_url::Target;

timeval to_timeval(int64_t ns) {
  return timeval{static_cast<time_t>(ns / 1'000'000'000), static_cast<suseconds_t>((ns / 1000) % 1'000'000)};
}

class RedisBackend {
 public:
  explicit RedisBackend(Context& ctx) {
    url_ = ctx.get_string("url").value_or("redis://127.0.0.1:6379/0");
    target_ = parse_url(url_);
    prefix_ = ctx.get_string("key_prefix").value_or("vigil:");
    const int64_t pool = ctx.get_int("pool_size").value_or(4);
    if (pool < 1 || pool > 256) throw Error(VIGIL_E_CONFIG, "\"pool_size\" must be between 1 and 256");
    pool_size_ = static_cast<size_t>(pool);
    connect_timeout_ns_ = ctx.get_duration_ns("connect_timeout").value_or(1'000'000'000LL);
    command_timeout_ns_ = ctx.get_duration_ns("command_timeout").value_or(1'000'000'000LL);
    track_ = ctx.get_bool("track_changes").value_or(true);
  }
  ~RedisBackend() {
    stop();
    for (auto* c : idle_) redisFree(c);
  }

  bool get(Context& ctx, std::string_view key, vigil_writer* out) {
    auto c = acquire(ctx);
    Reply rep;
    const std::string k = prefix_ + std::string(key);
    rep.r = static_cast<redisReply*>(redisCommand(c.get(), "GET %b", k.data(), k.size()));
    check(c, rep.r, "GET");
    if (rep.r->type == REDIS_REPLY_NIL) return false;
    if (rep.r->type != REDIS_REPLY_STRING) throw Error(VIGIL_E_INTERNAL, "GET answered with an unexpected reply type");
    if (out && out->append && out->append(out, rep.r->str, static_cast<size_t>(rep.r->len)) != VIGIL_OK)
      throw Error(VIGIL_E_NOMEM, "the value does not fit the host's buffer");
    return true;
  }

  void set(Context& ctx, std::string_view key, std::string_view value, int64_t ttl_ns) {
    auto c = acquire(ctx);
    Reply rep;
    run_set(c, rep, key, value, ttl_ns, false);
  }

  // One pipeline for the whole batch: every command sent, then every reply read.
  void mget(Context& ctx, const std::vector<std::string_view>& keys, vigil_writer* outs, vigil_status* results) {
    auto c = acquire(ctx);
    // The argv form: no format string to parse per command.
    std::string k;
    for (auto key : keys) {
      k.assign(prefix_).append(key);
      const char* argv[] = {"GET", k.data()};
      const size_t lens[] = {3, k.size()};
      redisAppendCommandArgv(c.get(), 2, argv, lens);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      Reply rep;
      if (redisGetReply(c.get(), reinterpret_cast<void**>(&rep.r)) != REDIS_OK) check(c, nullptr, "GET (pipelined)");
      check(c, rep.r, "GET (pipelined)");
      if (rep.r->type == REDIS_REPLY_NIL) {
        results[i] = VIGIL_E_NOT_FOUND;
      } else if (rep.r->type == REDIS_REPLY_STRING) {
        results[i] = outs[i].append ? outs[i].append(&outs[i], rep.r->str, static_cast<size_t>(rep.r->len)) : VIGIL_OK;
      } else {
        results[i] = VIGIL_E_INTERNAL;
      }
    }
  }

  void mset(Context& ctx, const std::vector<std::pair<std::string_view, std::string_view>>& kv, int64_t ttl_ns) {
    auto c = acquire(ctx);
    const std::string px = std::to_string(std::max<int64_t>(1, ttl_ns / 1'000'000));
    std::string k;
    for (const auto& [key, value] : kv) {
      k.assign(prefix_).append(key);
      const char* argv[] = {"SET", k.data(), value.data(), "PX", px.data()};
      const size_t lens[] = {3, k.size(), value.size(), 2, px.size()};
      redisAppendCommandArgv(c.get(), ttl_ns > 0 ? 5 : 3, argv, lens);
    }
    for (size_t i = 0; i < kv.size(); ++i) {
      Reply rep;
      if (redisGetReply(c.get(), reinterpret_cast<void**>(&rep.r)) != REDIS_OK) check(c, nullptr, "SET (pipelined)");
      check(c, rep.r, "SET (pipelined)");
    }
  }

  void del(Context& ctx, std::string_view key) {
    auto c = acquire(ctx);
    Reply rep;
    const std::string k = prefix_ + std::string(key);
    rep.r = static_cast<redisReply*>(redisCommand(c.get(), "DEL %b", k.data(), k.size()));
    check(c, rep.r, "DEL");
  }

  // SET NX: atomic across every client of the Redis server.
  bool add(Context& ctx, std::string_view key, std::string_view value, int64_t ttl_ns) {
    auto c = acquire(ctx);
    Reply rep;
    run_set(c, rep, key, value, ttl_ns, true);
    return rep.r->type != REDIS_REPLY_NIL;
  }

  // SCAN with MATCH, then UNLINK of each batch: never blocks Redis the way KEYS would.
  void del_prefix(Context& ctx, std::string_view prefix) {
    scan_keys(ctx, prefix, [&](Conn& c, const std::vector<std::string>& keys) {
      std::vector<const char*> argv{"UNLINK"};
      std::vector<size_t> lens{6};
      for (const auto& k : keys) {
        argv.push_back(k.data());
        lens.push_back(k.size());
      }
      Reply rep;
      rep.r =
          static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
      check(c, rep.r, "UNLINK");
      return true;
    });
  }

  // SCAN with MATCH; each batch's values and TTLs are read in one pipeline.
  void scan(Context& ctx, std::string_view prefix, const vigil::sdk::ScanVisitor& visit) {
    scan_keys(ctx, prefix, [&](Conn& c, const std::vector<std::string>& keys) {
      for (const auto& k : keys) {
        redisAppendCommand(c.get(), "GET %b", k.data(), k.size());
        redisAppendCommand(c.get(), "PTTL %b", k.data(), k.size());
      }
      std::vector<std::pair<std::optional<std::string>, int64_t>> got;
      for (size_t i = 0; i < keys.size(); ++i) {
        Reply value, ttl;
        if (redisGetReply(c.get(), reinterpret_cast<void**>(&value.r)) != REDIS_OK) check(c, nullptr, "GET (scan)");
        if (redisGetReply(c.get(), reinterpret_cast<void**>(&ttl.r)) != REDIS_OK) check(c, nullptr, "PTTL (scan)");
        check(c, value.r, "GET (scan)");
        check(c, ttl.r, "PTTL (scan)");
        got.emplace_back(value.r->type == REDIS_REPLY_STRING
                             ? std::optional<std::string>(std::string(value.r->str, static_cast<size_t>(value.r->len)))
                             : std::nullopt,
                         ttl.r->type == REDIS_REPLY_INTEGER ? ttl.r->integer : -1);
      }
      for (size_t i = 0; i < keys.size(); ++i) {
        if (!got[i].first || got[i].second == -2) continue;  // gone meanwhile
        const int64_t ttl_ns = got[i].second > 0 ? got[i].second * 1'000'000 : 0;
        if (!visit(std::string_view(keys[i]).substr(prefix_.size()), *got[i].first, ttl_ns)) return false;
      }
      return true;
    });
  }

  void ping(Context& ctx) {
    auto c = acquire(ctx);
    Reply rep;
    rep.r = static_cast<redisReply*>(redisCommand(c.get(), "PING"));
    check(c, rep.r, "PING");
  }

  void watch(Context&, vigil::sdk::ChangeListener listener) {
    if (!track_) throw vigil::sdk::Error(VIGIL_E_UNSUPPORTED, "\"track_changes\" is false for this instance");
    listener_ = listener;
  }

  void start(Context& ctx) {
    if (!listener_) return;
    stopping_ = false;
    tracker_ = std::thread([this, &ctx] { track(ctx); });
  }

  void stop() {
    stopping_ = true;
    if (tracker_.joinable()) tracker_.join();
  }

 private:
  // Changes made by other clients, reported through the listener: Redis' client tracking in
  // broadcast mode for the key prefix, in RESP2's form (hiredis 0.14 has no RESP3) on one
  // connection that redirects its own invalidations to itself and subscribes to them. PINGs
  // keep it honest; whenever it is lost (or Redis is flushed) the listener hears "unknown",
  // and "linked" again once tracking is re-established.
  void track(Context& ctx) {
    int64_t backoff_ms = 100;
    while (!stopping_) {
      std::string error;
      redisContext* c = connect(error);
      if (c && !start_tracking(c, error)) {
        redisFree(c);
        c = nullptr;
      }
      if (!c) {
        if (error != track_error_)
          ctx.warn("change tracking on Redis at " + target_.host + ":" + std::to_string(target_.port) +
                   " is not established: " + error + "; the in-process copy stays off until it is");
        track_error_ = error;
        for (int64_t waited = 0; waited < backoff_ms && !stopping_; waited += 50)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 5000);
        continue;
      }
      if (!track_error_.empty()) ctx.info("change tracking on Redis re-established");
      track_error_.clear();
      backoff_ms = 100;
      listener_.linked();
      follow(c, error);
      redisFree(c);
      listener_.unknown();
      if (!stopping_) ctx.warn("change tracking on Redis lost: " + error + "; reconnecting");
      track_error_ = error;
    }
  }

  bool start_tracking(redisContext* c, std::string& error) {
    Reply id{static_cast<redisReply*>(redisCommand(c, "CLIENT ID"))};
    if (!id.r || id.r->type != REDIS_REPLY_INTEGER) {
      error = "CLIENT ID failed" +
              std::string(id.r && id.r->type == REDIS_REPLY_ERROR ? ": " + std::string(id.r->str) : "") +
              " (change tracking needs Redis 6 or later)";
      return false;
    }
    const std::string cid = std::to_string(id.r->integer);
    Reply on{static_cast<redisReply*>(redisCommand(c, "CLIENT TRACKING on REDIRECT %s BCAST PREFIX %b", cid.c_str(),
                                                   prefix_.data(), prefix_.size()))};
    if (!on.r || on.r->type == REDIS_REPLY_ERROR) {
      error = "CLIENT TRACKING failed" + std::string(on.r ? ": " + std::string(on.r->str) : "");
      return false;
    }
    Reply sub{static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE __redis__:invalidate"))};
    if (!sub.r || sub.r->type != REDIS_REPLY_ARRAY) {
      error = "SUBSCRIBE __redis__:invalidate failed";
      return false;
    }
    return true;
  }

  // Reads invalidations until the link fails or stop(); a PING every second must be answered
  // within the command timeout, and no message may grow past kMaxPendingPush unread bytes (a
  // peer streaming one endless reply would otherwise be buffered without end).
  static constexpr size_t kMaxPendingPush = 64u << 20;
  void follow(redisContext* c, std::string& error) {
    using Steady = std::chrono::steady_clock;
    auto last_ping = Steady::now();
    bool awaiting_pong = false;
    while (!stopping_) {
      void* raw = nullptr;
      while (redisGetReplyFromReader(c, &raw) == REDIS_OK && raw) {
        Reply msg{static_cast<redisReply*>(raw)};
        raw = nullptr;
        const auto m = vigil::redis_replies::push_message(msg.r);
        if (m.kind == vigil::redis_replies::PushMessage::Kind::pong) {
          awaiting_pong = false;
        } else if (m.kind == vigil::redis_replies::PushMessage::Kind::keys) {
          for (const std::string& k : m.keys)
            if (std::string_view(k).substr(0, prefix_.size()) == prefix_)
              listener_.changed(std::string_view(k).substr(prefix_.size()));
        } else if (m.kind == vigil::redis_replies::PushMessage::Kind::flush) {
          listener_.unknown();
          listener_.linked();
        }
      }
      if (c->err) {
        error = vigil::redis_limits::reply_error(c);
        return;
      }
      const auto now = Steady::now();
      if (awaiting_pong && now - last_ping > std::chrono::nanoseconds(command_timeout_ns_)) {
        error = "no answer to PING within command_timeout";
        return;
      }
      if (!awaiting_pong && now - last_ping >= std::chrono::seconds(1)) {
        redisAppendCommand(c, "PING");
        int done = 0;
        while (!done)
          if (redisBufferWrite(c, &done) != REDIS_OK) {
            error = c->errstr;
            return;
          }
        awaiting_pong = true;
        last_ping = now;
      }
      pollfd p{c->fd, POLLIN, 0};
      const int n = ::poll(&p, 1, 100);
      if (n > 0 && redisBufferRead(c) != REDIS_OK) {
        error = c->errstr;
        return;
      }
      if (c->reader->len - c->reader->pos > kMaxPendingPush) {
        error = "the server sent " + std::to_string(c->reader->len - c->reader->pos) +
                " bytes without completing a message (invalidation messages are small; is it a Redis server?)";
        return;
      }
    }
  }

  // Walks the keys under key_prefix + prefix with SCAN MATCH (glob characters escaped), handing
  // each batch of full key names to fn on the same connection; fn returning false stops.
  template <class F>
  void scan_keys(Context& ctx, std::string_view prefix, F fn) {
    auto c = acquire(ctx);
    std::string pattern;
    for (char ch : prefix_ + std::string(prefix)) {
      if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') pattern += '\\';
      pattern += ch;
    }
    pattern += '*';
    std::string cursor = "0";
    do {
      Reply rep;
      rep.r = static_cast<redisReply*>(
          redisCommand(c.get(), "SCAN %s MATCH %b COUNT 500", cursor.c_str(), pattern.data(), pattern.size()));
      check(c, rep.r, "SCAN");
      auto page = vigil::redis_replies::scan_page(rep.r);
      if (!page) throw Error(VIGIL_E_INTERNAL, "SCAN answered with an unexpected reply");
      cursor = std::move(page->cursor);
      std::vector<std::string>& keys = page->keys;
      if (!keys.empty() && !fn(c, keys)) return;
    } while (cursor != "0");
  }

  struct Release {
    RedisBackend* self;
    void operator()(redisContext* c) const { self->release(c); }
  };
  using Conn = std::unique_ptr<redisContext, Release>;

  // SET key value [NX] [PX ms] as one argv command; the reply is left in rep.
  void run_set(Conn& c, Reply& rep, std::string_view key, std::string_view value, int64_t ttl_ns, bool nx) {
    const std::string k = prefix_ + std::string(key);
    const std::string px = std::to_string(std::max<int64_t>(1, ttl_ns / 1'000'000));
    const char* argv[6] = {"SET", k.data(), value.data()};
    size_t lens[6] = {3, k.size(), value.size()};
    int n = 3;
    if (nx) {
      argv[n] = "NX";
      lens[n++] = 2;
    }
    if (ttl_ns > 0) {
      argv[n] = "PX";
      lens[n++] = 2;
      argv[n] = px.data();
      lens[n++] = px.size();
    }
    rep.r = static_cast<redisReply*>(redisCommandArgv(c.get(), n, argv, lens));
    check(c, rep.r, nx ? "SET NX" : "SET");
  }

  Conn acquire(Context& ctx) {
    std::unique_lock l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return !idle_.empty() || open_ < pool_size_; });
      if (idle_.empty()) break;
      redisContext* c = idle_.back();
      idle_.pop_back();
      l.unlock();
      // An idle connection has nothing to read: if it is readable, the server closed it (a
      // restart, a timeout). Dropping it here spares the caller an error.
      pollfd p{c->fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) return Conn(c, Release{this});
      redisFree(c);
      l.lock();
      --open_;
    }
    // After a failed connect, callers fail fast until the backoff passes instead of each
    // waiting out connect_timeout against a server that is down.
    const auto now = std::chrono::steady_clock::now();
    if (now < retry_connect_at_)
      throw Error(
          VIGIL_E_UNAVAILABLE,
          "Redis at " + target_.host + ":" + std::to_string(target_.port) + " is unreachable (" + connect_error_ +
              "); next attempt in " +
              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(retry_connect_at_ - now).count()) +
              " ms");
    ++open_;
    l.unlock();
    std::string error;
    redisContext* c = connect(error);
    l.lock();
    if (!c) {
      --open_;
      connect_backoff_ms_ = std::min<int64_t>(connect_backoff_ms_ ? connect_backoff_ms_ * 2 : 50, 2000);
      retry_connect_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(connect_backoff_ms_);
      connect_error_ = error;
      cv_.notify_one();
      throw Error(VIGIL_E_UNAVAILABLE, "cannot connect to Redis at " + target_.host + ":" +
                                           std::to_string(target_.port) + ": " + error +
                                           " (is redis-server running? check \"url\")");
    }
    connect_backoff_ms_ = 0;
    (void)ctx;
    return Conn(c, Release{this});
  }

  void release(redisContext* c) {
    std::lock_guard l(mu_);
    if (c->err) {  // broken: drop it; the next user opens a fresh one
      redisFree(c);
      --open_;
    } else {
      idle_.push_back(c);
    }
    cv_.notify_one();
  }

  redisContext* connect(std::string& last_error_) {
    redisContext* c = redisConnectWithTimeout(target_.host.c_str(), target_.port, to_timeval(connect_timeout_ns_));
    if (!c || c->err) {
      last_error_ = c ? c->errstr : "out of memory";
      if (c) redisFree(c);
      return nullptr;
    }
    if (!vigil::redis_limits::bound(c->reader)) {
      last_error_ = "out of memory";
      redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, to_timeval(command_timeout_ns_));
    auto run = [&](const char* what, redisReply* r) {
      Reply rep{r};
      if (!r || r->type == REDIS_REPLY_ERROR) {
        last_error_ =
            std::string(what) + " failed: " + (r ? std::string(r->str, r->len) : vigil::redis_limits::reply_error(c));
        return false;
      }
      return true;
    };
    bool ok = true;
    if (target_.auth) {
      ok = target_.user.empty()
               ? run("AUTH", static_cast<redisReply*>(redisCommand(c, "AUTH %s", target_.password.c_str())))
               : run("AUTH", static_cast<redisReply*>(
                                 redisCommand(c, "AUTH %s %s", target_.user.c_str(), target_.password.c_str())));
    }
    if (ok && target_.db != 0) ok = run("SELECT", static_cast<redisReply*>(redisCommand(c, "SELECT %d", target_.db)));
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
    return c;
  }

  void check(Conn& c, redisReply* r, const char* what) {
    if (!r)
      throw Error(VIGIL_E_UNAVAILABLE, std::string(what) + " to Redis at " + target_.host + ":" +
                                           std::to_string(target_.port) +
                                           " failed: " + vigil::redis_limits::reply_error(c.get()));
    if (r->type == REDIS_REPLY_ERROR)
      throw Error(VIGIL_E_INVALID, std::string(what) + ": Redis said " + std::string(r->str, r->len));
  }

  std::string url_, prefix_;
  Target target_;
  size_t pool_size_ = 4;
  int64_t connect_timeout_ns_ = 0, command_timeout_ns_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<redisContext*> idle_;                           // guarded by mu_
  size_t open_ = 0;                                           // guarded by mu_; idle and in use
  std::chrono::steady_clock::time_point retry_connect_at_{};  // guarded by mu_
  int64_t connect_backoff_ms_ = 0;                            // guarded by mu_
  std::string connect_error_;                                 // guarded by mu_
  bool track_ = true;
  vigil::sdk::ChangeListener listener_;
  std::thread tracker_;
  std::atomic<bool> stopping_{false};
  std::string track_error_;  // the tracker thread's own
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_SECRET, "redis://127.0.0.1:6379/0", 0, "redis://[user:password@]host:port/db"},
    {"key_prefix", VIGIL_CFG_STRING, "vigil:", 0, "prepended to every key"},
    {"pool_size", VIGIL_CFG_INT, "4", 0, "connections at most"},
    {"connect_timeout", VIGIL_CFG_DURATION, "1s", 0, "to open a connection"},
    {"command_timeout", VIGIL_CFG_DURATION, "1s", 0, "for one command's reply"},
    {"track_changes", VIGIL_CFG_BOOL, "true", 0,
     "report other clients' writes (Redis client tracking) so a tiered cache's in-process copy stays coherent"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_CACHE(RedisBackend, "redis", "1.0.0", "Redis cache backend: pooled hiredis connections, TTLs, key prefix",
                kSchema);
