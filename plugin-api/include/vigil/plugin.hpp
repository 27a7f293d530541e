// vigil/plugin.hpp: a header-only C++17 layer over vigil/plugin.h for plugin authors.
//
// It removes the C boilerplate and puts a catch-all barrier around every callback, so no C++
// exception ever crosses the ABI: an exception becomes a status code plus a message through
// host->fail. Throw vigil::sdk::Error to choose the status code (e.g. VIGIL_E_CONFIG).
//
// A collector is a class with
//   explicit T(vigil::sdk::Context& ctx);          // read + validate config; no I/O   [main]
//   void collect(vigil::sdk::Context& ctx, int64_t deadline_mono_ns);               [worker]
// and optionally `void start(Context&)` / `void stop()`. Export it with
//   VIGIL_CPP_COLLECTOR(T, "name", "1.0.0", "description", schema_or_nullptr)
// in exactly one source file of the library.
//
// A notifier is a class with the same constructor and
//   void deliver(vigil::sdk::Context& ctx, const vigil_notification& n, int64_t deadline_mono_ns);  [worker]
// which returns once the notification is delivered and throws Error otherwise (VIGIL_E_UNAVAILABLE
// or VIGIL_E_TIMEOUT: the host retries; other codes: the host gives up). Export it with
//   VIGIL_CPP_NOTIFIER(T, "name", "1.0.0", "description", schema_or_nullptr)
//
// An HTTP benchmark scenario has the same constructor and, both [ts]:
//   void build_http(Context&, uint64_t seq, HttpRequestBuilder& req);   // request number seq
//   void check_http(Context&, uint64_t seq, const vigil_http_reply&);  // optional; throw to fail it
// exported with VIGIL_CPP_HTTP_SCENARIO(T, "name", "1.0.0", "description", schema_or_nullptr).
//
// A cache backend has the same constructor and, all [ts]:
//   bool get(Context&, std::string_view key, vigil_writer* out);   // false: a miss
//   void set(Context&, std::string_view key, std::string_view value, int64_t ttl_ns);
//   void del(Context&, std::string_view key);
// and optionally, each filling the vtable entry of the same name (absent: NULL there):
//   bool add(Context&, std::string_view key, std::string_view value, int64_t ttl_ns);  // true: stored
//   void del_prefix(Context&, std::string_view prefix);
//   void scan(Context&, std::string_view prefix, const ScanVisitor& visit);
//   void ping(Context&);                                   // throws when the store does not answer
//   void watch(Context&, ChangeListener listener);          // [main], before start()
//   void mget(...) / void mset(...)                        // batches; see CacheAdapter
// exported with VIGIL_CPP_CACHE(T, "name", "1.0.0", "description", schema_or_nullptr).
//
// Any plugin class may also declare
//   static vigil_status plugin_init(const vigil_host_v1* host);   // the library's init() [main]
//   static void plugin_deinit();                                  // its deinit()         [main]
// and a scenario class `static constexpr uint32_t flags = VIGIL_SCENARIO_SERIAL;` (the host
// then never calls it concurrently); the export macros pick these up.
//
// Thread-safety: Context is safe to use from the threads the host documents for each call.
#ifndef VIGIL_PLUGIN_HPP
#define VIGIL_PLUGIN_HPP

#include <vigil/plugin.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::sdk {

// An error with a vigil status code; the barrier turns it into host->fail(code, what()).
class Error : public std::runtime_error {
 public:
  Error(vigil_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  vigil_status code() const noexcept { return code_; }

 private:
  vigil_status code_;
};

inline vigil_str to_str(std::string_view s) noexcept {
  return vigil_str{s.data(), s.size()};
}
inline std::string_view to_view(vigil_str s) noexcept {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

using Labels = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  std::string body;
  int64_t retry_after_ms = 0;
};

// The host services bound to one instance.
class Context {
 public:
  Context(const vigil_host_v1* host, vigil_ctx* ctx) noexcept : host_(host), ctx_(ctx) {}

  const vigil_host_v1* host() const noexcept { return host_; }
  vigil_ctx* raw() const noexcept { return ctx_; }

  void log(int32_t level, std::string_view msg) const noexcept { host_->log(ctx_, level, to_str(msg)); }
  void info(std::string_view msg) const noexcept { log(VIGIL_LOG_INFO, msg); }
  void warn(std::string_view msg) const noexcept { log(VIGIL_LOG_WARN, msg); }

