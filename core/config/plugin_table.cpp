#include "config/plugin_table.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "config/toml_node_location.h"

namespace vigil::config {
namespace {

const std::shared_ptr<const PluginTable::Impl>& empty_impl() {
  static const auto impl = std::make_shared<const PluginTable::Impl>();
  return impl;
}

// Walks "a.b[2].c" from the root; nullptr when any step is missing.
const toml::node* walk(const PluginTable::Impl& impl, std::string_view path) {
  if (!impl.table) return nullptr;
  const std::string_view first = path.substr(0, path.find_first_of(".["));
  for (const auto& h : impl.hidden_keys)
    if (first == h) return nullptr;
  const toml::node* cur = impl.table;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos || !cur->is_array()) return nullptr;
      size_t idx = 0;
      for (size_t k = i + 1; k < close; ++k) {
        if (!std::isdigit(static_cast<unsigned char>(path[k]))) return nullptr;
        idx = idx * 10 + static_cast<size_t>(path[k] - '0');
      }
      cur = cur->as_array()->get(idx);
      if (!cur) return nullptr;
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    const size_t end = path.find_first_of(".[", i);
    const std::string_view key = path.substr(i, end == std::string_view::npos ? path.npos : end - i);
    if (!cur->is_table()) return nullptr;
    cur = cur->as_table()->get(key);
    if (!cur) return nullptr;
    i = end == std::string_view::npos ? path.size() : end;
    if (i < path.size() && path[i] == '.') ++i;
  }
  return cur;
}

PluginTable::Type type_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return PluginTable::Type::string;
    case toml::node_type::integer: return PluginTable::Type::integer;
    case toml::node_type::floating_point: return PluginTable::Type::floating;
    case toml::node_type::boolean: return PluginTable::Type::boolean;
    case toml::node_type::array: return PluginTable::Type::array;
    case toml::node_type::table: return PluginTable::Type::table;
    default: return PluginTable::Type::date_time;
  }
}

void collect_keys(const toml::node& n, const std::string& prefix, std::vector<PluginTable::KeyInfo>& out,
                  const std::vector<std::string>* hidden = nullptr) {
  if (const auto* t = n.as_table()) {
    for (const auto& [k, v] : *t) {
      if (hidden && std::find(hidden->begin(), hidden->end(), std::string(k.str())) != hidden->end()) continue;
      const std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      out.push_back({path, type_of(v), location_of(k.source())});
      collect_keys(v, path, out);
    }
  } else if (const auto* a = n.as_array()) {
    for (const auto& v : *a) collect_keys(v, prefix + "[]", out);
  }
}

// Appends n (at `path`, its key at `key_where` when it is a table's member) and everything
// below it, in the order collect_keys() visits them.
void flatten(const toml::node& n, const std::string& path, const std::string& key_where,
             std::vector<PluginTable::Entry>& out, const std::vector<std::string>* hidden = nullptr) {
  auto visible = [&](std::string_view k) {
    return !hidden || std::find(hidden->begin(), hidden->end(), k) == hidden->end();
  };
  PluginTable::Entry e;
  e.path = path;
  e.type = type_of(n);
  e.where = location_of(n);
  e.key_where = key_where;
  if (const auto* s = n.as_string()) e.text = s->get();
  if (const auto* i = n.as_integer()) e.integer = i->get();
  if (const auto* f = n.as_floating_point()) e.floating = f->get();
  if (const auto* b = n.as_boolean()) e.boolean = b->get();
  if (const auto* a = n.as_array()) e.count = a->size();
  if (const auto* t = n.as_table()) {
    std::vector<std::pair<toml::source_position, std::string>> ks;
    for (const auto& [k, v] : *t)
      if (visible(k.str())) ks.emplace_back(v.source().begin, std::string(k.str()));
    std::stable_sort(ks.begin(), ks.end(), [](const auto& a, const auto& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
    });
    for (auto& k : ks) e.keys.push_back(std::move(k.second));
    e.count = e.keys.size();
  }
  out.push_back(std::move(e));
  if (const auto* t = n.as_table()) {
    for (const auto& [k, v] : *t) {
      if (!visible(k.str())) continue;
      flatten(v, path.empty() ? std::string(k.str()) : path + "." + std::string(k.str()), location_of(k.source()), out);
    }
  } else if (const auto* a = n.as_array()) {
    for (size_t i = 0; i < a->size(); ++i) flatten(*a->get(i), path + "[" + std::to_string(i) + "]", "", out);
  }
}

// "targets[2].url" -> "targets[].url", as keys() reports paths.
std::string normalized_path(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

}  // namespace

