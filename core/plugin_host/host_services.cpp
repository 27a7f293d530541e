// The vigil_host_v1 services. Every function is noexcept at the boundary: a failure inside
// the host becomes a status code, never an exception into plugin code.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "config/byte_size.h"
#include "config/duration.h"
#include "cache/cache.h"
#include "log/log.h"
#include "net/http_client.h"
#include "net/smtp_client.h"
#include "plugin_host/instance_context.h"

namespace vigil::plugin_host {
namespace {

using Type = config::PluginTable::Type;

std::string_view view(vigil_str s) {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

// The message belongs to the call in progress on this thread. Outside any call (a plugin's own
// thread) there is no caller to read it: the status code is what that code path returns.
vigil_status set_error(vigil_ctx* ctx, vigil_status code, std::string msg) {
  if (auto* f = current_call(ctx)) f->error = std::move(msg);
  return code;
}

vigil_status type_error(vigil_ctx* ctx, const char* path, const config::PluginTable::Lookup& l, const char* expected) {
  return set_error(ctx, VIGIL_E_INVALID,
                   l.where + ": \"" + path + "\" must be " + expected + ", not " + config::type_name(l.type));
}

// Every service that takes a ctx: a NULL ctx is refused (it cannot name an instance).
template <class F>
vigil_status guarded(vigil_ctx* ctx, F&& f) noexcept {
  if (!ctx) return VIGIL_E_INVALID;
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return VIGIL_E_NOMEM;
  } catch (const std::exception& e) {
    return set_error(ctx, VIGIL_E_INTERNAL, std::string("host error: ") + e.what());
  }
}

// Services that act on the world (emit, cache, HTTP, SMTP): refused once the instance stopped.
template <class F>
vigil_status acting(vigil_ctx* ctx, F&& f) noexcept {
  if (ctx && ctx->closed.load())
    return set_error(ctx, VIGIL_E_INVALID,
                     "called after the instance's stop() returned (join the plugin's threads in stop(); see plugin.h)");
  return guarded(ctx, std::forward<F>(f));
}

void h_log(vigil_ctx* ctx, int32_t level, vigil_str msg) noexcept {
  try {
    const auto lvl = static_cast<log::Level>(std::clamp<int32_t>(level, 0, 4));
    if (ctx)
      log::write(lvl, "plugin", view(msg), {{"plugin", ctx->plugin}, {"alias", ctx->alias}});
    else
      log::write(lvl, "plugin", view(msg));
  } catch (...) {
  }
}

vigil_status h_fail(vigil_ctx* ctx, vigil_status code, const char* msg) noexcept {
  try {
    return set_error(ctx, code, msg ? msg : "");
  } catch (...) {
    return code;
  }
}

vigil_status h_fail_item(vigil_ctx* ctx, size_t index, vigil_status code, const char* msg) noexcept {
  try {
    auto* f = current_call(ctx);
    if (!f || index >= f->batch_items) return msg ? set_error(ctx, code, msg) : code;
    auto& item = f->item_errors[index];
    // A host service's message moves to the item, so no later item can be blamed with it.
    item.error = msg ? std::string(msg) : std::exchange(f->error, std::string());
    item.retry_after_ms = std::exchange(f->item_retry_after_ms, 0);
    return code;
  } catch (...) {
    return code;
  }
}

vigil_status h_cfg_string(vigil_ctx* ctx, const char* path, vigil_str* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type != Type::string) return type_error(ctx, path, l, "a string");
    *out = vigil_str{l.text.data(), l.text.size()};
    return VIGIL_OK;
  });
}

vigil_status h_cfg_int(vigil_ctx* ctx, const char* path, int64_t* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type != Type::integer) return type_error(ctx, path, l, "an integer");
    *out = l.integer;
    return VIGIL_OK;
  });
}

vigil_status h_cfg_double(vigil_ctx* ctx, const char* path, double* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type == Type::integer)
      *out = static_cast<double>(l.integer);
    else if (l.type == Type::floating)
      *out = l.floating;
    else
      return type_error(ctx, path, l, "a number");
    return VIGIL_OK;
  });
}

vigil_status h_cfg_bool(vigil_ctx* ctx, const char* path, int32_t* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type != Type::boolean) return type_error(ctx, path, l, "a boolean (true or false)");
    *out = l.boolean ? 1 : 0;
    return VIGIL_OK;
  });
}