  // Config access. Each returns std::nullopt when the key is unset and throws Error when the
  // value has the wrong type (the host's message names file:line:col).
  std::optional<std::string> get_string(const std::string& path) const {
    vigil_str out{};
    if (!check(host_->cfg_string(ctx_, path.c_str(), &out))) return std::nullopt;
    return std::string(to_view(out));
  }
  std::optional<int64_t> get_int(const std::string& path) const {
    int64_t v = 0;
    if (!check(host_->cfg_int(ctx_, path.c_str(), &v))) return std::nullopt;
    return v;
  }
  std::optional<double> get_double(const std::string& path) const {
    double v = 0;
    if (!check(host_->cfg_double(ctx_, path.c_str(), &v))) return std::nullopt;
    return v;
  }
  std::optional<bool> get_bool(const std::string& path) const {
    int32_t v = 0;
    if (!check(host_->cfg_bool(ctx_, path.c_str(), &v))) return std::nullopt;
    return v != 0;
  }
  std::optional<int64_t> get_duration_ns(const std::string& path) const {
    int64_t v = 0;
    if (!check(host_->cfg_duration_ns(ctx_, path.c_str(), &v))) return std::nullopt;
    return v;
  }
  std::optional<uint64_t> get_size_bytes(const std::string& path) const {
    uint64_t v = 0;
    if (!check(host_->cfg_size_bytes(ctx_, path.c_str(), &v))) return std::nullopt;
    return v;
  }
  // Elements of an array (or keys of a table); 0 when unset.
  size_t count(const std::string& path) const {
    size_t n = 0;
    if (!check(host_->cfg_count(ctx_, path.c_str(), &n))) return 0;
    return n;
  }
  std::vector<std::string> get_string_array(const std::string& path) const {
    std::vector<std::string> out;
    const size_t n = count(path);
    for (size_t i = 0; i < n; ++i) {
      auto v = get_string(path + "[" + std::to_string(i) + "]");
      if (v) out.push_back(std::move(*v));
    }
    return out;
  }
  // The key/value pairs of a table of strings (e.g. headers), in file order.
  Labels get_string_map(const std::string& path) const {
    Labels out;
    const size_t n = count(path);
    for (size_t i = 0; i < n; ++i) {
      vigil_str key{};
      check(host_->cfg_key_at(ctx_, path.c_str(), i, &key));
      std::string k(to_view(key));
      auto v = get_string(path + "." + k);
      out.emplace_back(k, v.value_or(""));
    }
    return out;
  }

  // Emission. Throws Error when the host rejects the sample (e.g. an invalid name).
  void gauge(std::string_view name, double value, const Labels& labels = {}, std::string_view help = {}) const {
    emit_value(VIGIL_METRIC_GAUGE, name, value, labels, help);
  }
  void counter(std::string_view name, double value, const Labels& labels = {}, std::string_view help = {}) const {
    emit_value(VIGIL_METRIC_COUNTER, name, value, labels, help);
  }
  void emit(const vigil_sample& s) const {
    const vigil_status st = host_->emit(ctx_, &s);
    if (st != VIGIL_OK) throw Error(st, "the host rejected sample '" + std::string(to_view(s.name)) + "'");
  }

  // One request through the host's pooled HTTP client (vigil.http/1). A transport failure
  // throws Error with the host's code and an empty message: the host already holds the reason.
  HttpReply http(std::string_view method, std::string_view url, const Labels& headers, std::string_view body,
                 int64_t timeout_ns) const {
    const auto* svc =
        static_cast<const vigil_http_client_v1*>(VIGIL_HAS(vigil_host_v1, host_, get_service) && host_->get_service
                                                     ? host_->get_service(ctx_, VIGIL_SERVICE_HTTP)
                                                     : nullptr);
    if (!svc) throw Error(VIGIL_E_UNSUPPORTED, "this vigil host provides no HTTP client (vigil.http/1)");
    std::vector<vigil_label> hs;
    for (const auto& [k, v] : headers) hs.push_back({to_str(k), to_str(v)});
    vigil_http_call call{};
    call.struct_size = sizeof call;
    call.method = to_str(method);
    call.url = to_str(url);
    call.headers = hs.data();
    call.n_headers = hs.size();
    call.body = body.data();
    call.body_len = body.size();
    call.timeout_ns = timeout_ns;
    vigil_http_response resp{};
    resp.struct_size = sizeof resp;
    HttpReply reply;
    vigil_writer w{&reply.body, [](vigil_writer* self, const void* data, size_t n) noexcept -> vigil_status {
                     try {  // called from the host's C frames: nothing may unwind through them
                       static_cast<std::string*>(self->impl)->append(static_cast<const char*>(data), n);
                       return VIGIL_OK;
                     } catch (...) {
                       return VIGIL_E_NOMEM;
                     }
                   }};
    const vigil_status st = svc->request(ctx_, &call, &resp, &w);
    if (st != VIGIL_OK) throw Error(st, "");
    reply.status = resp.status_code;
    reply.retry_after_ms = resp.retry_after_ms;
    return reply;
  }

