// PluginTable: one plugin instance's own TOML table, read by path, with source locations.
//
// Paths: "key", "tls.ca_file", "targets[2].url", "paths[0]". Strings returned as string_view
// stay valid as long as any copy of the PluginTable lives (copies share the immutable table).
// Thread-safe for concurrent reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

class PluginTable {
 public:
  enum class Type { missing, string, integer, floating, boolean, array, table, date_time };
  struct Lookup {
    Type type = Type::missing;
    std::string_view text;  // string values
    int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
    size_t count = 0;   // elements of an array, keys of a table
    std::string where;  // "file:line:col" of the value, or of the table when missing
  };
  struct KeyInfo {
    std::string path;  // normalized: array indices as "[]", e.g. "targets[].url"
    Type type;
    std::string where;
  };

  PluginTable();  // an empty table
  ~PluginTable();
  PluginTable(const PluginTable&);
  PluginTable& operator=(const PluginTable&);

  Lookup find(std::string_view path) const;
  // The index-th key (in file order) of the table at path, or nullopt.
  std::optional<std::string_view> key_at(std::string_view path, size_t index) const;
  // Every key at any depth, for schema checks.
  std::vector<KeyInfo> keys() const;
  // A canonical rendering of the table: equal tables have equal fingerprints.
  const std::string& fingerprint() const;
  // "file:line:col" of the table header.
  const std::string& where() const;

  struct Impl;
  explicit PluginTable(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

const char* type_name(PluginTable::Type t);

}  // namespace vigil::config
