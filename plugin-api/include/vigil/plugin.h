/*
 * vigil/plugin.h: the stable C ABI between the vigil host and its plugins.
 *
 * Pure C99, usable from C and C++. Nothing variadic, no C++ types, no exceptions, no memory
 * freed across the boundary. One exported data symbol per library: `vigil_plugin_entry`.
 *
 * Versioning: VIGIL_ABI_MAJOR changes only on a breaking change; the host refuses a plugin built
 * for another major. Minor versions only append: fields at the end of structs (guarded by the
 * leading `struct_size`, test with VIGIL_HAS), functions at the end of tables, new interface ids.
 * A host accepts plugins built for its own or an OLDER minor (it reads what they lack as NULL)
 * and refuses one built for a NEWER minor, which may call host functions the host does not have:
 * build a plugin against the oldest vigil's headers it must run on.
 * The first four fields of vigil_plugin_entry_t (abi_major, abi_minor, struct_size, name) keep
 * their layout forever, so a host can name a plugin it refuses.
 *
 * Threading tags on every function pointer:
 *   [main]   called on the host's control thread, never concurrently with another [main] call
 *   [worker] called on a host worker thread; never concurrently for one instance
 *   [ts]     thread-safe: may be called from any thread, concurrently
 * Host services are [ts] unless marked, and may be called from plugin-owned threads between
 * the plugin's start() and the return of its stop().
 *
 * Lifecycle guarantees (what a plugin may assume):
 *   - stop() and destroy() never overlap another call into the same instance: a call still
 *     running when its instance is removed (a reload) keeps the instance alive and is waited
 *     for; its results are then discarded and stop() follows its return ("quarantine").
 *     At shutdown the host waits until [agent] shutdown_timeout and then exits the process
 *     without calling stop() or destroy() under a call that has not returned.
 *   - A call's deadline and error message belong to that call: should_stop() and the HTTP
 *     service see the deadline of the call running on the calling thread (none on a plugin's
 *     own thread), and fail() records the message for that call only, so concurrent [ts] calls
 *     never see each other's messages.
 *   - After stop() returns, services that act (emit, cache_*, vigil.http/1, vigil.smtp/1)
 *     return VIGIL_E_INVALID and should_stop() returns 1; a vigil_ctx stays valid memory for
 *     the life of the process, so a late call from a thread the plugin failed to join is an
 *     error, never a crash. (Joining those threads in stop() is still the plugin's job.)
 *   - Every service that takes a ctx returns VIGIL_E_INVALID for a NULL ctx (log and fail
 *     accept NULL: in init(), fail(NULL, ...) gives init's reason).
 *
 * Ownership: every `vigil_str` and pointer passed IN is BORROWED for the duration of the call;
 * copy what you keep. Strings in the entry and schema are static until the library is unloaded
 * (the host never unloads while running). Data flows OUT only through host callbacks that copy
 * (emit, fail, log) or host-owned writers.
 */
#ifndef VIGIL_PLUGIN_H
#define VIGIL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIGIL_ABI_MAJOR 1u /* bumped only for breaking changes; the host refuses other majors */
#define VIGIL_ABI_MINOR 3u /* bumped for appended fields, functions and interfaces only */

#if defined(_WIN32)
#define VIGIL_EXPORT __declspec(dllexport)
#else
#define VIGIL_EXPORT __attribute__((visibility("default")))
#endif

/* True when the struct at p (which starts with struct_size) is large enough to hold field f. */
#define VIGIL_HAS(T, p, f) ((p)->struct_size >= offsetof(T, f) + sizeof(((T*)0)->f))

/* Interface ids, passed to get_interface(). */
#define VIGIL_IFACE_COLLECTOR "vigil.collector/1"
#define VIGIL_IFACE_CACHE "vigil.cache/1"
#define VIGIL_IFACE_NOTIFIER "vigil.notifier/1"
#define VIGIL_IFACE_SCENARIO "vigil.scenario/1"

