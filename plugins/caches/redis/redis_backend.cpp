// The redis cache backend: hiredis 0.14 behind the plugin ABI's cache interface. A bounded pool
// of connections with connect and command timeouts; AUTH and database selection from a
// redis:// URL (parsed with Boost.URL); a key prefix; SET with PX for TTLs; batch get/set as one
// pipeline. A broken connection is dropped and reopened on next use, with backoff, so Redis
// going away gives errors (VIGIL_E_UNAVAILABLE, retryable) rather than a crash, and coming
// back needs no restart of vigil.
#include <hiredis/hiredis.h>

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>  // Boost.URL is compiled into this one file (Debian ships no library)
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>
#include <vigil/plugin.hpp>

namespace {

using vigil::sdk::Context;
using vigil::sdk::Error;

struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

struct Target {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
  int db = 0;
};

Target parse_url(const std::string& text) {
  auto u = boost::urls::parse_uri(text);
  if (!u || (u->scheme() != "redis"))
    throw Error(VIGIL_E_CONFIG,
                "\"url\" must look like redis://[:password@]host:port/db, e.g. redis://127.0.0.1:6379/0");
  Target t;
  if (!u->host().empty()) t.host = std::string(u->host());
  if (u->has_port()) t.port = u->port_number();
  if (u->has_userinfo()) {
    t.user = std::string(u->user());
    t.password = std::string(u->password());
  }
  std::string path(u->path());
  if (path.size() > 1) {
    try {
      t.db = std::stoi(path.substr(1));
    } catch (...) {
      throw Error(VIGIL_E_CONFIG, "the database in \"url\" must be a number, e.g. redis://host:6379/2");
    }
  }
  return t;
}

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
  }
  ~RedisBackend() {
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
    const std::string k = prefix_ + std::string(key);
    if (ttl_ns > 0) {
      const std::string px = std::to_string(std::max<int64_t>(1, ttl_ns / 1'000'000));
      rep.r = static_cast<redisReply*>(
          redisCommand(c.get(), "SET %b %b PX %s", k.data(), k.size(), value.data(), value.size(), px.c_str()));
    } else {
      rep.r =
          static_cast<redisReply*>(redisCommand(c.get(), "SET %b %b", k.data(), k.size(), value.data(), value.size()));
    }
    check(c, rep.r, "SET");
  }

  // One pipeline for the whole batch: every command sent, then every reply read.
  void mget(Context& ctx, const std::vector<std::string_view>& keys, vigil_writer* outs, vigil_status* results) {
    auto c = acquire(ctx);
    for (auto key : keys) {
      const std::string k = prefix_ + std::string(key);
      redisAppendCommand(c.get(), "GET %b", k.data(), k.size());
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
    for (const auto& [key, value] : kv) {
      const std::string k = prefix_ + std::string(key);
      if (ttl_ns > 0)
        redisAppendCommand(c.get(), "SET %b %b PX %s", k.data(), k.size(), value.data(), value.size(), px.c_str());
      else
        redisAppendCommand(c.get(), "SET %b %b", k.data(), k.size(), value.data(), value.size());
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

 private:
  struct Release {
    RedisBackend* self;
    void operator()(redisContext* c) const { self->release(c); }
  };
  using Conn = std::unique_ptr<redisContext, Release>;

  Conn acquire(Context& ctx) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !idle_.empty() || open_ < pool_size_; });
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return Conn(c, Release{this});
    }
    ++open_;
    l.unlock();
    std::string error;
    redisContext* c = connect(error);
    if (!c) {
      l.lock();
      --open_;
      cv_.notify_one();
      throw Error(VIGIL_E_UNAVAILABLE, "cannot connect to Redis at " + target_.host + ":" +
                                           std::to_string(target_.port) + ": " + error +
                                           " (is redis-server running? check \"url\")");
    }
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
    redisSetTimeout(c, to_timeval(command_timeout_ns_));
    auto run = [&](const char* what, redisReply* r) {
      Reply rep{r};
      if (!r || r->type == REDIS_REPLY_ERROR) {
        last_error_ = std::string(what) + " failed: " + (r ? std::string(r->str, r->len) : std::string(c->errstr));
        return false;
      }
      return true;
    };
    bool ok = true;
    if (!target_.password.empty()) {
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
                                           std::to_string(target_.port) + " failed: " + c->errstr);
    if (r->type == REDIS_REPLY_ERROR)
      throw Error(VIGIL_E_INVALID, std::string(what) + ": Redis said " + std::string(r->str, r->len));
  }

  std::string url_, prefix_;
  Target target_;
  size_t pool_size_ = 4;
  int64_t connect_timeout_ns_ = 0, command_timeout_ns_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<redisContext*> idle_;  // guarded by mu_
  size_t open_ = 0;                  // guarded by mu_; idle and in use
};

const vigil_config_key kSchema[] = {
    {"url", VIGIL_CFG_STRING, "redis://127.0.0.1:6379/0", 0, "redis://[user:password@]host:port/db"},
    {"key_prefix", VIGIL_CFG_STRING, "vigil:", 0, "prepended to every key"},
    {"pool_size", VIGIL_CFG_INT, "4", 0, "connections at most"},
    {"connect_timeout", VIGIL_CFG_DURATION, "1s", 0, "to open a connection"},
    {"command_timeout", VIGIL_CFG_DURATION, "1s", 0, "for one command's reply"},
    {nullptr, 0, nullptr, 0, nullptr},
};

}  // namespace

VIGIL_CPP_CACHE(RedisBackend, "redis", "1.0.0", "Redis cache backend: pooled hiredis connections, TTLs, key prefix",
                kSchema);
