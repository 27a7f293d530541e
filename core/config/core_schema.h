#pragma once
// The core's configuration schema: every section and key vigil itself reads, with type, default
// and description. The loaders take their lists of known keys from here (so a key can not be
// accepted without being described), and `vigil config-reference` renders it, with every
// plugin's declared schema, as docs/config-reference.md.
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

struct KeySpec {
  std::string_view key;
  std::string_view type;           // "string", "duration", "size", "integer", "number", "boolean",
                                   // "array of strings", "table of strings", "table", "array of tables"
  std::string_view default_value;  // a TOML literal ("10s" quoted), or empty when none or computed
  std::string_view doc;
};

struct SectionSpec {
  std::string_view id;     // "agent", "cache.tiered", "alerting.receivers[]", "instance", "scenario"
  std::string_view title;  // as written in TOML: "[agent]", "[[alerting.receivers]]"
  std::string_view doc;
  std::vector<KeySpec> keys;
};

// Every core section, in the order of the reference.
const std::vector<SectionSpec>& core_schema();

// The keys of one section (by id); throws std::out_of_range for an id the schema lacks, which is
// a programming error.
std::vector<std::string> section_keys(std::string_view id);

// `text` as a Markdown table cell: pipes escaped so they do not end the cell.
std::string markdown_cell(std::string_view text);

// Markdown tables of the core schema, one heading (of the given level) per section.
std::string core_schema_markdown(int heading_level);

}  // namespace vigil::config