/* ---------------------------------------------------------------------------------------------
 * Status codes. Values are fixed forever; the host treats unknown values as VIGIL_E_INTERNAL.
 */
typedef int32_t vigil_status;
enum {
  VIGIL_OK = 0,
  VIGIL_E_CONFIG = 1,      /* the plugin's settings are invalid: fails `vigil check` */
  VIGIL_E_UNAVAILABLE = 2, /* RETRYABLE: a dependency is down or busy; the host retries later */
  VIGIL_E_TIMEOUT = 3,     /* the deadline passed */
  VIGIL_E_NOT_FOUND = 4,   /* cache miss, unset config key */
  VIGIL_E_UNSUPPORTED = 5, /* the operation or a requested feature is not provided */
  VIGIL_E_NOMEM = 6,
  VIGIL_E_PARTIAL = 7, /* some of the work succeeded (e.g. some samples emitted) */
  VIGIL_E_INVALID = 8, /* an argument is invalid (bad metric name, wrong type) */
  VIGIL_E_INTERNAL = 9 /* PERMANENT: a bug or unexpected state */
};

/* Log levels for vigil_host_v1.log. */
enum { VIGIL_LOG_TRACE = 0, VIGIL_LOG_DEBUG = 1, VIGIL_LOG_INFO = 2, VIGIL_LOG_WARN = 3, VIGIL_LOG_ERROR = 4 };

/* UTF-8 text, not necessarily NUL-terminated. BORROWED for the call. */
typedef struct vigil_str {
  const char* ptr;
  size_t len;
} vigil_str;

typedef struct vigil_label {
  vigil_str name;
  vigil_str value;
} vigil_label;

/* Opaque, host-owned, one per plugin instance; answers services from create() until stop()
 * returns (configuration reads until destroy() returns), and stays valid memory afterwards. */
typedef struct vigil_ctx vigil_ctx;
/* Opaque, plugin-owned instance state. */
typedef void vigil_instance;

/* A host-owned growable byte buffer. The plugin appends; the host owns and frees. */
typedef struct vigil_writer {
  void* impl;
  /* [ts] Appends len bytes (copied). Returns VIGIL_E_NOMEM when the host's bound is reached. */
  vigil_status (*append)(struct vigil_writer* w, const void* data, size_t len);
} vigil_writer;

/* ---------------------------------------------------------------------------------------------
 * Samples: what collectors (and any plugin) emit through host->emit.
 */
enum {
  VIGIL_METRIC_GAUGE = 0,
  VIGIL_METRIC_COUNTER = 1, /* value is the absolute running total, never a delta */
  VIGIL_METRIC_UNTYPED = 2,
  VIGIL_METRIC_HISTOGRAM = 3 /* uses the bucket fields; value is ignored */
};

typedef struct vigil_sample {
  uint32_t struct_size;      /* = sizeof(vigil_sample) */
  int32_t type;              /* VIGIL_METRIC_* */
  vigil_str name;            /* Prometheus metric name, [a-zA-Z_:][a-zA-Z0-9_:]* */
  vigil_str help;            /* optional one-line description; empty for none */
  const vigil_label* labels; /* label names [a-zA-Z_][a-zA-Z0-9_]*, not starting "__" */
  size_t n_labels;
  double value;    /* gauge, counter, untyped */
  int64_t unix_ms; /* sample time; 0 = the host stamps it at scrape time */
  /* Histogram (type VIGIL_METRIC_HISTOGRAM): n_buckets finite upper bounds in increasing order
   * with their CUMULATIVE counts; the +Inf bucket is implied by `count`. */
  const double* bucket_bounds;
  const uint64_t* bucket_counts;
  size_t n_buckets;
  double sum;
  uint64_t count;
} vigil_sample;