vigil_status h_cfg_duration(vigil_ctx* ctx, const char* path, int64_t* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type != Type::string) return type_error(ctx, path, l, "a duration string such as \"10s\"");
    auto d = config::parse_duration(l.text);
    if (!d.ok()) return set_error(ctx, VIGIL_E_INVALID, l.where + ": \"" + path + "\": " + d.message());
    *out = d.value().count();
    return VIGIL_OK;
  });
}

vigil_status h_cfg_size(vigil_ctx* ctx, const char* path, uint64_t* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type == Type::integer && l.integer >= 0) {
      *out = static_cast<uint64_t>(l.integer);
      return VIGIL_OK;
    }
    if (l.type != Type::string) return type_error(ctx, path, l, "a size such as \"64MiB\"");
    auto s = config::parse_byte_size(l.text);
    if (!s.ok()) return set_error(ctx, VIGIL_E_INVALID, l.where + ": \"" + path + "\": " + s.message());
    *out = s.value();
    return VIGIL_OK;
  });
}

vigil_status h_cfg_count(vigil_ctx* ctx, const char* path, size_t* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto l = ctx->table.find(path);
    if (l.type == Type::missing) return VIGIL_E_NOT_FOUND;
    if (l.type != Type::array && l.type != Type::table) return type_error(ctx, path, l, "an array or a table");
    *out = l.count;
    return VIGIL_OK;
  });
}

vigil_status h_cfg_key_at(vigil_ctx* ctx, const char* path, size_t index, vigil_str* out) noexcept {
  return guarded(ctx, [&]() -> vigil_status {
    auto k = ctx->table.key_at(path, index);
    if (!k) return VIGIL_E_NOT_FOUND;
    *out = vigil_str{k->data(), k->size()};  // points into the immutable table
    return VIGIL_OK;
  });
}

vigil_status h_emit(vigil_ctx* ctx, const vigil_sample* in) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    if (ctx->kind == "scenario")
      return set_error(ctx, VIGIL_E_UNSUPPORTED,
                       "emit: scenarios do not emit samples (the load engine measures and reports the run)");
    if (!in || in->struct_size < offsetof(vigil_sample, bucket_bounds))
      return set_error(ctx, VIGIL_E_INVALID, "emit: sample struct_size is too small (set it to sizeof(vigil_sample))");
    metrics::Sample s;
    switch (in->type) {
      case VIGIL_METRIC_GAUGE: s.type = metrics::SampleType::gauge; break;
      case VIGIL_METRIC_COUNTER: s.type = metrics::SampleType::counter; break;
      case VIGIL_METRIC_UNTYPED: s.type = metrics::SampleType::untyped; break;
      case VIGIL_METRIC_HISTOGRAM: s.type = metrics::SampleType::histogram; break;
      default: return set_error(ctx, VIGIL_E_INVALID, "emit: unknown sample type " + std::to_string(in->type));
    }
    s.name = std::string(view(in->name));
    s.help = std::string(view(in->help));
    s.labels.reserve(in->n_labels);
    for (size_t i = 0; i < in->n_labels; ++i)
      s.labels.emplace_back(std::string(view(in->labels[i].name)), std::string(view(in->labels[i].value)));
    s.value = in->value;
    s.unix_ms = in->unix_ms;
    if (s.type == metrics::SampleType::histogram) {
      if (!VIGIL_HAS(vigil_sample, in, count))
        return set_error(ctx, VIGIL_E_INVALID, "emit: histogram sample without bucket fields");
      for (size_t i = 0; i < in->n_buckets; ++i) s.buckets.emplace_back(in->bucket_bounds[i], in->bucket_counts[i]);
      s.sum = in->sum;
      s.count = in->count;
    }
    auto st = metrics::normalize(s);
    std::unique_lock lock(ctx->mu);
    if (!st.ok()) {
      ++ctx->invalid_samples;
      if (ctx->first_invalid.empty()) ctx->first_invalid = st.message();
      lock.unlock();
      return set_error(ctx, VIGIL_E_INVALID, st.message());
    }
    // A collection past its sample_limit fails whole (CollectorInstance::collect); between
    // collections (a collector's own threads) or from a notifier or cache, the buffer keeps only
    // what the next drain needs. Either way a flood is refused, not kept.
    if (ctx->pending.size() >= ctx->sample_limit) {
      ++ctx->samples_over_limit;
      const size_t limit = ctx->sample_limit;
      lock.unlock();
      return set_error(ctx, VIGIL_E_NOMEM,
                       "emit: the sample limit of " + std::to_string(limit) + " samples per collection is reached");
    }
    ctx->pending.push_back(std::move(s));
    return VIGIL_OK;
  });
}

