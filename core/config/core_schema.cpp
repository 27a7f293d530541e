#include "config/core_schema.h"

#include <sstream>
#include <stdexcept>

namespace vigil::config {

const std::vector<SectionSpec>& core_schema() {
  static const std::vector<SectionSpec> schema = {
      {"agent",
       "[agent]",
       "The agent itself: collection schedule, plugin search path, state.",
       {
           {"interval", "duration", "\"10s\"", "how often each collector runs"},
           {"jitter", "duration", "\"0s\"", "each run starts after a random delay in [0, jitter)"},
           {"timeout", "duration", "\"5s\"", "per-collection deadline (never above the interval)"},
           {"max_backoff", "duration", "\"5m\"",
            "a failing collector's interval doubles per failure up to this; reset on success"},
           {"shutdown_timeout", "duration", "\"10s\"", "how long SIGTERM waits for collections in progress"},
           {"plugin_dirs", "array of strings", "[]",
            "searched before the bundled plugin directories; relative to the config file"},
           {"config_dir", "string", "",
            "directory of extra `*.toml` files holding plugin instances, read in name order; relative to the "
            "config file"},
           {"hostname", "string", "\"\"", "reserved for labels; \"\" = the machine's name"},
           {"state_dir", "string", "\"data\"",
            "durable state (rule `for` progress, the alerting database, cache snapshots, scheduled scenario "
            "reports); relative to the working directory; \"\" = keep nothing across restarts"},
           {"sample_limit", "integer", "100000",
            "samples one collection may emit (Prometheus' `sample_limit`); a collection with more fails whole: its "
            "samples are dropped, `vigil_collector_up` is 0 and `vigil_collector_sample_limit_exceeded_total` counts "
            "it"},
           {"default_isolation", "string", "\"none\"",
            "`isolation` of collectors and notifiers that do not set their own: `\"none\"` (inside the agent) or "
            "`\"process\"` (docs/isolation.md)"},
       }},
      {"log",
       "[log]",
       "vigil's own log. Values of fields named like password, token, secret, key or authorization are "
       "written as `[redacted]`.",
       {
           {"level", "string", "\"info\"", "trace, debug, info, warn or error; changed by a reload"},
           {"format", "string", "\"json\"", "json (one object a line: ts, level, component, msg, fields) or text"},
           {"file", "string", "\"\"", "log file, rotated by size; \"\" = stderr"},
           {"max_size", "size", "\"10MiB\"", "rotate the file at this size"},
           {"max_files", "integer", "5", "rotated files kept"},
       }},
      {"http",
       "[http]",
       "The HTTP server: /metrics, /healthz, /readyz and the JSON API.",
       {
           {"listen", "string", "\"127.0.0.1:9479\"", "HOST:PORT; port 0 picks a free port (logged as `listening`)"},
           {"max_connections", "integer", "512",
            "connections above this are closed at once (`vigil_http_rejected_connections_total`)"},
           {"max_connections_per_client", "integer", "64",
            "the same limit per client IP address, so one client cannot crowd out the others (Prometheus)"},
           {"api_workers", "integer", "4",
            "threads answering API requests; /metrics and the health probes have threads of their own"},
           {"api_queue", "integer", "256",
            "API requests waiting for a worker; more are answered 503 with `Retry-After` "
            "(`vigil_http_requests_total{code=\"503\"}`)"},
           {"read_timeout", "duration", "\"10s\"",
            "deadline to receive one whole request, and the longest keep-alive wait"},
           {"max_header_size", "size", "\"8KiB\"", "larger request headers get 431"},
           {"max_body_size", "size", "\"1MiB\"", "larger request bodies get 413"},
           {"api_token", "string", "\"\"",
            "a bearer token with every scope, named \"api\" (without it or `[[http.tokens]]`, changes are refused); "
            "use `${VIGIL_API_TOKEN}`"},
           {"api_token_file", "string", "", "or read the token from the first line of this file"},
           {"read_requires_token", "boolean", "false",
            "reads need a token with the `read` scope too (or the user or client certificate the web config "
            "authenticates)"},
           {"tokens", "array of tables", "", "`[[http.tokens]]`: named tokens, each with its scopes"},
           {"web_config_file", "string", "\"\"",
            "Prometheus exporters' web config (`--web.config.file`): TLS, client certificates, basic-auth users; "
            "applied again on SIGHUP and when it or its certificate files change (docs/operations.md)"},
           {"metrics_snapshot", "duration", "\"1s\"",
            "`/metrics` answers from a rendering at most this old, so a burst of scrapes renders once; \"0s\" "
            "renders every scrape"},
       }},
      {"http.tokens[]",
       "[[http.tokens]]",
       "A named bearer token for the API (`Authorization: Bearer TOKEN`) and what it may do. Changes are "
       "counted in `vigil_api_mutations_total` under `principal=\"token:NAME\"`, and the history names it.",
       {
           {"name", "string", "", "required: letters a-z, digits, `_`, `.` or `-`; unique"},
           {"token", "string", "", "the token; use `${VAR}`, or:"},
           {"token_file", "string", "",
            "read the token from the first line of this file (owned by root or vigil's user, not readable by others)"},
           {"scopes", "array of strings", "",
            "required, some of: `read` (GET routes, when `read_requires_token`), `write` (silences, acks, test "
            "notifications, reload), `ingest` (POST /api/v2/alerts)"},
       }},
      {"rules",
       "[rules]",
       "Alerting and recording rules in Prometheus' rule-file format (docs/alerting.md).",
       {
           {"files", "array of strings", "[]",
            "globs of rule files (YAML, or TOML for names ending in `.toml`), relative to the config file; a glob "
            "matching nothing is an error"},
           {"evaluation_interval", "duration", "\"30s\"", "interval of groups that set none"},
           {"lookback", "duration", "\"5m\"", "how far instant selectors look back (Prometheus' lookback delta)"},
           {"max_series", "integer", "100000", "series the recent-sample store holds; new ones beyond are dropped"},
           {"max_bytes", "size", "\"64MiB\"", "bytes the recent-sample store holds (16 bytes a sample plus labels)"},
           {"external_labels", "table of strings", "{}", "`$externalLabels` in templates"},
           {"for_grace_period", "duration", "\"10m\"",
            "after a restart, a restored alert fires no sooner than this (Prometheus' "
            "`--rules.alert.for-grace-period`)"},
           {"for_outage_tolerance", "duration", "\"1h\"",
            "alerts last seen longer ago than this are not restored (`--rules.alert.for-outage-tolerance`)"},
       }},
      {"instance",
       "[[collectors.NAME]], [[notifiers.NAME]], [[caches.NAME]], [[scenarios.NAME]]",
       "One instance of the plugin NAME; repeat the table for several. These keys are the host's and work for "
       "every instance; all other keys belong to the plugin and are checked against its schema (below).",
       {
           {"alias", "string", "", "distinguishes instances in logs, metrics and the API; default NAME, then NAME-2 …"},
           {"interval", "duration", "", "this instance's interval; default `[agent] interval`"},
           {"timeout", "duration", "", "this instance's deadline; default `[agent] timeout`"},
           {"optional", "boolean", "false",
            "a failure to load, create or start is logged and skipped instead of stopping the agent"},
           {"labels", "table of strings", "{}", "added to every sample of the instance (the plugin's own labels win)"},
           {"rate_limit", "string", "", "notifiers only: paces deliveries, e.g. \"20/m\", \"1/s\", \"600/h\""},
           {"sample_limit", "integer", "",
            "collectors only: this instance's sample limit; default `[agent] sample_limit`"},
           {"isolation", "string", "",
            "collectors and notifiers: `\"none\"` runs the plugin inside the agent, `\"process\"` in a "
            "`vigil-plugin-host` process of its own, so a crash or hang in it never reaches the agent "
            "(docs/isolation.md); default "
            "`[agent] default_isolation`"},
           {"memory_limit", "size", "",
            "isolated collectors and notifiers only: the host process's address space (RLIMIT_AS), e.g. \"512MiB\"; an "
            "allocation past it fails inside the plugin"},
       }},
      {"scenario",
       "[[scenarios.NAME]]",
       "Host keys of a benchmark scenario, for `vigil bench run ALIAS` and for scheduled runs inside `vigil run` "
       "(docs/benchmarking.md).",
       {
           {"target", "string", "",
            "`http[s]://HOST:PORT[/PATH]`, or `ws[s]://...` for WebSocket scenarios; not used by call scenarios"},
           {"vus", "integer", "10", "connections (or worker threads for call scenarios)"},
           {"rate", "number", "0", "requests a second, the open model; 0 = the closed model"},
           {"duration", "duration", "\"10s\"", "how long to measure"},
           {"warmup", "duration", "\"0s\"", "run this long first without measuring"},
           {"threads", "integer", "1", "load generator threads"},
           {"request_timeout", "duration", "\"10s\"", "per request"},
           {"stages", "array of tables", "",
            "staged ramps replacing `duration`: `[{ duration = \"30s\", target = 100 }, ...]`; targets are "
            "connections, or requests a second when `rate` is set"},
           {"thresholds", "array of strings", "[]",
            "e.g. `[\"p95 < 200ms\", \"error_rate < 0.01\"]`; a failure exits 99"},
           {"abort_on_fail", "boolean", "false",
            "a threshold failing during the run ends it (judged each second from 5 s of measured load on)"},
           {"goals", "table of strings", "{}", "for `vigil bench compare`, e.g. `{ rps = \"+50%\", p95 = \"-30%\" }`"},
           {"schedule", "duration", "", "`vigil run` also runs the scenario this often, with its figures on /metrics"},
           {"tls_ca_file", "string", "", "https/wss: PEM certificates trusted besides the system's"},
           {"tls_skip_verify", "boolean", "false", "https/wss: do not check the server's certificate"},
       }},
      {"cache",
       "[cache]",
       "Which `[[caches.NAME]]` instance serves plugins' cache calls and vigil's own, and per-namespace options "
       "(docs/caching.md).",
       {
           {"backend", "string", "",
            "alias of the `[[caches.NAME]]` instance to use, or \"tiered\"; default the first"},
           {"tiered", "table", "", "`[cache.tiered]`: the two tiers when `backend = \"tiered\"`"},
           {"defaults", "table", "", "`[cache.defaults]`: options of namespaces not listed"},
           {"namespaces", "table", "", "`[cache.namespaces.\"NAME\"]`: options of one namespace"},
       }},
      {"cache.tiered",
       "[cache.tiered]",
       "An in-process L1 in front of a shared L2, kept coherent with what other replicas write.",
       {
           {"l1", "string", "\"memory\"", "alias of the in-process instance"},
           {"l2", "string", "\"redis\"", "alias of the shared instance (it must report changes: `track_changes`)"},
           {"l1_ttl", "duration", "\"1m\"", "the longest an L1 copy lives"},
       }},
      {"cache.namespace",
       "[cache.defaults], [cache.namespaces.\"NAME\"]",
       "Options of cache namespaces; a plugin instance's namespace is `plugin.<plugin>.<alias>`.",
       {
           {"ttl", "duration", "\"5m\"", "how long an entry lives"},
           {"negative_ttl", "duration", "\"30s\"", "how long a cached \"not found\" lives; \"0s\" = none"},
           {"ttl_jitter", "number", "0.1", "each TTL varies by this fraction, so entries do not expire together"},
           {"early_refresh", "boolean", "false", "refresh hot entries before they expire (XFetch)"},
           {"load_wait", "duration", "\"5s\"", "how long concurrent misses wait for the one load in progress"},
           {"max_key_size", "size", "\"1KiB\"", "longer keys are refused"},
           {"max_value_size", "size", "\"1MiB\"", "larger values are refused"},
           {"snapshot", "boolean", "false",
            "written to `<state_dir>/cache/<namespace>.snapshot` at stop and loaded at start"},
       }},
      {"alerting",
       "[alerting]",
       "Routing, receivers, inhibition, time intervals and delivery (docs/notifications.md).",
       {
           {"external_url", "string", "\"\"", "vigil's URL as people reach it, for links in messages"},
           {"resolve_timeout", "duration", "\"5m\"", "end of alerts posted without `endsAt`"},
           {"notify_resolved_when_silenced", "boolean", "true",
            "send the resolution of a notified alert even while it is silenced or inhibited"},
           {"retry_initial_interval", "duration", "\"1s\"", "first retry delay; doubles per attempt, ±20 % jitter"},
           {"retry_max_interval", "duration", "\"5m\"", "longest retry delay"},
           {"retry_max_age", "duration", "\"24h\"", "then a notification is given up (a dead letter)"},
           {"delivery_timeout", "duration", "\"30s\"", "per delivery attempt"},
           {"history_retention", "duration", "\"720h\"", "history kept this long"},
           {"history_max_events", "integer", "1000000", "and at most this many events"},
           {"alert_limit", "integer", "200000",
            "alerts held at once; posts beyond it get 429 (rules' alerts always count)"},
           {"alerts_per_request_limit", "integer", "10000", "alerts in one POST /api/v2/alerts"},
           {"label_limit", "integer", "128", "labels of one posted alert"},
           {"label_name_length_limit", "integer", "1024", "bytes of a posted label name"},
           {"label_value_length_limit", "integer", "16384", "bytes of a posted label value"},
           {"annotations_size_limit", "integer", "65536", "bytes of one posted alert's annotations"},
           {"replica_dedup", "boolean", "false",
            "replicas sharing one cache claim each notification there, so at most one sends it"},
           {"route", "table", "", "`[alerting.route]`, the routing tree (below)"},
           {"receivers", "array of tables", "",
            "`[[alerting.receivers]]`; default one \"default\" with every notifier"},
           {"inhibit_rules", "array of tables", "", "`[[alerting.inhibit_rules]]`"},
           {"time_intervals", "array of tables", "", "`[[alerting.time_intervals]]`"},
       }},
      {"alerting.route",
       "[alerting.route], [[alerting.route.routes]] …",
       "The routing tree, as Alertmanager's: a child route inherits what it does not set.",
       {
           {"receiver", "string", "", "receiver name; default (root) the first receiver"},
           {"group_by", "array of strings", "[\"alertname\"]",
            "labels that group alerts into one notification; [\"...\"] = all"},
           {"group_wait", "duration", "\"30s\"", "wait before the first notification of a new group"},
           {"group_interval", "duration", "\"5m\"", "wait before notifying a group's changes"},
           {"repeat_interval", "duration", "\"4h\"", "resend an unchanged firing group this often"},
           {"matchers", "array of strings", "[]",
            "Alertmanager matchers, e.g. `[\"severity=~\\\"critical|page\\\"\"]`"},
           {"continue", "boolean", "false", "keep matching later siblings after this route matched"},
           {"routes", "array of tables", "", "child routes"},
           {"mute_time_intervals", "array of strings", "[]", "names of time intervals during which nothing is sent"},
           {"active_time_intervals", "array of strings", "[]", "names of the only time intervals in which it sends"},
       }},
      {"alerting.receivers[]",
       "[[alerting.receivers]]",
       "Where notifications go: one or more notifier instances.",
       {
           {"name", "string", "", "required; routes name it"},
           {"notifiers", "array of strings", "",
            "aliases of `[[notifiers.NAME]]` instances; default all; `[]` sends nothing"},
           {"send_resolved", "boolean", "true", "also notify when the group's alerts resolve"},
           {"title_template", "string", "", "Mustache template of the title (docs/notifications.md)"},
           {"body_template", "string", "", "Mustache template of the body"},
           {"max_alerts", "integer", "0", "alerts listed per notification (0 = all; the rest are counted)"},
       }},
      {"alerting.inhibit_rules[]",
       "[[alerting.inhibit_rules]]",
       "While an alert matching the source matchers fires, alerts matching the target matchers with equal values "
       "of `equal` are not sent.",
       {
           {"name", "string", "", "shown as \"inhibited by\""},
           {"source_matchers", "array of strings", "", "matchers of the inhibiting alert"},
           {"target_matchers", "array of strings", "", "matchers of the inhibited alerts"},
           {"equal", "array of strings", "[]", "labels whose values must be the same in both"},
       }},
      {"alerting.time_intervals[]",
       "[[alerting.time_intervals]]",
       "Named time intervals for routes' mute_time_intervals and active_time_intervals.",
       {
           {"name", "string", "", "required"},
           {"time_intervals", "array of tables", "", "`[[alerting.time_intervals.time_intervals]]`: when it holds"},
       }},
      {"alerting.time_intervals[].time_intervals[]",
       "[[alerting.time_intervals.time_intervals]]",
       "One period; all fields given must match (Alertmanager's semantics).",
       {
           {"times", "array of tables", "", "`[{ start_time = \"09:00\", end_time = \"17:00\" }]`"},
           {"weekdays", "array of strings", "", "e.g. `[\"monday:friday\"]`"},
           {"days_of_month", "array of strings", "", "e.g. `[\"1:5\", \"-1\"]`"},
           {"months", "array of strings", "", "e.g. `[\"january:march\"]`"},
           {"years", "array of strings", "", "e.g. `[\"2026:2027\"]`"},
           {"location", "string", "\"UTC\"", "IANA time zone of the times"},
       }},
      {"alerting.time_intervals[].time_intervals[].times[]",
       "times = [{ … }]",
       "A time range within a day.",
       {
           {"start_time", "string", "", "\"HH:MM\", inclusive"},
           {"end_time", "string", "", "\"HH:MM\", exclusive"},
       }},
  };
  return schema;
}

std::vector<std::string> section_keys(std::string_view id) {
  for (const auto& s : core_schema()) {
    if (s.id != id) continue;
    std::vector<std::string> out;
    out.reserve(s.keys.size());
    for (const auto& k : s.keys) out.emplace_back(k.key);
    return out;
  }
  throw std::out_of_range("no config section \"" + std::string(id) + "\" in the core schema");
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string core_schema_markdown(int heading_level) {
  std::ostringstream os;
  const std::string hashes(static_cast<size_t>(heading_level), '#');
  for (const auto& s : core_schema()) {
    os << hashes << " " << s.title << "\n\n" << s.doc << "\n\n";
    os << "| Key | Type | Default | Description |\n|---|---|---|---|\n";
    for (const auto& k : s.keys) {
      os << "| " << k.key << " | " << k.type << " | "
         << (k.default_value.empty() ? std::string("—") : "`" + markdown_cell(k.default_value) + "`") << " | "
         << markdown_cell(k.doc) << " |\n";
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace vigil::config