/* ---------------------------------------------------------------------------------------------
 * Config schema a plugin declares, so the host can reject unknown keys, check types, fill
 * documentation and `vigil plugins` output. Nested keys use dots ("tls.ca_file"); keys inside
 * arrays of tables use "[]" ("targets[].url").
 */
enum {
  VIGIL_CFG_STRING = 0,
  VIGIL_CFG_INT = 1,
  VIGIL_CFG_DOUBLE = 2,
  VIGIL_CFG_BOOL = 3,
  VIGIL_CFG_DURATION = 4,     /* string such as "250ms", "10s", "5m" */
  VIGIL_CFG_SIZE = 5,         /* string such as "64MiB", or an integer count of bytes */
  VIGIL_CFG_STRING_ARRAY = 6, /* array of strings */
  VIGIL_CFG_TABLE = 7,        /* a table; its keys are declared with a "name." prefix */
  VIGIL_CFG_TABLE_ARRAY = 8,  /* an array of tables; keys declared with a "name[]." prefix */
  VIGIL_CFG_STRING_MAP = 9,   /* a table of string values with free keys (e.g. headers) */
  /* Since 1.3. Read with cfg_string like their plain forms; the host keeps their values out of
   * every log line, message and API answer it writes. Use them for passwords, tokens, and URLs
   * or headers that carry one (a webhook URL with its key). */
  VIGIL_CFG_SECRET = 10,    /* a string that is a secret */
  VIGIL_CFG_SECRET_MAP = 11 /* a table of strings whose values are secrets (e.g. headers) */
};

typedef struct vigil_config_key {
  const char* key;           /* static */
  int32_t type;              /* VIGIL_CFG_* */
  const char* default_value; /* static text shown in docs, or NULL when none */
  int32_t required;          /* non-zero: the key must be set */
  const char* doc;           /* static one-line description */
} vigil_config_key;
/* A schema is an array of vigil_config_key terminated by an entry whose key is NULL. */

/* ---------------------------------------------------------------------------------------------
 * Host services, handed to init() and create(). Append-only.
 */