  int64_t monotonic_ns() const noexcept { return host_->monotonic_ns(ctx_); }
  int64_t realtime_ns() const noexcept { return host_->realtime_ns(ctx_); }
  bool should_stop() const noexcept { return host_->should_stop(ctx_) != 0; }

 private:
  // true: value present; false: not found; throws on any other status. The host recorded the
  // reason (with the value's file:line:col) for the current call, so the Error carries none
  // and the barrier keeps the host's message instead of replacing it.
  bool check(vigil_status st) const {
    if (st == VIGIL_OK) return true;
    if (st == VIGIL_E_NOT_FOUND) return false;
    throw Error(st, "");
  }
  void emit_value(int32_t type, std::string_view name, double value, const Labels& labels,
                  std::string_view help) const {
    std::vector<vigil_label> ls;
    ls.reserve(labels.size());
    for (const auto& [k, v] : labels) ls.push_back(vigil_label{to_str(k), to_str(v)});
    vigil_sample s{};
    s.struct_size = sizeof(vigil_sample);
    s.type = type;
    s.name = to_str(name);
    s.help = to_str(help);
    s.labels = ls.data();
    s.n_labels = ls.size();
    s.value = value;
    emit(s);
  }

  const vigil_host_v1* host_;
  vigil_ctx* ctx_;
};

// What a cache backend's scan() calls per key; returning false stops the scan.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value, int64_t ttl_ns)>;

// The host's listener handed to a cache backend's watch(); call it from the backend's own
// thread until stop() returns (see vigil_cache_v1.watch for the meaning of each event).
class ChangeListener {
 public:
  ChangeListener() = default;
  ChangeListener(void (*fn)(void*, int32_t, vigil_str), void* user) : fn_(fn), user_(user) {}
  void changed(std::string_view key) const noexcept { fn_(user_, VIGIL_CACHE_CHANGED, to_str(key)); }
  void unknown() const noexcept { fn_(user_, VIGIL_CACHE_UNKNOWN, vigil_str{nullptr, 0}); }
  void linked() const noexcept { fn_(user_, VIGIL_CACHE_LINKED, vigil_str{nullptr, 0}); }
  explicit operator bool() const noexcept { return fn_ != nullptr; }

 private:
  void (*fn_)(void*, int32_t, vigil_str) = nullptr;
  void* user_ = nullptr;
};

// An HTTP scenario's request under construction (host-owned; every call copies).
class HttpRequestBuilder {
 public:
  explicit HttpRequestBuilder(vigil_http_request* r) : r_(r) {}
  void method(std::string_view m) { check(r_->set_method(r_, to_str(m))); }
  void target(std::string_view path_and_query) { check(r_->set_target(r_, to_str(path_and_query))); }
  void header(std::string_view name, std::string_view value) { check(r_->add_header(r_, to_str(name), to_str(value))); }
  void body(std::string_view data) { check(r_->append_body(r_, data.data(), data.size())); }
  void tag(std::string_view t) { check(r_->set_tag(r_, to_str(t))); }

