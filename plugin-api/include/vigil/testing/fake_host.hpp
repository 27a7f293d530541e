// vigil/testing/fake_host.hpp: an in-memory vigil host for plugin authors' unit tests.
//
// It serves config values you set by path, records every emitted sample, log line and failure,
// and lets a test drive a plugin's entry directly, without the agent:
//
//   vigil::testing::FakeHost host;
//   host.set("url", "http://127.0.0.1:8080/");
//   host.set_duration("timeout", std::chrono::seconds(2));
//   auto inst = host.create_collector(vigil_plugin_entry);   // REQUIRES: create succeeds
//   REQUIRE(host.collect(inst) == VIGIL_OK);
//   REQUIRE(host.find("http_probe_success") != nullptr);
//
// Not thread-safe: one test thread drives it.
#ifndef VIGIL_TESTING_FAKE_HOST_HPP
#define VIGIL_TESTING_FAKE_HOST_HPP

#include <vigil/plugin.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace vigil::testing {

struct RecordedSample {
  int32_t type = VIGIL_METRIC_GAUGE;
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  std::vector<double> bucket_bounds;
  std::vector<uint64_t> bucket_counts;
  double sum = 0;
  uint64_t count = 0;
};

class FakeHost {
 public:
  struct DurationNs {
    int64_t ns;
  };
  struct SizeBytes {
    uint64_t bytes;
  };
  using Value = std::variant<std::string, int64_t, double, bool, DurationNs, SizeBytes>;