typedef struct vigil_host_v1 {
  uint32_t struct_size;
  uint16_t abi_major, abi_minor;

  /* [ts] Writes a log line attributed to the instance (ctx may be NULL in init()). */
  void (*log)(vigil_ctx* ctx, int32_t level, vigil_str msg);
  /* [ts] Records the error message for the current call on this thread and returns `code`, so a
   * plugin writes `return host->fail(ctx, VIGIL_E_CONFIG, "...")`. msg is NUL-terminated, copied.
   * Say what is wrong, where, and how to fix it. */
  vigil_status (*fail)(vigil_ctx* ctx, vigil_status code, const char* msg);

  /* Typed access to the instance's own TOML table. [ts] after create().
   * `path` is NUL-terminated: "timeout", "tls.ca_file", "targets[2].url", "paths[0]".
   * Returns VIGIL_E_NOT_FOUND when unset, VIGIL_E_INVALID when the value has another type (and
   * sets the error message naming file:line:col). Strings stay valid until destroy() returns. */
  vigil_status (*cfg_string)(vigil_ctx* ctx, const char* path, vigil_str* out);
  vigil_status (*cfg_int)(vigil_ctx* ctx, const char* path, int64_t* out);
  vigil_status (*cfg_double)(vigil_ctx* ctx, const char* path, double* out); /* ints accepted */
  vigil_status (*cfg_bool)(vigil_ctx* ctx, const char* path, int32_t* out);
  vigil_status (*cfg_duration_ns)(vigil_ctx* ctx, const char* path, int64_t* out);
  vigil_status (*cfg_size_bytes)(vigil_ctx* ctx, const char* path, uint64_t* out);
  /* Number of elements of an array, or of keys of a table, at path. */
  vigil_status (*cfg_count)(vigil_ctx* ctx, const char* path, size_t* out);
  /* Name of the index-th key of the table at path (in file order). */
  vigil_status (*cfg_key_at)(vigil_ctx* ctx, const char* path, size_t index, vigil_str* out);

  /* [ts] Emits one sample, copied. Rejects invalid names with VIGIL_E_INVALID. From a
   * collector, samples emitted during one collect() replace that instance's previous set as
   * a whole when the call returns (series that were not emitted again disappear). From a
   * notifier or a cache backend, each series keeps its latest value and is published on
   * /metrics with a `notifier` or `backend` label naming the instance. Scenarios get
   * VIGIL_E_UNSUPPORTED (the load engine measures the run). */
  vigil_status (*emit)(vigil_ctx* ctx, const vigil_sample* sample);

  /* [ts] The core cache. get writes the value into `out`; VIGIL_E_NOT_FOUND on a miss;
   * VIGIL_E_UNSUPPORTED when no cache is configured. ttl_ns 0 = backend default. */
  vigil_status (*cache_get)(vigil_ctx* ctx, vigil_str key, vigil_writer* out);
  vigil_status (*cache_set)(vigil_ctx* ctx, vigil_str key, const void* value, size_t n, int64_t ttl_ns);
  vigil_status (*cache_del)(vigil_ctx* ctx, vigil_str key);

  /* [ts] Clocks. */
  int64_t (*monotonic_ns)(vigil_ctx* ctx);
  int64_t (*realtime_ns)(vigil_ctx* ctx);
  /* [ts] Non-zero once the current call's deadline passed or the host is stopping/reloading.
   * Long-running work polls this and returns VIGIL_E_TIMEOUT. */
  int32_t (*should_stop)(vigil_ctx* ctx);

  /* [ts] Optional services by id, e.g. "vigil.http/1"; NULL when absent. The returned table
   * is static for the life of the host and starts with struct_size. */
  const void* (*get_service)(vigil_ctx* ctx, const char* id);

  /* Since 1.3 (test with VIGIL_HAS(vigil_host_v1, host, fail_item)).
   * [ts, on the thread running the call] Within a batch call (a notifier's deliver()), records
   * the error message of batch item `index` alone and returns `code`, so each item of a batch
   * reports its own reason. msg NULL moves the message a host service just set for this call
   * (e.g. the HTTP service's reason for a failed request) to the item. A Retry-After that the HTTP service saw since
   * the previous fail_item of the same call belongs to this item. Items without a message of their own get the call's
   * message (set with fail()). Outside a batch call, or with index out of range, it acts as
   * fail(). */
  vigil_status (*fail_item)(vigil_ctx* ctx, size_t index, vigil_status code, const char* msg);
} vigil_host_v1;

/* ---------------------------------------------------------------------------------------------
 * Lifecycle: the first member of every kind's vtable.
 */
typedef struct vigil_lifecycle {
  uint32_t struct_size;
  /* [main] Reads and validates the configuration through host->cfg_*; no I/O, no threads.
   * `vigil check` calls create then destroy. On success stores the instance in *out. */
  vigil_status (*create)(const vigil_host_v1* host, vigil_ctx* ctx, vigil_instance** out);
  /* [main] Optional (may be NULL). Opens connections, starts threads.
   * VIGIL_E_UNAVAILABLE lets the host retry with backoff. */
  vigil_status (*start)(vigil_instance* inst);
  /* [main] Optional. Idempotent; joins every thread the plugin started. */
  void (*stop)(vigil_instance* inst);
  /* [main] Frees the instance; called after stop(), or after a failed start()/create(). */
  void (*destroy)(vigil_instance* inst);
} vigil_lifecycle;

/* "vigil.collector/1" */
typedef struct vigil_collector_v1 {
  vigil_lifecycle life;
  /* [worker] Collects once and emits samples through host->emit. deadline_mono_ns is on the
   * host->monotonic_ns clock; poll host->should_stop. The host skips (and counts) a run that
   * would overlap one still running, and backs off a failing instance. */
  vigil_status (*collect)(vigil_instance* inst, int64_t deadline_mono_ns);
} vigil_collector_v1;