 private:
  static void check(vigil_status st) {
    if (st != VIGIL_OK) throw Error(st, "the host refused the request");
  }
  vigil_http_request* r_;
};

namespace detail {

// Runs f inside the barrier: every exception becomes host->fail(code, message).
template <class F>
vigil_status barrier(const vigil_host_v1* host, vigil_ctx* ctx, F&& f) noexcept {
  try {
    f();
    return VIGIL_OK;
  } catch (const Error& e) {
    if (!*e.what()) return e.code();  // the host set the reason already (e.g. a failed HTTP call)
    return host->fail(ctx, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return host->fail(ctx, VIGIL_E_NOMEM, "out of memory");
  } catch (const std::exception& e) {
    return host->fail(ctx, VIGIL_E_INTERNAL, e.what());
  } catch (...) {
    return host->fail(ctx, VIGIL_E_INTERNAL, "unknown C++ exception");
  }
}

// The barrier for item i of a batch call: the reason goes to that item alone (host->fail_item,
// since ABI 1.3), so the items of one batch never report each other's messages.
template <class F>
vigil_status barrier_item(const vigil_host_v1* host, vigil_ctx* ctx, size_t i, F&& f) noexcept {
  if (!VIGIL_HAS(vigil_host_v1, host, fail_item) || !host->fail_item) return barrier(host, ctx, std::forward<F>(f));
  try {
    f();
    return VIGIL_OK;
  } catch (const Error& e) {
    return host->fail_item(ctx, i, e.code(), *e.what() ? e.what() : nullptr);
  } catch (const std::bad_alloc&) {
    return host->fail_item(ctx, i, VIGIL_E_NOMEM, "out of memory");
  } catch (const std::exception& e) {
    return host->fail_item(ctx, i, VIGIL_E_INTERNAL, e.what());
  } catch (...) {
    return host->fail_item(ctx, i, VIGIL_E_INTERNAL, "unknown C++ exception");
  }
}

// A scenario class may declare `static constexpr uint32_t flags = VIGIL_SCENARIO_SERIAL;`.
template <class T, class = void>
struct scenario_flags {
  static constexpr uint32_t value = 0;
};
template <class T>
struct scenario_flags<T, std::void_t<decltype(T::flags)>> {
  static constexpr uint32_t value = static_cast<uint32_t>(T::flags);
};

// A plugin class may declare `static vigil_status plugin_init(const vigil_host_v1*)` and
// `static void plugin_deinit()`: the library's init() and deinit() (once per load).
template <class T, class = void>
struct init_of {
  static constexpr vigil_status (*value)(const vigil_host_v1*) = nullptr;
};
template <class T>
struct init_of<T, std::void_t<decltype(&T::plugin_init)>> {
  static constexpr vigil_status (*value)(const vigil_host_v1*) = &T::plugin_init;
};
template <class T, class = void>
struct deinit_of {
  static constexpr void (*value)() = nullptr;
};
template <class T>
struct deinit_of<T, std::void_t<decltype(&T::plugin_deinit)>> {
  static constexpr void (*value)() = &T::plugin_deinit;
};

template <class T, class = void>
struct has_start : std::false_type {};
template <class T>
struct has_start<T, std::void_t<decltype(std::declval<T&>().start(std::declval<Context&>()))>> : std::true_type {};
template <class T, class = void>
struct has_stop : std::false_type {};
template <class T>
struct has_stop<T, std::void_t<decltype(std::declval<T&>().stop())>> : std::true_type {};

template <class T>
struct Holder {
  Context ctx;
  std::unique_ptr<T> impl;
};

template <class T>
struct Lifecycle {
  static vigil_status create(const vigil_host_v1* host, vigil_ctx* ctx, vigil_instance** out) noexcept {
    auto holder = std::unique_ptr<Holder<T>>(new (std::nothrow) Holder<T>{Context(host, ctx), nullptr});
    if (!holder) return host->fail(ctx, VIGIL_E_NOMEM, "out of memory");
    const vigil_status st = barrier(host, ctx, [&] { holder->impl = std::make_unique<T>(holder->ctx); });
    if (st == VIGIL_OK) *out = holder.release();
    return st;
  }
  static vigil_status start(vigil_instance* inst) noexcept {
    auto* h = static_cast<Holder<T>*>(inst);
    if constexpr (has_start<T>::value) {
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->start(h->ctx); });
    } else {
      return VIGIL_OK;
    }
  }
  static void stop(vigil_instance* inst) noexcept {
    auto* h = static_cast<Holder<T>*>(inst);
    if constexpr (has_stop<T>::value) {
      barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->stop(); });
    }
  }
  static void destroy(vigil_instance* inst) noexcept {
    std::unique_ptr<Holder<T>> h(static_cast<Holder<T>*>(inst));
    try {
      h.reset();
    } catch (...) {
      // A destructor that throws is a plugin bug; nothing can be reported after destroy.
    }
  }
  static constexpr vigil_lifecycle table() {
    return vigil_lifecycle{sizeof(vigil_lifecycle), &create, &start, &stop, &destroy};
  }
};

template <class T>
struct CollectorAdapter {
  static vigil_status collect(vigil_instance* inst, int64_t deadline) noexcept {
    auto* h = static_cast<Holder<T>*>(inst);
    return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->collect(h->ctx, deadline); });
  }
  static const vigil_collector_v1* vtable() noexcept {
    static const vigil_collector_v1 table{Lifecycle<T>::table(), &collect};
    return &table;
  }
};