  FakeHost() {
    table_.struct_size = sizeof(table_);
    table_.abi_major = VIGIL_ABI_MAJOR;
    table_.abi_minor = VIGIL_ABI_MINOR;
    table_.log = &log_;
    table_.fail = &fail_;
    table_.cfg_string = &cfg_string_;
    table_.cfg_int = &cfg_int_;
    table_.cfg_double = &cfg_double_;
    table_.cfg_bool = &cfg_bool_;
    table_.cfg_duration_ns = &cfg_duration_;
    table_.cfg_size_bytes = &cfg_size_;
    table_.cfg_count = &cfg_count_;
    table_.cfg_key_at = &cfg_key_at_;
    table_.emit = &emit_;
    table_.cache_get = &cache_get_;
    table_.cache_set = &cache_set_;
    table_.cache_del = &cache_del_;
    table_.monotonic_ns = &mono_;
    table_.realtime_ns = &real_;
    table_.should_stop = &should_stop_;
    table_.get_service = &get_service_;
    table_.fail_item = &fail_item_;
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // Config, by path: "key", "tls.ca_file", "targets[0].url", "paths[1]".
  void set(const std::string& path, const char* v) { config_[path] = std::string(v); }
  void set(const std::string& path, std::string v) { config_[path] = std::move(v); }
  void set(const std::string& path, int v) { config_[path] = int64_t{v}; }
  void set(const std::string& path, int64_t v) { config_[path] = v; }
  void set(const std::string& path, double v) { config_[path] = v; }
  void set(const std::string& path, bool v) { config_[path] = v; }
  void set_duration(const std::string& path, std::chrono::nanoseconds d) {
    config_[path] = DurationNs{static_cast<int64_t>(d.count())};
  }
  void set_size(const std::string& path, uint64_t bytes) { config_[path] = SizeBytes{bytes}; }

  const vigil_host_v1* table() const { return &table_; }
  vigil_ctx* ctx() { return reinterpret_cast<vigil_ctx*>(this); }

  // Creates a collector instance from an entry; returns nullptr (error in last_error()) on failure.
  vigil_instance* create_collector(const vigil_plugin_entry_t& entry) {
    collector_ = static_cast<const vigil_collector_v1*>(entry.get_interface(VIGIL_IFACE_COLLECTOR));
    if (!collector_) throw std::logic_error("plugin provides no vigil.collector/1");
    vigil_instance* inst = nullptr;
    last_error_.clear();
    if (collector_->life.create(&table_, ctx(), &inst) != VIGIL_OK) return nullptr;
    return inst;
  }
  // Runs collect once with a deadline `budget` from now; samples of the run replace the last set.
  vigil_status collect(vigil_instance* inst, std::chrono::nanoseconds budget = std::chrono::seconds(5)) {
    samples_.clear();
    last_error_.clear();
    return collector_->collect(inst, mono_(nullptr) + budget.count());
  }
  void destroy(vigil_instance* inst) {
    const vigil_lifecycle& life = collector_ ? collector_->life : notifier_->life;
    if (life.stop) life.stop(inst);
    life.destroy(inst);
  }

  // Creates a notifier instance from an entry; nullptr (error in last_error()) on failure.
  vigil_instance* create_notifier(const vigil_plugin_entry_t& entry) {
    notifier_ = static_cast<const vigil_notifier_v1*>(entry.get_interface(VIGIL_IFACE_NOTIFIER));
    if (!notifier_) throw std::logic_error("plugin provides no vigil.notifier/1");
    vigil_instance* inst = nullptr;
    last_error_.clear();
    if (notifier_->life.create(&table_, ctx(), &inst) != VIGIL_OK) return nullptr;
    if (notifier_->life.start && notifier_->life.start(inst) != VIGIL_OK) {
      notifier_->life.destroy(inst);
      return nullptr;
    }
    return inst;
  }
  // Delivers one notification; the plugin's reason for a failure is in last_error().
  vigil_status deliver(vigil_instance* inst, const vigil_notification& n,
                       std::chrono::nanoseconds budget = std::chrono::seconds(5)) {
    auto r = deliver_batch(inst, {&n}, budget);
    last_error_ = r[0].error;
    return r[0].status;
  }
  // Delivers several notifications in one call, as the agent batches them. Each result carries
  // the item's own reason (host->fail_item) or, when it gave none, the call's (host->fail).
  struct ItemResult {
    vigil_status status = VIGIL_E_INTERNAL;
    std::string error;
  };
  std::vector<ItemResult> deliver_batch(vigil_instance* inst, const std::vector<const vigil_notification*>& batch,
                                        std::chrono::nanoseconds budget = std::chrono::seconds(5)) {
    last_error_.clear();
    item_errors_.clear();
    std::vector<vigil_status> results(batch.size(), VIGIL_E_INTERNAL);
    batch_items_ = batch.size();
    const vigil_status st =
        notifier_->deliver(inst, batch.data(), batch.size(), results.data(), mono_(nullptr) + budget.count());
    batch_items_ = 0;
    std::vector<ItemResult> out(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      out[i].status = st != VIGIL_OK && results[i] == VIGIL_E_INTERNAL ? st : results[i];
      auto own = item_errors_.find(i);
      if (out[i].status != VIGIL_OK) out[i].error = own != item_errors_.end() ? own->second : last_error_;
    }
    return out;
  }
  // Makes get_service(id) return `table` (e.g. a real vigil.http/1 for integration tests).
  void provide_service(const std::string& id, const void* service) { services_[id] = service; }

  const std::vector<RecordedSample>& samples() const { return samples_; }
  // The first sample with this name whose labels include every pair in `labels`.
  const RecordedSample* find(std::string_view name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples_) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) all = false;
      }
      if (all) return &s;
    }
    return nullptr;
  }
  const std::string& last_error() const { return last_error_; }
  const std::vector<std::string>& logs() const { return logs_; }
  void request_stop(bool v) { stop_ = v; }

 private:
  static FakeHost* self(vigil_ctx* c) { return reinterpret_cast<FakeHost*>(c); }
  static std::string_view view(vigil_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : ""; }

  template <class T>
  static vigil_status get(vigil_ctx* c, const char* path, T* out) {
    auto* h = self(c);
    auto it = h->config_.find(path);
    if (it == h->config_.end()) return VIGIL_E_NOT_FOUND;
    if (const T* v = std::get_if<T>(&it->second)) {
      *out = *v;
      return VIGIL_OK;
    }
    h->last_error_ = std::string("config key '") + path + "' has another type";
    return VIGIL_E_INVALID;
  }

  static void log_(vigil_ctx* c, int32_t level, vigil_str msg) {
    if (c) self(c)->logs_.push_back(std::to_string(level) + " " + std::string(view(msg)));
  }
  static vigil_status fail_(vigil_ctx* c, vigil_status code, const char* msg) {
    if (c) self(c)->last_error_ = msg ? msg : "";
    return code;
  }
  static vigil_status fail_item_(vigil_ctx* c, size_t index, vigil_status code, const char* msg) {
    if (!c) return code;
    auto* h = self(c);
    if (index >= h->batch_items_) return msg ? fail_(c, code, msg) : code;
    h->item_errors_[index] = msg ? std::string(msg) : std::exchange(h->last_error_, std::string());
    return code;
  }
  static vigil_status cfg_string_(vigil_ctx* c, const char* path, vigil_str* out) {
    auto* h = self(c);
    auto it = h->config_.find(path);
    if (it == h->config_.end()) return VIGIL_E_NOT_FOUND;
    const auto* s = std::get_if<std::string>(&it->second);
    if (!s) return VIGIL_E_INVALID;
    *out = vigil_str{s->data(), s->size()};
    return VIGIL_OK;
  }
  static vigil_status cfg_int_(vigil_ctx* c, const char* p, int64_t* o) { return get(c, p, o); }
  static vigil_status cfg_double_(vigil_ctx* c, const char* p, double* o) {
    int64_t i = 0;
    if (get(c, p, &i) == VIGIL_OK) {
      *o = static_cast<double>(i);
      return VIGIL_OK;
    }
    return get(c, p, o);
  }
  static vigil_status cfg_bool_(vigil_ctx* c, const char* p, int32_t* o) {
    bool b = false;
    const vigil_status st = get(c, p, &b);
    if (st == VIGIL_OK) *o = b ? 1 : 0;
    return st;
  }
  static vigil_status cfg_duration_(vigil_ctx* c, const char* p, int64_t* o) {
    DurationNs d{};
    const vigil_status st = get(c, p, &d);
    if (st == VIGIL_OK) *o = d.ns;
    return st;
  }
  static vigil_status cfg_size_(vigil_ctx* c, const char* p, uint64_t* o) {
    SizeBytes s{};
    const vigil_status st = get(c, p, &s);
    if (st == VIGIL_OK) *o = s.bytes;
    return st;
  }
  // Children of `path`: "path[i]..." elements or "path.key..." keys, in sorted order.
  std::vector<std::string> children(const std::string& path) const {
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (const auto& [k, v] : config_) {
      if (k.size() <= path.size() || k.compare(0, path.size(), path) != 0) continue;
      const char sep = k[path.size()];
      if (sep != '[' && sep != '.') continue;
      const size_t start = path.size() + 1;
      const size_t end = k.find_first_of(sep == '[' ? "]" : ".[", start);
      std::string child = k.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (seen.insert(child).second) out.push_back(child);
    }
    return out;
  }
  static vigil_status cfg_count_(vigil_ctx* c, const char* p, size_t* o) {
    auto kids = self(c)->children(p);
    if (kids.empty()) return VIGIL_E_NOT_FOUND;
    *o = kids.size();
    return VIGIL_OK;
  }
  static vigil_status cfg_key_at_(vigil_ctx* c, const char* p, size_t i, vigil_str* o) {
    auto* h = self(c);
    auto kids = h->children(p);
    if (i >= kids.size()) return VIGIL_E_NOT_FOUND;
    h->key_names_.insert(kids[i]);
    const std::string& kept = *h->key_names_.find(kids[i]);
    *o = vigil_str{kept.data(), kept.size()};
    return VIGIL_OK;
  }
  static vigil_status emit_(vigil_ctx* c, const vigil_sample* s) {
    RecordedSample r;
    r.type = s->type;
    r.name = std::string(view(s->name));
    for (size_t i = 0; i < s->n_labels; ++i)
      r.labels[std::string(view(s->labels[i].name))] = std::string(view(s->labels[i].value));
    r.value = s->value;
    if (s->type == VIGIL_METRIC_HISTOGRAM) {
      r.bucket_bounds.assign(s->bucket_bounds, s->bucket_bounds + s->n_buckets);
      r.bucket_counts.assign(s->bucket_counts, s->bucket_counts + s->n_buckets);
      r.sum = s->sum;
      r.count = s->count;
    }
    self(c)->samples_.push_back(std::move(r));
    return VIGIL_OK;
  }
  static vigil_status cache_get_(vigil_ctx* c, vigil_str key, vigil_writer* out) {
    auto* h = self(c);
    auto it = h->cache_.find(std::string(view(key)));
    if (it == h->cache_.end()) return VIGIL_E_NOT_FOUND;
    return out->append(out, it->second.data(), it->second.size());
  }
  static vigil_status cache_set_(vigil_ctx* c, vigil_str key, const void* v, size_t n, int64_t) {
    self(c)->cache_[std::string(view(key))] = std::string(static_cast<const char*>(v), n);
    return VIGIL_OK;
  }
  static vigil_status cache_del_(vigil_ctx* c, vigil_str key) {
    self(c)->cache_.erase(std::string(view(key)));
    return VIGIL_OK;
  }
  static int64_t mono_(vigil_ctx*) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static int64_t real_(vigil_ctx*) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static int32_t should_stop_(vigil_ctx* c) { return self(c)->stop_ ? 1 : 0; }
  static const void* get_service_(vigil_ctx* c, const char* id) {
    auto it = self(c)->services_.find(id ? id : "");
    return it == self(c)->services_.end() ? nullptr : it->second;
  }

  vigil_host_v1 table_{};
  const vigil_collector_v1* collector_ = nullptr;
  const vigil_notifier_v1* notifier_ = nullptr;
  std::map<std::string, const void*> services_;
  std::map<std::string, Value> config_;
  std::set<std::string> key_names_;
  std::map<std::string, std::string> cache_;
  std::vector<RecordedSample> samples_;
  std::vector<std::string> logs_;
  std::string last_error_;
  size_t batch_items_ = 0;                     // during deliver_batch
  std::map<size_t, std::string> item_errors_;  // host->fail_item, by index
  bool stop_ = false;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTING_FAKE_HOST_HPP