/* "vigil.cache/1": every operation [ts]. */
typedef struct vigil_cache_v1 {
  vigil_lifecycle life;
  /* Writes the value into out; VIGIL_E_NOT_FOUND on a miss. */
  vigil_status (*get)(vigil_instance* inst, vigil_str key, vigil_writer* out);
  /* ttl_ns 0 = no expiry. */
  vigil_status (*set)(vigil_instance* inst, vigil_str key, const void* value, size_t n, int64_t ttl_ns);
  /* VIGIL_OK whether or not the key existed. */
  vigil_status (*del)(vigil_instance* inst, vigil_str key);
  /* Batch forms. results[i] is OK or E_NOT_FOUND per key; values go to outs[i]. May be NULL:
   * the host's cache layer makes single-key calls and does not call these yet. */
  vigil_status (*mget)(vigil_instance* inst, const vigil_str* keys, size_t n, vigil_writer* outs,
                       vigil_status* results);
  vigil_status (*mset)(vigil_instance* inst, const vigil_str* keys, const vigil_str* values, size_t n, int64_t ttl_ns);

  /* Since 1.2: present when the plugin's entry declares ABI minor >= 2; each may be NULL
   * (the host then answers VIGIL_E_UNSUPPORTED for it). */

  /* Stores the value only if the key is absent, atomically across every client of the store:
   * *stored = 1 when stored, 0 when the key existed. What replicas claim work with. */
  vigil_status (*add)(vigil_instance* inst, vigil_str key, const void* value, size_t n, int64_t ttl_ns,
                      int32_t* stored);
  /* Deletes every key that starts with prefix ("" = every key of this instance). */
  vigil_status (*del_prefix)(vigil_instance* inst, vigil_str prefix);
  /* Calls fn once per live key starting with prefix, with its value and remaining TTL in ns
   * (0 = none); fn returning non-zero stops the scan. Not a point-in-time copy: keys written
   * meanwhile may be missed. The strings passed to fn are borrowed for that call. */
  vigil_status (*scan)(vigil_instance* inst, vigil_str prefix,
                       int32_t (*fn)(void* user, vigil_str key, vigil_str value, int64_t ttl_ns), void* user);
  /* A cheap health check of the store behind the instance (Redis: PING); VIGIL_E_UNAVAILABLE
   * with the reason set when it does not answer. Feeds the host's readiness. NULL when nothing
   * stands outside the process: the host then treats the cache as this process's own. */
  vigil_status (*ping)(vigil_instance* inst);
  /* [main] Between create() and start(): asks the backend to report changes made by OTHER
   * clients of a shared store, so the host can keep an in-process copy (L1) coherent. The
   * backend calls fn from a thread of its own until stop() returns:
   *   VIGIL_CACHE_CHANGED  `key` was written, deleted, expired or evicted elsewhere;
   *   VIGIL_CACHE_UNKNOWN  anything may have changed (store flushed, or the link that carries
   *                        changes was lost): drop every copy and keep none until LINKED;
   *   VIGIL_CACHE_LINKED   changes are reported from now on (also after a reconnect).
   * No copies may be kept before the first LINKED. VIGIL_E_UNSUPPORTED: the backend cannot. */
  vigil_status (*watch)(vigil_instance* inst, void (*fn)(void* user, int32_t event, vigil_str key), void* user);
} vigil_cache_v1;

enum { VIGIL_CACHE_CHANGED = 0, VIGIL_CACHE_UNKNOWN = 1, VIGIL_CACHE_LINKED = 2 };

/* ---------------------------------------------------------------------------------------------
 * Notifications. Host-owned, valid for the deliver() call.
 */