template <class T>
struct NotifierAdapter {
  static vigil_status deliver(vigil_instance* inst, const vigil_notification* const* batch, size_t n,
                              vigil_status* results, int64_t deadline) noexcept {
    auto* h = static_cast<Holder<T>*>(inst);
    for (size_t i = 0; i < n; ++i)
      results[i] = barrier_item(h->ctx.host(), h->ctx.raw(), i, [&] { h->impl->deliver(h->ctx, *batch[i], deadline); });
    return VIGIL_OK;
  }
  static const vigil_notifier_v1* vtable() noexcept {
    static const vigil_notifier_v1 table{Lifecycle<T>::table(), &deliver};
    return &table;
  }
};

template <class T, class = void>
struct has_mget : std::false_type {};
template <class T>
struct has_mget<T, std::void_t<decltype(std::declval<T&>().mget(
                       std::declval<Context&>(), std::declval<const std::vector<std::string_view>&>(),
                       std::declval<vigil_writer*>(), std::declval<vigil_status*>()))>> : std::true_type {};
template <class T, class = void>
struct has_mset : std::false_type {};
template <class T>
struct has_mset<
    T, std::void_t<decltype(std::declval<T&>().mset(
           std::declval<Context&>(), std::declval<const std::vector<std::pair<std::string_view, std::string_view>>&>(),
           std::declval<int64_t>()))>> : std::true_type {};

template <class T, class = void>
struct has_add : std::false_type {};
template <class T>
struct has_add<T, std::void_t<decltype(std::declval<T&>().add(std::declval<Context&>(), std::string_view(),
                                                              std::string_view(), int64_t()))>> : std::true_type {};
template <class T, class = void>
struct has_del_prefix : std::false_type {};
template <class T>
struct has_del_prefix<
    T, std::void_t<decltype(std::declval<T&>().del_prefix(std::declval<Context&>(), std::string_view()))>>
    : std::true_type {};
template <class T, class = void>
struct has_scan : std::false_type {};
template <class T>
struct has_scan<T, std::void_t<decltype(std::declval<T&>().scan(std::declval<Context&>(), std::string_view(),
                                                                std::declval<const ScanVisitor&>()))>>
    : std::true_type {};
template <class T, class = void>
struct has_ping : std::false_type {};
template <class T>
struct has_ping<T, std::void_t<decltype(std::declval<T&>().ping(std::declval<Context&>()))>> : std::true_type {};
template <class T, class = void>
struct has_watch : std::false_type {};
template <class T>
struct has_watch<T, std::void_t<decltype(std::declval<T&>().watch(std::declval<Context&>(), ChangeListener()))>>
    : std::true_type {};

