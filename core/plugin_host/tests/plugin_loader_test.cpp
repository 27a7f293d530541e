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
  CHECK(contains(q.message(), "directory " + dir.string() + " is writable by group or others"));
  fs::remove_all(dir);
}

TEST_CASE("every directory above a plugin is vetted, through symlinks, up to /", "[plugin_host]") {
  namespace fs = std::filesystem;
  const fs::path top = fs::temp_directory_path() / ("vigil-vet-" + std::to_string(::getpid()));
  const fs::path open_dir = top / "open", inner = open_dir / "inner", safe = top / "safe";
  fs::create_directories(inner);
  fs::create_directories(safe);
  fs::permissions(top, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  fs::permissions(safe, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
  fs::permissions(inner, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec);
  fs::permissions(open_dir, fs::perms::all);  // 0777 without the sticky bit: anyone can swap "inner"
  fs::copy_file(fixture("no_op"), inner / "no_op.so");
  fs::permissions(inner / "no_op.so", fs::perms::others_write | fs::perms::group_write, fs::perm_options::remove);
  // Two levels below the open directory: refused all the same, naming it.
  auto deep = load_plugin((inner / "no_op.so").string());
  REQUIRE_FALSE(deep.ok());
  CHECK(contains(deep.message(), "directory " + open_dir.string() + " is writable by group or others"));
  // A symlink from a safe directory does not launder the target's place.
  fs::create_symlink(inner / "no_op.so", safe / "no_op.so");
  auto link = load_plugin((safe / "no_op.so").string());
  REQUIRE_FALSE(link.ok());
  CHECK(contains(link.message(), "directory " + open_dir.string()));
  // A sticky world-writable directory (like /tmp) is fine above an entry owned by a trusted user.
  fs::permissions(open_dir, fs::perms::all | fs::perms::sticky_bit);
  auto sticky = load_plugin((safe / "no_op.so").string());
  INFO((sticky.ok() ? std::string() : sticky.message()));
  CHECK(sticky.ok());
  if (::geteuid() == 0) {
    // Owned by another user: refused, wherever it is (a plugin planted in /tmp by someone else).
    fs::copy_file(fixture("no_op"), open_dir / "planted.so");
    fs::permissions(open_dir / "planted.so", fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    REQUIRE(::chown((open_dir / "planted.so").c_str(), 65534, 65534) == 0);
    auto planted = load_plugin((open_dir / "planted.so").string());
    REQUIRE_FALSE(planted.ok());
    CHECK(contains(planted.message(), "is owned by uid 65534, neither root nor the agent's user"));
    REQUIRE(::chown(inner.c_str(), 65534, 65534) == 0);
    auto dir_owner = load_plugin((inner / "no_op.so").string());
    REQUIRE_FALSE(dir_owner.ok());
    CHECK(contains(dir_owner.message(), "directory " + inner.string() + " is owned by uid 65534"));
  }
  fs::remove_all(top);
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

TEST_CASE("an incompatible plugin, or a library that is no plugin, is refused without running its code",
          "[plugin_host]") {
  namespace fs = std::filesystem;
  const fs::path marker = fs::temp_directory_path() / ("vigil-marker-" + std::to_string(::getpid()));
  fs::remove(marker);
  ::setenv("VIGIL_FIXTURE_MARKER", marker.c_str(), 1);
  auto major = load_plugin(fixture("abi_major_mismatch"));
  REQUIRE_FALSE(major.ok());
  CHECK(contains(major.message(), "plugin \"abi_major_mismatch\" was built for ABI 2.0"));  // read from the file
  auto minor = load_plugin(fixture("abi_minor_newer"));
  REQUIRE_FALSE(minor.ok());
  CHECK(contains(minor.message(), "plugin \"abi_minor_newer\" was built for ABI 1."));
  auto none = load_plugin(fixture("missing_entry"));
  REQUIRE_FALSE(none.ok());
  CHECK(contains(none.message(), "no \"vigil_plugin_entry\" symbol"));
  auto text = load_plugin(build_dir() + "/CMakeCache.txt");
  REQUIRE_FALSE(text.ok());
  CHECK(contains(text.message(), "not a shared library for this machine"));
  // Looking a name up reads what each file declares; it loads none of the others.
  PluginCatalog catalog({build_dir() + "/tests/fixtures/plugins"});
  CHECK(catalog.find("no_such_plugin") == nullptr);
  CHECK(contains(catalog.not_found_message("no_such_plugin", "collector"), "not loadable"));
  CHECK(catalog.find("cpp_helper") != nullptr);
  ::unsetenv("VIGIL_FIXTURE_MARKER");
  CHECK_FALSE(fs::exists(marker));
}