enum { VIGIL_ALERT_FIRING = 0, VIGIL_ALERT_RESOLVED = 1 };
enum { VIGIL_SEVERITY_INFO = 0, VIGIL_SEVERITY_WARNING = 1, VIGIL_SEVERITY_CRITICAL = 2 };

typedef struct vigil_alert {
  uint32_t struct_size;
  int32_t status; /* VIGIL_ALERT_* */
  const vigil_label* labels;
  size_t n_labels;
  const vigil_label* annotations;
  size_t n_annotations;
  int64_t starts_unix_ms;
  int64_t ends_unix_ms; /* 0 while firing */
  vigil_str fingerprint;
  vigil_str generator_url;
} vigil_alert;

typedef struct vigil_notification {
  uint32_t struct_size;
  int32_t status;   /* FIRING when any alert in the group fires, RESOLVED otherwise */
  int32_t severity; /* highest VIGIL_SEVERITY_* in the group */
  vigil_str receiver;
  vigil_str group_key;
  const vigil_label* group_labels;
  size_t n_group_labels;
  const vigil_label* common_labels;
  size_t n_common_labels;
  const vigil_label* common_annotations;
  size_t n_common_annotations;
  const vigil_alert* alerts;
  size_t n_alerts;
  vigil_str title;     /* rendered by the host from the receiver's templates */
  vigil_str body;      /* rendered text body */
  vigil_str json_body; /* Alertmanager webhook v4 JSON for this notification */
  vigil_str external_url;
  /* Since 1.1 (test with VIGIL_HAS(vigil_notification, n, ...)). */
  vigil_str reason;          /* "first notification", "new alerts added", "some alerts resolved",
                                "all alerts resolved" or "repeat interval elapsed" */
  vigil_str idempotency_key; /* the same for every delivery attempt of this notification */
  uint64_t sequence;         /* per group and receiver, from 1 */
  size_t n_firing;           /* alerts firing (the first n_firing of `alerts`) */
} vigil_notification;

/* "vigil.notifier/1" */
typedef struct vigil_notifier_v1 {
  vigil_lifecycle life;
  /* [worker] Delivers n notifications. Sets results[i] for each: VIGIL_OK (delivered),
   * VIGIL_E_UNAVAILABLE (the host retries with backoff) or another code (dropped, logged).
   * Give each failed item its own reason with host->fail_item(ctx, i, ...) (since 1.3). */
  vigil_status (*deliver)(vigil_instance* inst, const vigil_notification* const* batch, size_t n, vigil_status* results,
                          int64_t deadline_mono_ns);
} vigil_notifier_v1;

/* ---------------------------------------------------------------------------------------------
 * Host services for notifiers (and any plugin), from host->get_service. Since 1.1.
 */
#define VIGIL_SERVICE_HTTP "vigil.http/1"
#define VIGIL_SERVICE_SMTP "vigil.smtp/1"

typedef struct vigil_http_call {
  uint32_t struct_size;       /* = sizeof(vigil_http_call) */
  vigil_str method;           /* "POST" */
  vigil_str url;              /* http:// or https:// */
  const vigil_label* headers; /* name/value pairs */
  size_t n_headers;
  const void* body;
  size_t body_len;
  int64_t timeout_ns; /* whole request; 0 = 10 s */
} vigil_http_call;

typedef struct vigil_http_response {
  uint32_t struct_size;   /* = sizeof(vigil_http_response) */
  int32_t status_code;    /* set when the call returns VIGIL_OK */
  int64_t retry_after_ms; /* from a Retry-After header, 0 when absent */
} vigil_http_response;

/* "vigil.http/1": the host's HTTP(S) client: pooled keep-alive connections shared by every
 * plugin, TLS verification on, proxies from the environment (https_proxy, no_proxy). */