template <class T>
struct CacheAdapter {
  static Holder<T>* holder(vigil_instance* inst) noexcept { return static_cast<Holder<T>*>(inst); }
  static vigil_status get(vigil_instance* inst, vigil_str key, vigil_writer* out) noexcept {
    auto* h = holder(inst);
    bool found = false;
    const vigil_status st =
        barrier(h->ctx.host(), h->ctx.raw(), [&] { found = h->impl->get(h->ctx, to_view(key), out); });
    return st != VIGIL_OK ? st : (found ? VIGIL_OK : VIGIL_E_NOT_FOUND);
  }
  static vigil_status set(vigil_instance* inst, vigil_str key, const void* value, size_t n, int64_t ttl_ns) noexcept {
    auto* h = holder(inst);
    return barrier(h->ctx.host(), h->ctx.raw(), [&] {
      h->impl->set(h->ctx, to_view(key), std::string_view(static_cast<const char*>(value), n), ttl_ns);
    });
  }
  static vigil_status del(vigil_instance* inst, vigil_str key) noexcept {
    auto* h = holder(inst);
    return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->del(h->ctx, to_view(key)); });
  }
  // Batches: the class's own mget/mset when it has them (e.g. one pipeline), else one call a key.
  static vigil_status mget(vigil_instance* inst, const vigil_str* keys, size_t n, vigil_writer* outs,
                           vigil_status* results) noexcept {
    if constexpr (has_mget<T>::value) {
      auto* h = holder(inst);
      const vigil_status st = barrier(h->ctx.host(), h->ctx.raw(), [&] {
        std::vector<std::string_view> ks;
        for (size_t i = 0; i < n; ++i) ks.push_back(to_view(keys[i]));
        h->impl->mget(h->ctx, ks, outs, results);
      });
      if (st != VIGIL_OK)
        for (size_t i = 0; i < n; ++i) results[i] = st;
      return st;
    } else {
      for (size_t i = 0; i < n; ++i) results[i] = get(inst, keys[i], &outs[i]);
      return VIGIL_OK;
    }
  }
  static vigil_status mset(vigil_instance* inst, const vigil_str* keys, const vigil_str* values, size_t n,
                           int64_t ttl_ns) noexcept {
    if constexpr (has_mset<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] {
        std::vector<std::pair<std::string_view, std::string_view>> kv;
        for (size_t i = 0; i < n; ++i) kv.emplace_back(to_view(keys[i]), to_view(values[i]));
        h->impl->mset(h->ctx, kv, ttl_ns);
      });
    } else {
      for (size_t i = 0; i < n; ++i) {
        const vigil_status st = set(inst, keys[i], values[i].ptr, values[i].len, ttl_ns);
        if (st != VIGIL_OK) return st;
      }
      return VIGIL_OK;
    }
  }
  static vigil_status add(vigil_instance* inst, vigil_str key, const void* value, size_t n, int64_t ttl_ns,
                          int32_t* stored) noexcept {
    if constexpr (has_add<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] {
        *stored = h->impl->add(h->ctx, to_view(key), std::string_view(static_cast<const char*>(value), n), ttl_ns);
      });
    } else {
      (void)inst, (void)key, (void)value, (void)n, (void)ttl_ns, (void)stored;
      return VIGIL_E_UNSUPPORTED;
    }
  }
  static vigil_status del_prefix(vigil_instance* inst, vigil_str prefix) noexcept {
    if constexpr (has_del_prefix<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->del_prefix(h->ctx, to_view(prefix)); });
    } else {
      (void)inst, (void)prefix;
      return VIGIL_E_UNSUPPORTED;
    }
  }
  static vigil_status scan(vigil_instance* inst, vigil_str prefix, int32_t (*fn)(void*, vigil_str, vigil_str, int64_t),
                           void* user) noexcept {
    if constexpr (has_scan<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] {
        h->impl->scan(h->ctx, to_view(prefix), [&](std::string_view k, std::string_view v, int64_t ttl_ns) {
          return fn(user, to_str(k), to_str(v), ttl_ns) == 0;
        });
      });
    } else {
      (void)inst, (void)prefix, (void)fn, (void)user;
      return VIGIL_E_UNSUPPORTED;
    }
  }
  static vigil_status ping(vigil_instance* inst) noexcept {
    if constexpr (has_ping<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->ping(h->ctx); });
    } else {
      (void)inst;
      return VIGIL_E_UNSUPPORTED;
    }
  }
  static vigil_status watch(vigil_instance* inst, void (*fn)(void*, int32_t, vigil_str), void* user) noexcept {
    if constexpr (has_watch<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->watch(h->ctx, ChangeListener(fn, user)); });
    } else {
      (void)inst, (void)fn, (void)user;
      return VIGIL_E_UNSUPPORTED;
    }
  }
  template <bool Has, class F>
  static constexpr F optional(F f) noexcept {
    return Has ? f : nullptr;
  }
  static const vigil_cache_v1* vtable() noexcept {
    static const vigil_cache_v1 table{Lifecycle<T>::table(),
                                      &get,
                                      &set,
                                      &del,
                                      &mget,
                                      &mset,
                                      optional<has_add<T>::value>(&add),
                                      optional<has_del_prefix<T>::value>(&del_prefix),
                                      optional<has_scan<T>::value>(&scan),
                                      optional<has_ping<T>::value>(&ping),
                                      optional<has_watch<T>::value>(&watch)};
    return &table;
  }
};