std::mutex g_cache_mu;
std::shared_ptr<cache::Cache> g_cache;  // guarded by g_cache_mu

std::shared_ptr<cache::Cache> current_cache() {
  std::lock_guard l(g_cache_mu);
  return g_cache;
}

// Each plugin instance has its own namespace: plugin.<plugin>.<alias>.
cache::Namespace* namespace_of(vigil_ctx* ctx, const std::shared_ptr<cache::Cache>& c) {
  return c && ctx ? &c->ns("plugin." + ctx->plugin + "." + ctx->alias) : nullptr;
}

constexpr const char* kNoCache = "no cache is configured (add [[caches.memory]] to the config)";

vigil_status h_cache_get(vigil_ctx* ctx, vigil_str key, vigil_writer* out) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    auto c = current_cache();
    auto* ns = namespace_of(ctx, c);
    if (!ns) return set_error(ctx, VIGIL_E_UNSUPPORTED, kNoCache);
    auto r = ns->get(std::string(view(key)));
    if (!r.ok()) return set_error(ctx, VIGIL_E_UNAVAILABLE, r.message());
    if (!*r) return VIGIL_E_NOT_FOUND;
    if (out && out->append) return out->append(out, (*r)->data(), (*r)->size());
    return VIGIL_OK;
  });
}

vigil_status h_cache_set(vigil_ctx* ctx, vigil_str key, const void* value, size_t n, int64_t ttl_ns) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    auto c = current_cache();
    auto* ns = namespace_of(ctx, c);
    if (!ns) return set_error(ctx, VIGIL_E_UNSUPPORTED, kNoCache);
    std::optional<std::chrono::milliseconds> ttl;
    if (ttl_ns > 0) ttl = std::chrono::milliseconds(std::max<int64_t>(1, ttl_ns / 1000000));
    auto st = ns->set(std::string(view(key)), std::string(static_cast<const char*>(value), n), ttl);
    return st.ok() ? VIGIL_OK : set_error(ctx, VIGIL_E_INVALID, st.message());
  });
}

vigil_status h_cache_del(vigil_ctx* ctx, vigil_str key) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    auto c = current_cache();
    auto* ns = namespace_of(ctx, c);
    if (!ns) return set_error(ctx, VIGIL_E_UNSUPPORTED, kNoCache);
    auto st = ns->del(std::string(view(key)));
    return st.ok() ? VIGIL_OK : set_error(ctx, VIGIL_E_UNAVAILABLE, st.message());
  });
}

int64_t h_mono(vigil_ctx*) noexcept {
  return monotonic_now_ns();
}
int64_t h_real(vigil_ctx*) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int32_t h_should_stop(vigil_ctx* ctx) noexcept {
  if (!ctx) return 0;
  if (ctx->stopping.load()) return 1;
  const auto* f = current_call(ctx);
  return f && monotonic_now_ns() >= f->deadline_mono_ns ? 1 : 0;
}
vigil_status h_http_request(vigil_ctx* ctx, const vigil_http_call* call, vigil_http_response* out,
                            vigil_writer* body) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    if (!call || !out || call->struct_size < offsetof(vigil_http_call, timeout_ns) + sizeof(int64_t))
      return set_error(ctx, VIGIL_E_INVALID,
                       "vigil.http/1 request: call or out is NULL, or call->struct_size is too small");
    net::HttpRequest req;
    req.method = std::string(view(call->method));
    if (req.method.empty()) req.method = "POST";
    req.url = std::string(view(call->url));
    for (size_t i = 0; i < call->n_headers; ++i)
      req.headers.emplace_back(std::string(view(call->headers[i].name)), std::string(view(call->headers[i].value)));
    if (call->body && call->body_len) req.body.assign(static_cast<const char*>(call->body), call->body_len);
    if (call->timeout_ns > 0) req.timeout = std::chrono::milliseconds(std::max<int64_t>(1, call->timeout_ns / 1000000));
    // Never past the current call's deadline (a plugin's own thread has none).
    auto* frame = current_call(ctx);
    if (frame && frame->deadline_mono_ns != INT64_MAX) {
      const int64_t left_ms = (frame->deadline_mono_ns - monotonic_now_ns()) / 1000000;
      if (left_ms <= 0)
        return set_error(ctx, VIGIL_E_TIMEOUT, "the deadline passed before the request to " + net::redact_url(req.url));
      req.timeout = std::min(req.timeout, std::chrono::milliseconds(left_ms));
    }
    auto r = net::HttpClient::shared().perform(req);
    if (r.error != net::TransportError::none)
      return set_error(ctx, r.error == net::TransportError::timeout ? VIGIL_E_TIMEOUT : VIGIL_E_UNAVAILABLE, r.message);
    out->status_code = r.response.status;
    out->retry_after_ms = r.response.retry_after.count();
    if (frame && out->retry_after_ms > 0) frame->retry_after_ms = frame->item_retry_after_ms = out->retry_after_ms;
    if (body && body->append && !r.response.body.empty())
      body->append(body, r.response.body.data(), r.response.body.size());
    return VIGIL_OK;
  });
}