typedef struct vigil_http_client_v1 {
  uint32_t struct_size;
  /* [ts] Performs one request. VIGIL_OK when a reply arrived, whatever its status code (in
   * out->status_code); the reply body is appended to `body` (may be NULL). Transport errors:
   * VIGIL_E_UNAVAILABLE (connect, TLS, reset) or VIGIL_E_TIMEOUT, with the reason set for
   * the current call (as host->fail does). */
  vigil_status (*request)(vigil_ctx* ctx, const vigil_http_call* call, vigil_http_response* out, vigil_writer* body);
} vigil_http_client_v1;

typedef struct vigil_smtp_message {
  uint32_t struct_size; /* = sizeof(vigil_smtp_message) */
  vigil_str url;        /* smtp://host:587 (STARTTLS, required unless allow_plaintext) or smtps://host:465 */
  vigil_str username;   /* empty: no AUTH */
  vigil_str password;
  vigil_str from;      /* envelope sender address */
  const vigil_str* to; /* envelope recipients */
  size_t n_to;
  vigil_str message;       /* the complete RFC 5322 message, CRLF line ends */
  int32_t allow_plaintext; /* non-zero: no TLS on smtp:// (test servers on loopback only) */
  int64_t timeout_ns;      /* 0 = 30 s */
} vigil_smtp_message;

/* "vigil.smtp/1": sends mail through the host's SMTP client. */
typedef struct vigil_smtp_client_v1 {
  uint32_t struct_size;
  /* [ts] VIGIL_OK once the server accepted the message; VIGIL_E_UNAVAILABLE on connection or
   * temporary (4xx) errors; VIGIL_E_INVALID on permanent (5xx) rejections; reason set. */
  vigil_status (*send)(vigil_ctx* ctx, const vigil_smtp_message* msg);
} vigil_smtp_client_v1;

/* ---------------------------------------------------------------------------------------------
 * Benchmark scenarios. The host's load engine owns connections, timing and histograms; the
 * plugin shapes requests and checks replies.
 */
enum {
  VIGIL_SCENARIO_HTTP = 0,      /* host sends HTTP requests the plugin builds */
  VIGIL_SCENARIO_WEBSOCKET = 1, /* host holds WebSocket connections, plugin builds messages */
  VIGIL_SCENARIO_CALL = 2       /* plugin performs the operation in call(); the host times it */
};
enum { VIGIL_SCENARIO_SERIAL = 1u /* host never calls this instance concurrently */ };

/* Host-owned request under construction. All setters copy; [ts] for distinct requests. */
typedef struct vigil_http_request {
  uint32_t struct_size;
  void* impl;
  vigil_status (*set_method)(struct vigil_http_request* r, vigil_str method);
  vigil_status (*set_target)(struct vigil_http_request* r, vigil_str path_and_query);
  vigil_status (*add_header)(struct vigil_http_request* r, vigil_str name, vigil_str value);
  vigil_status (*append_body)(struct vigil_http_request* r, const void* data, size_t n);
  /* Tag for per-kind latency breakdown in reports, e.g. "send_message". */
  vigil_status (*set_tag)(struct vigil_http_request* r, vigil_str tag);
} vigil_http_request;

typedef struct vigil_http_reply {
  uint32_t struct_size;
  int32_t status_code;
  const vigil_label* headers;
  size_t n_headers;
  const void* body;
  size_t body_len;
} vigil_http_reply;

typedef struct vigil_ws_message {
  uint32_t struct_size;
  int32_t binary; /* non-zero for a binary frame */
  const void* data;
  size_t len;
} vigil_ws_message;