template <class T, class = void>
struct has_check_http : std::false_type {};
template <class T>
struct has_check_http<T, std::void_t<decltype(std::declval<T&>().check_http(std::declval<Context&>(), uint64_t(),
                                                                            std::declval<const vigil_http_reply&>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_setup : std::false_type {};
template <class T>
struct has_setup<T, std::void_t<decltype(std::declval<T&>().build_setup(
                        std::declval<Context&>(), uint32_t(), std::declval<HttpRequestBuilder&>()))>> : std::true_type {
};

// HTTP scenarios: T has build_http(Context&, uint64_t seq, HttpRequestBuilder&) and optionally
// check_http(Context&, uint64_t seq, const vigil_http_reply&), which throws Error to fail the
// request (its message becomes the validation failure). Both [ts].
template <class T>
struct ScenarioAdapter {
  static Holder<T>* holder(vigil_instance* inst) noexcept { return static_cast<Holder<T>*>(inst); }
  static vigil_status build_http(vigil_instance* inst, uint64_t seq, vigil_http_request* req) noexcept {
    auto* h = holder(inst);
    return barrier(h->ctx.host(), h->ctx.raw(), [&] {
      HttpRequestBuilder b(req);
      h->impl->build_http(h->ctx, seq, b);
    });
  }
  static vigil_status check_http(vigil_instance* inst, uint64_t seq, const vigil_http_reply* reply) noexcept {
    if constexpr (has_check_http<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->check_http(h->ctx, seq, *reply); });
    } else {
      (void)inst, (void)seq, (void)reply;
      return VIGIL_OK;
    }
  }
  // Setup steps (optional): bool build_setup(Context&, uint32_t step, HttpRequestBuilder&)
  // returns false when there are no more; void check_setup(Context&, uint32_t step, reply).
  static vigil_status build_setup(vigil_instance* inst, uint32_t step, vigil_http_request* req) noexcept {
    if constexpr (has_setup<T>::value) {
      auto* h = holder(inst);
      bool more = false;
      const vigil_status st = barrier(h->ctx.host(), h->ctx.raw(), [&] {
        HttpRequestBuilder b(req);
        more = h->impl->build_setup(h->ctx, step, b);
      });
      return st != VIGIL_OK ? st : (more ? VIGIL_OK : VIGIL_E_NOT_FOUND);
    } else {
      (void)inst, (void)step, (void)req;
      return VIGIL_E_NOT_FOUND;
    }
  }
  static vigil_status check_setup(vigil_instance* inst, uint32_t step, const vigil_http_reply* reply) noexcept {
    if constexpr (has_setup<T>::value) {
      auto* h = holder(inst);
      return barrier(h->ctx.host(), h->ctx.raw(), [&] { h->impl->check_setup(h->ctx, step, *reply); });
    } else {
      (void)inst, (void)step, (void)reply;
      return VIGIL_OK;
    }
  }
  static const vigil_scenario_v1* vtable() noexcept {
    static const vigil_scenario_v1 table{Lifecycle<T>::table(),
                                         scenario_flags<T>::value,
                                         VIGIL_SCENARIO_HTTP,
                                         &build_http,
                                         has_check_http<T>::value ? &check_http : nullptr,
                                         nullptr,
                                         nullptr,
                                         nullptr,
                                         has_setup<T>::value ? &build_setup : nullptr,
                                         has_setup<T>::value ? &check_setup : nullptr};
    return &table;
  }
};

// Call scenarios: T has `bool call(Context&, uint64_t seq, int64_t deadline_mono_ns)` [ts],
// which performs operation seq and returns false for a miss ("not found": a success the
// report counts apart), true otherwise; it throws Error when the operation failed.
template <class T>
struct CallScenarioAdapter {
  static vigil_status call(vigil_instance* inst, uint64_t seq, int64_t deadline_mono_ns) noexcept {
    auto* h = static_cast<Holder<T>*>(inst);
    bool hit = true;
    const vigil_status st =
        barrier(h->ctx.host(), h->ctx.raw(), [&] { hit = h->impl->call(h->ctx, seq, deadline_mono_ns); });
    return st != VIGIL_OK ? st : (hit ? VIGIL_OK : VIGIL_E_NOT_FOUND);
  }
  static const vigil_scenario_v1* vtable() noexcept {
    static const vigil_scenario_v1 table{Lifecycle<T>::table(),
                                         scenario_flags<T>::value,
                                         VIGIL_SCENARIO_CALL,
                                         nullptr,
                                         nullptr,
                                         nullptr,
                                         nullptr,
                                         &call,
                                         nullptr,
                                         nullptr};
    return &table;
  }
};

