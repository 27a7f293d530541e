#include "plugin_host/plugin_loader.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <unistd.h>

#include "plugin_host/plugin_catalog.h"
#include "test_paths.h"

using namespace vigil::plugin_host;

namespace {
bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}
}  // namespace

TEST_CASE("a good C99 plugin loads and describes itself", "[plugin_host]") {
  auto p = load_plugin(fixture("no_op"));
  REQUIRE(p.ok());
  CHECK(p.value()->name == "no_op");
  CHECK(p.value()->version == "1.0.0");
  CHECK(p.value()->provides == std::vector<std::string>{"vigil.collector/1"});
}

TEST_CASE("a missing file names the path and the fix", "[plugin_host]") {
  auto p = load_plugin(build_dir() + "/tests/fixtures/plugins/nope.so");
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(), "nope.so: plugin file not found"));
}

TEST_CASE("a library without the entry symbol is refused", "[plugin_host]") {
  auto p = load_plugin(fixture("missing_entry"));
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(), "missing_entry.so: no \"vigil_plugin_entry\" symbol"));
}

TEST_CASE("an ABI major mismatch names the file and both versions", "[plugin_host]") {
  auto p = load_plugin(fixture("abi_major_mismatch"));
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(),
                 "abi_major_mismatch.so: plugin \"abi_major_mismatch\" was built for ABI 2.0, "
                 "but this vigil provides ABI 1." +
                     std::to_string(VIGIL_ABI_MINOR)));
}

TEST_CASE("a too-small entry struct_size is refused", "[plugin_host]") {
  auto p = load_plugin(fixture("small_struct_size"));
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(), "entry struct_size 16 is smaller than"));
}

TEST_CASE("a plugin writable by others is refused", "[plugin_host]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vigil-perm-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  const fs::path copy = dir / "no_op.so";
  fs::copy_file(fixture("no_op"), copy, fs::copy_options::overwrite_existing);
  fs::permissions(copy, fs::perms::others_write, fs::perm_options::add);
  auto p = load_plugin(copy.string());
  REQUIRE_FALSE(p.ok());
  CHECK(contains(p.message(), "writable by group or others"));
  CHECK(contains(p.message(), "chmod go-w"));
  fs::permissions(copy, fs::perms::others_write, fs::perm_options::remove);
  fs::permissions(dir, fs::perms::others_write, fs::perm_options::add);
  auto q = load_plugin(copy.string());
  REQUIRE_FALSE(q.ok());
  CHECK(contains(q.message(), "from directory"));
  fs::remove_all(dir);
}

TEST_CASE("the catalog indexes plugins by declared name and remembers failures", "[plugin_host]") {
  auto c = PluginCatalog::scan({build_dir() + "/tests/fixtures/plugins", "/nonexistent"});
  CHECK(c.find("no_op") != nullptr);
  CHECK(c.find("cpp_helper") != nullptr);
  CHECK(c.find("abi_major_mismatch") == nullptr);
  CHECK(c.find("abi_minor_newer") == nullptr);
  CHECK(c.failures().size() == 4);  // missing_entry, abi_major_mismatch, small_struct_size, abi_minor_newer
  const auto msg = c.not_found_message("no_opp", "collector");
  CHECK(contains(msg, "no collector plugin named \"no_opp\""));
  CHECK(contains(msg, "did you mean \"no_op\""));
  CHECK(contains(msg, "not loadable: "));
}
