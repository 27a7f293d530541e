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
  std::vector<KeyInfo> out;
  if (impl_->table) collect_keys(*impl_->table, "", out, &impl_->hidden_keys);
  return out;
}

const std::string& PluginTable::fingerprint() const {
  return impl_->fingerprint;
}
const std::string& PluginTable::where() const {
  return impl_->where;
}

}  // namespace vigil::config
