#include "plugin_host/config_schema.h"

#include <algorithm>

#include "config/byte_size.h"
#include "config/duration.h"
#include "config/key_suggestion.h"
#include "log/secret_values.h"

namespace vigil::plugin_host {
namespace {

using Type = config::PluginTable::Type;

bool type_ok(int32_t schema_type, const config::PluginTable::Lookup& l, std::string& why) {
  switch (schema_type) {
    case VIGIL_CFG_STRING:
    case VIGIL_CFG_SECRET: return l.type == Type::string;
    case VIGIL_CFG_INT: return l.type == Type::integer;
    case VIGIL_CFG_DOUBLE: return l.type == Type::integer || l.type == Type::floating;
    case VIGIL_CFG_BOOL: return l.type == Type::boolean;
    case VIGIL_CFG_DURATION: {
      if (l.type != Type::string) return false;
      auto d = config::parse_duration(l.text);
      if (!d.ok()) why = d.message();
      return d.ok();
    }
    case VIGIL_CFG_SIZE: {
      if (l.type == Type::integer) return l.integer >= 0;
      if (l.type != Type::string) return false;
      auto s = config::parse_byte_size(l.text);
      if (!s.ok()) why = s.message();
      return s.ok();
    }
    case VIGIL_CFG_STRING_ARRAY: return l.type == Type::array;
    case VIGIL_CFG_TABLE: return l.type == Type::table;
    case VIGIL_CFG_TABLE_ARRAY: return l.type == Type::array;
    case VIGIL_CFG_STRING_MAP:
    case VIGIL_CFG_SECRET_MAP: return l.type == Type::table;
  }
  return false;
}

}  // namespace

const char* schema_type_name(int32_t type) {
  switch (type) {
    case VIGIL_CFG_STRING: return "a string";
    case VIGIL_CFG_INT: return "an integer";
    case VIGIL_CFG_DOUBLE: return "a number";
    case VIGIL_CFG_BOOL: return "a boolean";
    case VIGIL_CFG_DURATION: return "a duration such as \"10s\"";
    case VIGIL_CFG_SIZE: return "a size such as \"64MiB\"";
    case VIGIL_CFG_STRING_ARRAY: return "an array of strings";
    case VIGIL_CFG_TABLE: return "a table";
    case VIGIL_CFG_TABLE_ARRAY: return "an array of tables";
    case VIGIL_CFG_STRING_MAP: return "a table of strings";
    case VIGIL_CFG_SECRET: return "a string (a secret)";
    case VIGIL_CFG_SECRET_MAP: return "a table of strings (secrets)";
  }
  return "?";
}

Problems check_against_schema(const vigil_config_key* schema, const config::PluginTable& table,
                              const std::string& section) {
  Problems out;
  std::vector<std::string> names;
  std::vector<const vigil_config_key*> entries;
  for (const vigil_config_key* k = schema; k && k->key; ++k) {
    names.emplace_back(k->key);
    entries.push_back(k);
  }
  auto lookup = [&](const std::string& path) -> const vigil_config_key* {
    for (const auto* e : entries)
      if (path == e->key) return e;
    return nullptr;
  };
  for (const auto& key : table.keys()) {
    // Keys under a string map are free-form; array elements of a string array are checked below.
    int under_map = 0;  // 1: under a string map, 2: under a secret map
    for (const auto* e : entries) {
      const std::string p = e->key;
      if ((e->type == VIGIL_CFG_STRING_MAP || e->type == VIGIL_CFG_SECRET_MAP) && key.path.rfind(p + ".", 0) == 0)
        under_map = e->type == VIGIL_CFG_SECRET_MAP ? 2 : 1;
    }
    if (under_map) {
      if (key.type != Type::string)
        out.push_back(key.where + ": \"" + key.path + "\" in [" + section + "] must be a string");
      else if (under_map == 2)
        log::add_secret(table.find(key.path).text);
      continue;
    }
    const auto* e = lookup(key.path);
    if (!e) {
      out.push_back(key.where + ": unknown key \"" + key.path + "\" in [" + section + "]" +
                    config::did_you_mean(key.path, names) + (names.empty() ? " (this plugin takes no settings)" : ""));
      continue;
    }
    if (key.path.find("[]") != std::string::npos) continue;  // element keys: type-checked by the plugin
    auto l = table.find(key.path);
    std::string why;
    if (!type_ok(e->type, l, why)) {
      out.push_back(key.where + ": \"" + key.path + "\" in [" + section + "] must be " + schema_type_name(e->type) +
                    (why.empty() ? ", not " + std::string(config::type_name(l.type)) : ": " + why));
      continue;
    }
    // Registered as soon as the table is checked, so even a problem reported later never
    // shows the value.
    if (e->type == VIGIL_CFG_SECRET) log::add_secret(l.text);
    if (e->type == VIGIL_CFG_STRING_ARRAY) {
      for (size_t i = 0; i < l.count; ++i) {
        auto el = table.find(key.path + "[" + std::to_string(i) + "]");
        if (el.type != Type::string)
          out.push_back(el.where + ": \"" + key.path + "\" in [" + section + "] must hold strings only");
      }
    }
  }
  for (const auto* e : entries) {
    if (!e->required) continue;
    const std::string k = e->key;
    if (k.find('.') != std::string::npos || k.find('[') != std::string::npos) continue;
    if (table.find(k).type == Type::missing)
      out.push_back(table.where() + ": [" + section + "] is missing the required key \"" + k + "\" (" +
                    (e->doc ? e->doc : "") + ")");
  }
  return out;
}

}  // namespace vigil::plugin_host