// WebSocket scenarios: T has, both [ts],
//   bool build_ws(Context&, uint64_t conn, uint64_t seq, std::string& out, bool& binary);
//       // message seq of connection conn; false: nothing more to send (the connection is held)
//   bool check_ws(Context&, uint64_t conn, uint64_t seq, std::string_view msg, bool binary);
//       // true: msg is the reply to seq; false: not yet, keep reading; throw Error: a failure
template <class T>
struct WsScenarioAdapter {
  static Holder<T>* holder(vigil_instance* inst) noexcept { return static_cast<Holder<T>*>(inst); }
  static vigil_status build(vigil_instance* inst, uint64_t conn, uint64_t seq, vigil_writer* out,
                            int32_t* binary) noexcept {
    auto* h = holder(inst);
    bool more = false;
    const vigil_status st = barrier(h->ctx.host(), h->ctx.raw(), [&] {
      std::string msg;
      bool bin = false;
      more = h->impl->build_ws(h->ctx, conn, seq, msg, bin);
      *binary = bin ? 1 : 0;
      if (more && out->append(out, msg.data(), msg.size()) != VIGIL_OK)
        throw Error(VIGIL_E_NOMEM, "the message does not fit the host's buffer");
    });
    return st != VIGIL_OK ? st : (more ? VIGIL_OK : VIGIL_E_NOT_FOUND);
  }
  static vigil_status check(vigil_instance* inst, uint64_t conn, uint64_t seq, const vigil_ws_message* m) noexcept {
    auto* h = holder(inst);
    bool matched = false;
    const vigil_status st = barrier(h->ctx.host(), h->ctx.raw(), [&] {
      matched = h->impl->check_ws(h->ctx, conn, seq, std::string_view(static_cast<const char*>(m->data), m->len),
                                  m->binary != 0);
    });
    return st != VIGIL_OK ? st : (matched ? VIGIL_OK : VIGIL_E_NOT_FOUND);
  }
  static const vigil_scenario_v1* vtable() noexcept {
    static const vigil_scenario_v1 table{Lifecycle<T>::table(),
                                         scenario_flags<T>::value,
                                         VIGIL_SCENARIO_WEBSOCKET,
                                         nullptr,
                                         nullptr,
                                         &build,
                                         &check,
                                         nullptr,
                                         nullptr,
                                         nullptr};
    return &table;
  }
};

}  // namespace detail
}  // namespace vigil::sdk

// The library's entry for one C++ class providing interface Iface through Adapter<Type>.
#define VIGIL_CPP_PLUGIN_ENTRY_(Iface, Adapter, Type, Name, Version, Description, Schema)                   \
  namespace {                                                                                               \
  const char* const vigil_cpp_provides_[] = {Iface, nullptr};                                               \
  const void* vigil_cpp_get_interface_(const char* id) noexcept {                                           \
    if (std::string_view(id) == Iface) return ::vigil::sdk::detail::Adapter<Type>::vtable();                \
    return nullptr;                                                                                         \
  }                                                                                                         \
  }                                                                                                         \
  extern "C" const vigil_plugin_entry_t vigil_plugin_entry = {VIGIL_ABI_MAJOR,                              \
                                                              VIGIL_ABI_MINOR,                              \
                                                              sizeof(vigil_plugin_entry_t),                 \
                                                              Name,                                         \
                                                              Version,                                      \
                                                              Description,                                  \
                                                              vigil_cpp_provides_,                          \
                                                              ::vigil::sdk::detail::init_of<Type>::value,   \
                                                              ::vigil::sdk::detail::deinit_of<Type>::value, \
                                                              &vigil_cpp_get_interface_,                    \
                                                              Schema}

// Defines the library's entry for a single C++ collector class.
#define VIGIL_CPP_COLLECTOR(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_COLLECTOR, CollectorAdapter, Type, Name, Version, Description, Schema)

// Defines the library's entry for a single C++ notifier class.
#define VIGIL_CPP_NOTIFIER(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_NOTIFIER, NotifierAdapter, Type, Name, Version, Description, Schema)

// Defines the library's entry for a single C++ HTTP scenario class.
#define VIGIL_CPP_HTTP_SCENARIO(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_SCENARIO, ScenarioAdapter, Type, Name, Version, Description, Schema)

// Defines the library's entry for a single C++ call scenario class.
#define VIGIL_CPP_CALL_SCENARIO(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_SCENARIO, CallScenarioAdapter, Type, Name, Version, Description, Schema)

// Defines the library's entry for a single C++ WebSocket scenario class.
#define VIGIL_CPP_WS_SCENARIO(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_SCENARIO, WsScenarioAdapter, Type, Name, Version, Description, Schema)

// Defines the library's entry for a single C++ cache backend class.
#define VIGIL_CPP_CACHE(Type, Name, Version, Description, Schema) \
  VIGIL_CPP_PLUGIN_ENTRY_(VIGIL_IFACE_CACHE, CacheAdapter, Type, Name, Version, Description, Schema)

#endif  // VIGIL_PLUGIN_HPP