/* "vigil.scenario/1" */
typedef struct vigil_scenario_v1 {
  vigil_lifecycle life;
  uint32_t flags;    /* VIGIL_SCENARIO_SERIAL */
  int32_t transport; /* VIGIL_SCENARIO_HTTP | _WEBSOCKET | _CALL */
  /* HTTP: [ts] builds request number seq (0-based, unique per run). */
  vigil_status (*build_http)(vigil_instance* inst, uint64_t seq, vigil_http_request* req);
  /* HTTP: [ts] checks the reply to request seq; non-OK counts the request as failed with the
   * message set through host->fail. May be NULL (2xx passes). */
  vigil_status (*check_http)(vigil_instance* inst, uint64_t seq, const vigil_http_reply* reply);
  /* WEBSOCKET: [ts] builds message seq for connection conn into out (the frame payload);
   * *binary set non-zero for a binary frame. VIGIL_E_NOT_FOUND: no message to send. */
  vigil_status (*build_ws_message)(vigil_instance* inst, uint64_t conn, uint64_t seq, vigil_writer* out,
                                   int32_t* binary);
  /* WEBSOCKET: [ts] checks a received message; VIGIL_OK completes the round trip of seq,
   * VIGIL_E_NOT_FOUND means "not the reply yet, keep reading". May be NULL. */
  vigil_status (*check_ws_message)(vigil_instance* inst, uint64_t conn, uint64_t seq, const vigil_ws_message* msg);
  /* CALL: [ts] performs operation seq itself; the host measures the wall time around it. */
  vigil_status (*call)(vigil_instance* inst, uint64_t seq, int64_t deadline_mono_ns);

  /* Since 1.2 (present when the plugin's entry declares ABI minor >= 2; may be NULL).
   * HTTP: [main] requests sent one at a time, in order, on one connection before the load
   * starts and not measured (a login, an MCP `initialize`): steps 0, 1, ... until build_setup
   * returns VIGIL_E_NOT_FOUND. check_setup sees each reply, headers included, e.g. to keep a
   * session id for build_http; a non-OK status from either ends the run with its message. */
  vigil_status (*build_setup)(vigil_instance* inst, uint32_t step, vigil_http_request* req);
  vigil_status (*check_setup)(vigil_instance* inst, uint32_t step, const vigil_http_reply* reply);
} vigil_scenario_v1;

/* ---------------------------------------------------------------------------------------------
 * The entry: the only exported symbol. Plain data, read before any plugin code runs.
 */
typedef struct vigil_plugin_entry_t {
  /* These four fields keep their offsets forever. */
  uint16_t abi_major, abi_minor; /* = VIGIL_ABI_MAJOR / VIGIL_ABI_MINOR at build time */
  uint32_t struct_size;          /* = sizeof(vigil_plugin_entry_t) at build time */
  const char* name;              /* unique plugin name, [a-z0-9_]+; "vigil." prefix reserved */

  const char* version;     /* the plugin's own version, e.g. "1.2.0" */
  const char* description; /* one line */
  /* NULL-terminated list of interface ids this library provides, e.g. {"vigil.collector/1", 0} */
  const char* const* provides;
  /* [main] Optional. Once per load, before any create(); no I/O. On failure, give the reason
   * with host->fail(NULL, code, "...") (there is no instance yet). */
  vigil_status (*init)(const vigil_host_v1* host);
  /* [main] Optional. Matched with a successful init(), after the last instance is destroyed,
   * when the host exits cleanly (not after a shutdown that abandoned a call still running). */
  void (*deinit)(void);
  /* [ts] Returns the static vtable for an interface id, or NULL. */
  const void* (*get_interface)(const char* id);
  /* Optional schema of the plugin's config keys, terminated by {NULL}. NULL = accept none. */
  const vigil_config_key* config_schema;
} vigil_plugin_entry_t;

#define VIGIL_PLUGIN_ENTRY_SYMBOL "vigil_plugin_entry"

/* Each plugin library defines this, e.g.
 *   const vigil_plugin_entry_t vigil_plugin_entry = {VIGIL_ABI_MAJOR, VIGIL_ABI_MINOR,
 *       sizeof(vigil_plugin_entry_t), "my_plugin", ...};
 * The declaration here gives it external C linkage and default visibility in C and C++. */
VIGIL_EXPORT extern const vigil_plugin_entry_t vigil_plugin_entry;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIGIL_PLUGIN_H */
