// Each bundled plugin's README documents exactly the config keys its schema declares, so the
// docs can not drift from the code.
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "agent_process.h"

using namespace vigil::testing;

namespace {

// plugin name -> declared keys, from `vigil plugins`.
std::map<std::string, std::set<std::string>> declared_keys() {
  const auto r = run_command(build_dir() + "/vigil plugins");
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(r.output);
  std::string line, current;
  bool in_keys = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') {
      current = line.substr(0, line.find(' '));
      out[current];
      in_keys = false;
    } else if (line == "  config keys:") {
      in_keys = true;
    } else if (in_keys && line.rfind("    ", 0) == 0) {
      out[current].insert(line.substr(4, line.find(' ', 4) - 4));
    }
  }
  return out;
}

// Keys in the first column of the table under "## Configuration".
std::set<std::string> documented_keys(const std::string& readme) {
  std::set<std::string> out;
  std::istringstream in(read_file(readme));
  std::string line;
  bool section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) section = line == "## Configuration";
    if (!section || line.rfind("| ", 0) != 0 || line.rfind("| Key ", 0) == 0 || line.rfind("|---", 0) == 0) continue;
    out.insert(line.substr(2, line.find(' ', 2) - 2));
  }
  return out;
}

}  // namespace

TEST_CASE("every bundled plugin's README lists exactly its declared config keys", "[integration]") {
  const auto declared = declared_keys();
  size_t checked = 0;
  for (const char* kind : {"/plugins/collectors", "/plugins/notifiers", "/plugins/caches", "/plugins/scenarios"}) {
    for (const auto& dir : std::filesystem::directory_iterator(source_dir() + kind)) {
      const std::string name = dir.path().filename().string();
      INFO(name);
      REQUIRE(declared.count(name) == 1);
      CHECK(documented_keys(dir.path().string() + "/README.md") == declared.at(name));
      ++checked;
    }
  }
  CHECK(checked >= 8);
}
