// Configs an attacker or a typo could write. Each was seen to crash, hang or mislead the agent;
// each must now be a clear problem with its location (or, where valid, work as documented).
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "config/bounded_read.h"
#include "config/byte_size.h"
#include "config/duration.h"
#include "config/listen_address.h"
#include "config/nesting_limit.h"
#include "config/toml_loader.h"

using vigil::config::load_config_file;
using vigil::config::load_config_text;

namespace {

vigil::config::LoadResult load(const std::string& text) {
  return load_config_text(text, "t.toml", [](const std::string&) -> std::optional<std::string> { return {}; });
}

std::string all(const vigil::config::LoadResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("a plugin name is [a-z0-9_]+: empty, path-like and odd names are refused", "[config][hostile]") {
  for (const char* name : {"\"\"", "\"../../../tmp/x\"", "\"a/b\"", "\"Sys\"", "\"x.so\"", "\"a b\""}) {
    const auto r = load(std::string("[[collectors.") + name + "]]\n");
    INFO(name);
    CHECK_FALSE(r.ok());
    CHECK(contains(all(r), "t.toml:1:"));
    CHECK(contains(all(r), "a plugin name is 1 to 64 of a-z, 0-9 and _"));
    CHECK(r.settings.collectors.empty());
  }
  CHECK(load("[[notifiers.\"../x\"]]\n[[caches.\"\"]]\n[[scenarios.\"..\"]]\n").problems.size() == 3);
}

TEST_CASE("an empty alias is a problem at its place, not a crash", "[config][hostile]") {
  const auto r = load("[[collectors.system]]\nalias = \"\"\n");
  CHECK(contains(all(r), "t.toml:2:9: \"alias\" must not be empty"));
}

TEST_CASE("keys and tables nested deeper than 64 levels are refused before parsing", "[config][hostile]") {
  const auto dotted = load(repeat("a.", 40000) + "a = 1\n");
  CHECK(contains(all(dotted), "t.toml:1:"));
  CHECK(contains(all(dotted), "nested more than 64 levels deep"));
  CHECK(contains(all(load("[" + repeat("a.", 100) + "b]\n")), "nested more than 64 levels"));
  CHECK(contains(all(load("x = " + repeat("[", 100000) + "\n")), "nested more than 64 levels"));
  CHECK(contains(all(load("x = " + repeat("{a=", 1000) + "1" + repeat("}", 1000) + "\n")), "nested more than 64"));
  // Depth split between brackets and dotted keys adds up; extra quotes closing a multi-line
  // string do not open a new one that would hide the rest of the line.
  CHECK(contains(all(load("x = " + repeat("{" + repeat("a.", 10) + "a = ", 20) + "1" + repeat("}", 20) + "\n")),
                 "nested more than 64"));
  CHECK(contains(all(load("x = { y = \"\"\"v\"\"\"\", " + repeat("a.", 300000) + "a = 1 }\n")), "nested more than 64"));
  CHECK(contains(all(load("x = { y = '''v'''', " + repeat("a.", 300000) + "a = 1 }\n")), "nested more than 64"));
  CHECK(contains(all(load("[" + repeat("a.", 40) + "a]\n" + repeat("b.", 40) + "b = 1\n")), "nested more than 64"));
  // Dots and brackets inside strings and comments are text, not nesting.
  CHECK(load("[agent]\nhostname = \"" + repeat("a.", 100) + "\" # " + repeat("[.", 100) + "\n").ok());
  CHECK(load("[agent]\nhostname = '''\n" + repeat("[a.b]\n", 100) + "'''\n").ok());
  // A real nested config stays well within the limit.
  CHECK(load("[cache.namespaces.\"plugin.a.b.c\"]\nttl = \"1s\"\n").ok());
}

TEST_CASE("listen is checked the way the server binds it", "[config][hostile]") {
  using vigil::config::parse_listen_address;
  CHECK_FALSE(parse_listen_address("127.0.0.1:99999999999").ok());
  CHECK(contains(parse_listen_address("127.0.0.1:70000").message(), "from 0 to 65535, not 70000"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:").ok());
  CHECK_FALSE(parse_listen_address("127.0.0.1").ok());
  CHECK(contains(parse_listen_address("example.com:80").message(), "is not an IP address"));
  CHECK(contains(parse_listen_address("::1:9479").message(), "needs brackets"));
  CHECK_FALSE(parse_listen_address("[127.0.0.1]:80").ok());
  CHECK_FALSE(parse_listen_address("300.1.1.1:80").ok());
  auto local = parse_listen_address("localhost:9479");
  REQUIRE(local.ok());
  CHECK(local->ip == "127.0.0.1");
  CHECK(local->port == 9479);
  auto v6 = parse_listen_address("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->ip == "::1");
  CHECK(parse_listen_address(":9479")->ip == "0.0.0.0");
  CHECK(parse_listen_address("0.0.0.0:65535")->port == 65535);
  // And `vigil check` reports it where it is written.
  CHECK(contains(all(load("[http]\nlisten = \"127.0.0.1:99999999999\"\n")), "t.toml:2:10: \"listen\""));
}

TEST_CASE("durations and sizes out of range are errors, never overflow", "[config][hostile]") {
  using vigil::config::parse_byte_size;
  using vigil::config::parse_duration;
  CHECK_FALSE(parse_duration("99999999999999999999s").ok());
  CHECK_FALSE(parse_duration("9999999999999999d").ok());
  CHECK_FALSE(parse_duration("9223372036854775808ns").ok());                              // 2^63
  CHECK(parse_duration("9223372036854775807ns").value().count() == 9223372036854775807);  // exactly, no double
  CHECK_FALSE(parse_duration("106751d23h47m16s854775808ns").ok());  // the sum overflows, not a part
  CHECK_FALSE(parse_duration(repeat("9", 400) + "s").ok());
  CHECK(parse_duration("292y").ok() == false);  // unknown unit, said so
  CHECK(parse_duration("106751d").ok());
  CHECK_FALSE(parse_byte_size("18446744073709551616").ok());
  CHECK_FALSE(parse_byte_size(repeat("9", 400) + "TiB").ok());
  CHECK(parse_byte_size("16EB").ok() == false);
  CHECK(*parse_byte_size("1TiB") == (1ull << 40));
  CHECK(contains(all(load("[agent]\ninterval = \"99999999999999999999s\"\n")), "t.toml:2:12: \"interval\""));
}

TEST_CASE("files are read only when they are regular and small enough", "[config][hostile]") {
  using vigil::config::read_bounded_file;
  CHECK(contains(read_bounded_file("/dev/zero", 1 << 20, "token file").message(),
                 "token file /dev/zero is not a regular file"));
  CHECK(contains(read_bounded_file("/nonexistent/x", 10, "rule file").message(), "cannot be opened"));
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-bounded-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto big = (dir / "big").string();
  std::ofstream(big) << std::string(2048, 'x');
  CHECK(contains(read_bounded_file(big, 1024, "token file").message(), "2048 bytes, more than the limit of 1 KiB"));
  CHECK(read_bounded_file(big, 4096, "token file").value().size() == 2048);
  const auto fifo = (dir / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(contains(read_bounded_file(fifo, 1024, "config file").message(), "not a regular file"));  // no hang
  // A config path naming a device or FIFO is refused the same way.
  CHECK(contains(all(load_config_file("/dev/zero")), "config file /dev/zero is not a regular file"));
  CHECK(contains(all(load_config_file(fifo)), "is not a regular file"));
  std::filesystem::remove_all(dir);
}
