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

  // One value of the table in flat form, for a process that has no TOML tree (an isolated
  // plugin's host, core/isolation) to answer every lookup as the original does.
  struct Entry {
    std::string path;  // concrete: "targets[2].url"; "" is the table itself
    Type type = Type::missing;
    std::string text;  // strings
    int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
    size_t count = 0;               // elements of an array, keys of a table
    std::string where;              // of the value
    std::string key_where;          // of its key, when it is a table's member (what keys() reports)
    std::vector<std::string> keys;  // tables: their keys in file order
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

  // Every value (the table itself first), depth first in the order keys() reports them.
  // Host keys are left out, as find() leaves them out. Date/time values carry no value.
  std::vector<Entry> entries() const;
  // A table that answers every lookup from entries() of another. Entries the original could
  // not produce (a path twice, a member whose parent is missing) are ignored.
  static PluginTable from_entries(const std::vector<Entry>& entries, std::string where, std::string fingerprint);

  struct Impl;
  explicit PluginTable(std::shared_ptr<const Impl> impl);

 private:
  std::shared_ptr<const Impl> impl_;
};

const char* type_name(PluginTable::Type t);

}  // namespace vigil::config