const char* type_name(PluginTable::Type t) {
  switch (t) {
    case PluginTable::Type::missing: return "nothing";
    case PluginTable::Type::string: return "a string";
    case PluginTable::Type::integer: return "an integer";
    case PluginTable::Type::floating: return "a float";
    case PluginTable::Type::boolean: return "a boolean";
    case PluginTable::Type::array: return "an array";
    case PluginTable::Type::table: return "a table";
    case PluginTable::Type::date_time: return "a date/time";
  }
  return "?";
}

PluginTable::PluginTable() : impl_(empty_impl()) {}
PluginTable::PluginTable(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
PluginTable::~PluginTable() = default;
PluginTable::PluginTable(const PluginTable&) = default;
PluginTable& PluginTable::operator=(const PluginTable&) = default;

PluginTable::Lookup PluginTable::find(std::string_view path) const {
  Lookup out;
  if (!impl_->flat.empty()) {
    const auto it = impl_->flat.find(path);
    if (it == impl_->flat.end()) {
      out.where = impl_->where;
      return out;
    }
    const Entry& e = it->second;
    out.type = e.type;
    out.text = e.text;
    out.integer = e.integer;
    out.floating = e.floating;
    out.boolean = e.boolean;
    out.count = e.count;
    out.where = e.where;
    return out;
  }
  const toml::node* n = walk(*impl_, path);
  if (!n) {
    out.where = impl_->where;
    return out;
  }
  out.type = type_of(*n);
  out.where = location_of(*n);
  switch (out.type) {
    case Type::string: out.text = n->as_string()->get(); break;
    case Type::integer: out.integer = n->as_integer()->get(); break;
    case Type::floating: out.floating = n->as_floating_point()->get(); break;
    case Type::boolean: out.boolean = n->as_boolean()->get(); break;
    case Type::array: out.count = n->as_array()->size(); break;
    case Type::table: out.count = n->as_table()->size(); break;
    default: break;
  }
  return out;
}

std::optional<std::string_view> PluginTable::key_at(std::string_view path, size_t index) const {
  if (!impl_->flat.empty()) {
    const auto it = impl_->flat.find(path);
    if (it == impl_->flat.end() || it->second.type != Type::table || index >= it->second.keys.size())
      return std::nullopt;
    return it->second.keys[index];
  }
  const toml::node* n = path.empty() ? impl_->table : walk(*impl_, path);
  if (!n || !n->is_table()) return std::nullopt;
  // toml::table iterates in key order; "file order" is approximated by source position.
  std::vector<std::pair<toml::source_position, std::string_view>> ks;
  for (const auto& [k, v] : *n->as_table()) ks.emplace_back(v.source().begin, k.str());
  std::sort(ks.begin(), ks.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
  });
  if (index >= ks.size()) return std::nullopt;
  return ks[index].second;
}

std::vector<PluginTable::KeyInfo> PluginTable::keys() const {
  if (!impl_->flat.empty()) return impl_->flat_keys;
  std::vector<KeyInfo> out;
  if (impl_->table) collect_keys(*impl_->table, "", out, &impl_->hidden_keys);
  return out;
}

std::vector<PluginTable::Entry> PluginTable::entries() const {
  std::vector<Entry> out;
  if (!impl_->flat.empty()) {
    // In the order they were given: the map's order is not keys()' order.
    for (const auto& k : impl_->flat_order) out.push_back(impl_->flat.find(k)->second);
    return out;
  }
  if (impl_->table) flatten(*impl_->table, "", "", out, &impl_->hidden_keys);
  return out;
}

PluginTable PluginTable::from_entries(const std::vector<Entry>& entries, std::string where, std::string fingerprint) {
  auto impl = std::make_shared<Impl>();
  impl->where = std::move(where);
  impl->fingerprint = std::move(fingerprint);
  for (const auto& e : entries) {
    if (!impl->flat.emplace(e.path, e).second) continue;
    impl->flat_order.push_back(e.path);
    if (!e.key_where.empty()) impl->flat_keys.push_back({normalized_path(e.path), e.type, e.key_where});
  }
  if (impl->flat.empty()) {  // an empty table: answers as the empty default does
    Entry root;
    root.type = Type::table;
    root.where = impl->where;
    impl->flat.emplace("", root);
    impl->flat_order.push_back("");
  }
  return PluginTable(std::move(impl));
}

const std::string& PluginTable::fingerprint() const {
  return impl_->fingerprint;
}
const std::string& PluginTable::where() const {
  return impl_->where;
}

}  // namespace vigil::config