vigil_status h_smtp_send(vigil_ctx* ctx, const vigil_smtp_message* msg) noexcept {
  return acting(ctx, [&]() -> vigil_status {
    if (!msg || msg->struct_size < offsetof(vigil_smtp_message, timeout_ns) + sizeof(int64_t))
      return set_error(ctx, VIGIL_E_INVALID, "vigil.smtp/1 send: msg is NULL or msg->struct_size is too small");
    net::SmtpMessage m;
    m.url = std::string(view(msg->url));
    m.username = std::string(view(msg->username));
    m.password = std::string(view(msg->password));
    m.from = std::string(view(msg->from));
    for (size_t i = 0; i < msg->n_to; ++i) m.to.emplace_back(view(msg->to[i]));
    m.message = std::string(view(msg->message));
    m.allow_plaintext = msg->allow_plaintext != 0;
    if (msg->timeout_ns > 0) m.timeout = std::chrono::milliseconds(std::max<int64_t>(1, msg->timeout_ns / 1000000));
    auto r = net::send_mail(m);
    switch (r.result) {
      case net::SmtpOutcome::Result::sent: return VIGIL_OK;
      case net::SmtpOutcome::Result::temporary: return set_error(ctx, VIGIL_E_UNAVAILABLE, r.message);
      case net::SmtpOutcome::Result::permanent: return set_error(ctx, VIGIL_E_INVALID, r.message);
    }
    return VIGIL_E_INTERNAL;
  });
}

const vigil_http_client_v1 kHttpService = {sizeof(vigil_http_client_v1), h_http_request};
const vigil_smtp_client_v1 kSmtpService = {sizeof(vigil_smtp_client_v1), h_smtp_send};

const void* h_get_service(vigil_ctx*, const char* id) noexcept {
  if (!id) return nullptr;
  if (std::strcmp(id, VIGIL_SERVICE_HTTP) == 0) return &kHttpService;
  if (std::strcmp(id, VIGIL_SERVICE_SMTP) == 0) return &kSmtpService;
  return nullptr;
}

const vigil_host_v1 kHost = {
    sizeof(vigil_host_v1), VIGIL_ABI_MAJOR, VIGIL_ABI_MINOR, h_log,      h_fail,      h_cfg_string,  h_cfg_int,
    h_cfg_double,          h_cfg_bool,      h_cfg_duration,  h_cfg_size, h_cfg_count, h_cfg_key_at,  h_emit,
    h_cache_get,           h_cache_set,     h_cache_del,     h_mono,     h_real,      h_should_stop, h_get_service,
    h_fail_item,
};

}  // namespace

namespace {
thread_local CallFrame* t_innermost = nullptr;
}  // namespace

CallFrame* current_call(const vigil_ctx* ctx) {
  for (CallFrame* f = t_innermost; f; f = f->outer)
    if (f->ctx == ctx) return f;
  return nullptr;
}

ScopedCall::ScopedCall(vigil_ctx* ctx, int64_t deadline_mono_ns) {
  frame_.ctx = ctx;
  frame_.deadline_mono_ns = deadline_mono_ns;
  frame_.outer = t_innermost;
  t_innermost = &frame_;
}

ScopedCall::~ScopedCall() {
  t_innermost = frame_.outer;
}

void retire_context(std::unique_ptr<vigil_ctx> ctx) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<vigil_ctx>>* retired = new std::vector<std::unique_ptr<vigil_ctx>>();
  ctx->closed = true;
  ctx->stopping = true;
  {
    std::lock_guard l(ctx->mu);
    std::vector<metrics::Sample>().swap(ctx->pending);
  }
  std::lock_guard l(mu);
  retired->push_back(std::move(ctx));
}

void set_host_cache(std::shared_ptr<cache::Cache> c) {
  std::lock_guard l(g_cache_mu);
  g_cache = std::move(c);
}

const vigil_host_v1* host_table() {
  return &kHost;
}

int64_t monotonic_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace vigil::plugin_host
