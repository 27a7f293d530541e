#include "isolation/protocol.h"

#include "alerting/notification_json.h"
#include "isolation/sample_codec.h"

namespace vigil::isolation {
namespace {

constexpr size_t kMinLabelSize = 4 + 4;
// path, type, text, integer, floating, boolean, count, where, key_where, no keys
constexpr size_t kMinEntrySize = 4 + 1 + 4 + 8 + 8 + 1 + 8 + 4 + 4 + 4;

void encode_table(Encoder& e, const config::PluginTable& t) {
  const auto entries = t.entries();
  e.str(t.where());
  e.str(t.fingerprint());
  e.u32(static_cast<uint32_t>(entries.size()));
  for (const auto& en : entries) {
    e.str(en.path);
    e.u8(static_cast<uint8_t>(en.type));
    e.str(en.text);
    e.i64(en.integer);
    e.f64(en.floating);
    e.u8(en.boolean ? 1 : 0);
    e.u64(en.count);
    e.str(en.where);
    e.str(en.key_where);
    e.u32(static_cast<uint32_t>(en.keys.size()));
    for (const auto& k : en.keys) e.str(k);
  }
}

bool decode_table(Decoder& d, config::PluginTable& t) {
  std::string where, fingerprint;
  size_t n = 0;
  if (!d.str(where) || !d.str(fingerprint) || !d.count(n, kMinEntrySize)) return false;
  std::vector<config::PluginTable::Entry> entries(n);
  for (auto& en : entries) {
    uint8_t type = 0, boolean = 0;
    uint64_t count = 0;
    size_t keys = 0;
    if (!d.str(en.path) || !d.u8(type) || type > static_cast<uint8_t>(config::PluginTable::Type::date_time) ||
        !d.str(en.text) || !d.i64(en.integer) || !d.f64(en.floating) || !d.u8(boolean) || !d.u64(count) ||
        !d.str(en.where) || !d.str(en.key_where) || !d.count(keys, 4))
      return false;
    en.type = static_cast<config::PluginTable::Type>(type);
    en.boolean = boolean != 0;
    en.count = static_cast<size_t>(count);
    en.keys.resize(keys);
    for (auto& k : en.keys)
      if (!d.str(k)) return false;
  }
  t = config::PluginTable::from_entries(entries, std::move(where), std::move(fingerprint));
  return true;
}

}  // namespace

std::string encode(const CreateRequest& r) {
  Encoder e;
  e.str(r.plugin_path);
  e.str(r.log_level);
  e.u64(r.memory_limit);
  const auto& s = r.settings;
  e.str(s.kind);
  e.str(s.plugin);
  e.str(s.alias);
  e.i64(s.interval.count());
  e.i64(s.timeout.count());
  e.u8(s.optional ? 1 : 0);
  e.u32(static_cast<uint32_t>(s.labels.size()));
  for (const auto& [k, v] : s.labels) {
    e.str(k);
    e.str(v);
  }
  e.str(s.rate_limit);
  e.u64(s.sample_limit);
  e.str(s.where);
  e.str(s.isolation);
  e.u64(s.memory_limit);
  encode_table(e, s.table);
  return e.take();
}

bool decode(std::string_view payload, CreateRequest& r) {
  Decoder d(payload);
  auto& s = r.settings;
  int64_t interval = 0, timeout = 0;
  uint8_t optional = 0;
  size_t labels = 0;
  if (!d.str(r.plugin_path) || !d.str(r.log_level) || !d.u64(r.memory_limit) || !d.str(s.kind) || !d.str(s.plugin) ||
      !d.str(s.alias) || !d.i64(interval) || !d.i64(timeout) || !d.u8(optional) || !d.count(labels, kMinLabelSize))
    return false;
  s.interval = std::chrono::nanoseconds(interval);
  s.timeout = std::chrono::nanoseconds(timeout);
  s.optional = optional != 0;
  s.labels.resize(labels);
  for (auto& [k, v] : s.labels)
    if (!d.str(k) || !d.str(v)) return false;
  if (!d.str(s.rate_limit) || !d.u64(s.sample_limit) || !d.str(s.where) || !d.str(s.isolation) ||
      !d.u64(s.memory_limit) || !decode_table(d, s.table))
    return false;
  return d.finished();
}

std::string encode(const Reply& r) {
  Encoder e;
  e.u8(r.ok ? 1 : 0);
  e.str(r.error);
  return e.take();
}

bool decode(std::string_view payload, Reply& r) {
  Decoder d(payload);
  uint8_t ok = 0;
  if (!d.u8(ok) || !d.str(r.error)) return false;
  r.ok = ok != 0;
  return d.finished();
}

std::string encode(const CollectRequest& r) {
  Encoder e;
  e.i64(r.deadline_mono_ns);
  return e.take();
}

bool decode(std::string_view payload, CollectRequest& r) {
  Decoder d(payload);
  return d.i64(r.deadline_mono_ns) && d.finished();
}

std::string encode(const Collected& c) {
  Encoder e;
  e.u8(c.result);
  e.str(c.error);
  e.f64(c.seconds);
  e.u64(c.invalid_samples);
  e.u8(c.over_sample_limit ? 1 : 0);
  encode_samples(e, c.samples);
  return e.take();
}

bool decode(std::string_view payload, Collected& c, size_t max_samples) {
  Decoder d(payload);
  uint8_t over = 0;
  if (!d.u8(c.result) || c.result > 2 || !d.str(c.error) || !d.f64(c.seconds) || !d.u64(c.invalid_samples) ||
      !d.u8(over))
    return false;
  c.over_sample_limit = over != 0;
  return decode_samples(d, c.samples, max_samples) && d.finished();
}

std::string encode(const DeliverRequest& r) {
  Encoder e;
  e.i64(r.deadline_mono_ns);
  e.u32(static_cast<uint32_t>(r.batch.size()));
  for (const auto& n : r.batch) {
    e.str(alerting::notification_to_json(n.notification));
    e.str(n.title);
    e.str(n.body);
    e.str(n.json_body);
  }
  return e.take();
}

bool decode(std::string_view payload, DeliverRequest& r) {
  Decoder d(payload);
  size_t n = 0;
  if (!d.i64(r.deadline_mono_ns) || !d.count(n, 4 * 4)) return false;
  r.batch.resize(n);
  for (auto& item : r.batch) {
    std::string json;
    if (!d.str(json) || !d.str(item.title) || !d.str(item.body) || !d.str(item.json_body)) return false;
    auto parsed = alerting::notification_from_json(json);
    if (!parsed.ok()) return false;
    item.notification = std::move(parsed.value());
  }
  return d.finished();
}

std::string encode(const Delivered& dl) {
  Encoder e;
  e.u32(static_cast<uint32_t>(dl.results.size()));
  for (const auto& r : dl.results) {
    e.u8(static_cast<uint8_t>(r.kind));
    e.str(r.error);
    e.i64(r.retry_after.count());
  }
  encode_samples(e, dl.samples);
  return e.take();
}

bool decode(std::string_view payload, Delivered& dl, size_t max_results, size_t max_samples) {
  Decoder d(payload);
  size_t n = 0;
  if (!d.count(n, 1 + 4 + 8) || n > max_results) return false;
  dl.results.resize(n);
  for (auto& r : dl.results) {
    uint8_t kind = 0;
    int64_t retry_after_ms = 0;
    if (!d.u8(kind) || kind > static_cast<uint8_t>(plugin_host::DeliveryResult::Kind::failed) || !d.str(r.error) ||
        !d.i64(retry_after_ms) || retry_after_ms < 0)
      return false;
    r.kind = static_cast<plugin_host::DeliveryResult::Kind>(kind);
    r.retry_after = std::chrono::milliseconds(retry_after_ms);
  }
  return decode_samples(d, dl.samples, max_samples) && d.finished();
}

}  // namespace vigil::isolation
