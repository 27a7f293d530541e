// The core schema (what `vigil config-reference` documents) against the loader: every key it
// lists is read and type-checked, and every default it states is the one the loader uses.
#include "config/core_schema.h"

#include <catch2/catch_test_macros.hpp>
#include <set>

#include "config/toml_loader.h"

using vigil::config::core_schema;
using vigil::config::load_config_text;
using vigil::config::SectionSpec;

namespace {

vigil::config::LoadResult load(const std::string& text) {
  return load_config_text(text, "t.toml", [](const std::string&) -> std::optional<std::string> { return {}; });
}

// Where a section of the config loader's sits in a file; "" for the sections the alerting module
// reads (its own test covers them).
std::string header_of(std::string_view id) {
  static const std::set<std::string_view> plain = {"agent", "log", "http", "rules", "cache", "cache.tiered"};
  if (plain.count(id)) return "[" + std::string(id) + "]\n";
  if (id == "cache.namespace") return "[cache.defaults]\n";
  if (id == "instance") return "[[notifiers.log]]\n";
  if (id == "scenario") return "[[scenarios.http_message]]\n";
  return "";
}

bool is_table_type(std::string_view type) {
  return type == "table" || type == "array of tables" || type == "table of strings";
}

std::string problems_text(const vigil::config::LoadResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

}  // namespace

TEST_CASE("the core schema names each section once and each key once per section") {
  std::set<std::string_view> ids;
  for (const auto& s : core_schema()) {
    CHECK(ids.insert(s.id).second);
    std::set<std::string_view> keys;
    for (const auto& k : s.keys) {
      INFO(s.id << "." << k.key);
      CHECK(keys.insert(k.key).second);
      CHECK_FALSE(k.doc.empty());
      CHECK_FALSE(k.type.empty());
    }
  }
  CHECK(ids.count("alerting.route") == 1);
}

TEST_CASE("every key of the core schema is read and type-checked by the loader") {
  size_t checked = 0;
  for (const SectionSpec& s : core_schema()) {
    const std::string header = header_of(s.id);
    if (header.empty()) continue;
    for (const auto& k : s.keys) {
      // A value of the wrong type: only a loader that reads the key can object to it (the key is
      // known, so the unknown-key check is silent).
      const std::string wrong = is_table_type(k.type) ? "1" : "{ wrong = 1 }";
      const auto r = load(header + std::string(k.key) + " = " + wrong + "\n");
      INFO(s.title << " " << k.key << ":\n" << problems_text(r));
      bool named = false;
      for (const auto& p : r.problems) named = named || p.find(std::string(k.key)) != std::string::npos;
      CHECK(named);
      ++checked;
    }
  }
  CHECK(checked > 60);
}

TEST_CASE("every default the core schema states is the loader's default") {
  const vigil::config::Settings defaults;
  for (const SectionSpec& s : core_schema()) {
    const std::string header = header_of(s.id);
    if (header.empty()) continue;
    std::string text = header;
    for (const auto& k : s.keys)
      if (!k.default_value.empty()) text += std::string(k.key) + " = " + std::string(k.default_value) + "\n";
    const auto r = load(text);
    INFO(text << "\n" << problems_text(r));
    REQUIRE(r.ok());
    const auto& got = r.settings;
    if (s.id == "agent") CHECK(got.agent == defaults.agent);
    if (s.id == "log") CHECK(got.log == defaults.log);
    if (s.id == "http") CHECK(got.http == defaults.http);
    if (s.id == "rules") CHECK(got.rules == defaults.rules);
    if (s.id == "cache" || s.id == "cache.tiered") CHECK(got.cache == defaults.cache);
    if (s.id == "cache.namespace") CHECK(got.cache.defaults == defaults.cache.defaults);
    if (s.id == "instance") {
      REQUIRE(got.notifiers.size() == 1);
      CHECK_FALSE(got.notifiers[0].optional);
      CHECK(got.notifiers[0].labels.empty());
    }
    if (s.id == "scenario") {
      REQUIRE(got.scenarios.size() == 1);
      auto bench = got.scenarios[0].bench;
      bench.rate_set = false;  // records that `rate` was written, which the text does
      CHECK(bench == vigil::config::BenchSettings{});
    }
  }
}
