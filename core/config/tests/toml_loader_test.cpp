#include "config/toml_loader.h"

#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using namespace std::chrono_literals;
using vigil::config::load_config_file;
using vigil::config::load_config_text;
using vigil::config::PluginTable;

namespace {

vigil::config::EnvLookup no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

vigil::config::LoadResult load(const std::string& text) {
  return load_config_text(text, "t.toml", no_env());
}

bool has_problem(const vigil::config::LoadResult& r, const std::string& needle) {
  for (const auto& p : r.problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

std::string all(const vigil::config::LoadResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

}  // namespace

TEST_CASE("an empty config gives the documented defaults", "[config]") {
  auto r = load("");
  REQUIRE(r.ok());
  CHECK(r.settings.agent.interval == 10s);
  CHECK(r.settings.http.listen == "127.0.0.1:9479");
  CHECK(r.settings.log.format == "json");
  CHECK(r.settings.collectors.empty());
}

TEST_CASE("a full config is read into typed settings", "[config]") {
  auto r = load(R"(
[agent]
interval = "15s"
jitter = "1s"
timeout = "3s"
max_backoff = "2m"
plugin_dirs = ["/opt/vigil/plugins"]

[log]
level = "debug"
format = "text"
max_size = "1MiB"

[http]
listen = "127.0.0.1:0"
max_connections = 64
max_header_size = 4096

[[collectors.system]]

[[collectors.http_probe]]
url = "http://127.0.0.1:8080/health"
interval = "5s"
labels = { service = "chat" }

[[collectors.http_probe]]
alias = "api"
url = "http://127.0.0.1:8081/"
optional = true
[collectors.http_probe.headers]
Authorization = "Bearer x"
)");
  INFO(all(r));
  REQUIRE(r.ok());
  const auto& s = r.settings;
  CHECK(s.agent.interval == 15s);
  CHECK(s.agent.jitter == 1s);
  CHECK(s.agent.plugin_dirs == std::vector<std::string>{"/opt/vigil/plugins"});
  CHECK(s.log.level == "debug");
  CHECK(s.log.max_size == 1u << 20);
  CHECK(s.http.max_connections == 64);
  CHECK(s.http.max_header_bytes == 4096);
  REQUIRE(s.collectors.size() == 3);
  auto by_alias = [&](const std::string& a) {
    for (const auto& c : s.collectors)
      if (c.alias == a) return &c;
    FAIL("no instance " << a);
    return &s.collectors[0];
  };
  const auto* probe1 = by_alias("http_probe");
  const auto* probe2 = by_alias("api");
  CHECK(probe1->alias == "http_probe");
  CHECK(probe1->interval == 5s);
  CHECK(probe1->labels == std::vector<std::pair<std::string, std::string>>{{"service", "chat"}});
  // Host keys are removed from the plugin's own table; plugin keys stay, nested ones too.
  CHECK(probe1->table.find("url").text == "http://127.0.0.1:8080/health");
  CHECK(probe1->table.find("interval").type == PluginTable::Type::missing);
  CHECK(probe2->alias == "api");
  CHECK(probe2->optional);
  CHECK(probe2->table.find("headers.Authorization").text == "Bearer x");
  CHECK(probe2->table.find("url").where == "t.toml:28:7");
}

TEST_CASE("malformed TOML names file, line and column", "[config]") {
  auto r = load("[agent]\ninterval = \"10s\nfoo");
  REQUIRE_FALSE(r.ok());
  CHECK(r.problems[0].rfind("t.toml:2:", 0) == 0);
  CHECK(has_problem(r, "invalid TOML"));
}

TEST_CASE("unknown keys are errors with a did-you-mean", "[config]") {
  auto r = load("[agent]\nintervl = \"10s\"\n[htpp]\nlisten = \"x\"\n[log]\nformat = \"jsn\"\n");
  CHECK(has_problem(r, "t.toml:2:1: unknown key \"intervl\" in [agent] (did you mean \"interval\"?)"));
  CHECK(has_problem(r, "unknown section \"htpp\" (did you mean \"http\"?)"));
  CHECK(has_problem(r, "\"format\" is \"jsn\"; use one of json, text (did you mean \"json\"?)"));
}

TEST_CASE("named API tokens: names, secrets and scopes are checked where they are written", "[config]") {
  auto good = load(R"([http]
read_requires_token = true
[[http.tokens]]
name = "ci"
token = "s3cret"
scopes = ["ingest"]
[[http.tokens]]
name = "ops.team-1"
token_file = "/etc/vigil/ops.token"
scopes = ["read", "write"]
)");
  REQUIRE(good.ok());
  REQUIRE(good.settings.http.tokens.size() == 2);
  CHECK(good.settings.http.tokens[0].name == "ci");
  CHECK(good.settings.http.tokens[0].scopes == std::vector<std::string>{"ingest"});
  CHECK(good.settings.http.tokens[1].token_file == "/etc/vigil/ops.token");
  CHECK(good.settings.http.tokens[1].where == "t.toml:7:1");

  auto bad = load(R"([http]
api_token = "x"
[[http.tokens]]
name = "../root"
token = "a"
scopes = ["read"]
[[http.tokens]]
name = "api"
token = "b"
scopes = ["write"]
[[http.tokens]]
name = "twice"
token = "c"
token_file = "/f"
scopes = ["admin"]
[[http.tokens]]
name = "twice"
scopes = []
[[http.tokens]]
name = "x"
token = "d"
)");
  CHECK(has_problem(bad, "t.toml:4:8: [[http.tokens]] needs a \"name\" of at most 64 letters a-z"));
  CHECK(has_problem(bad, "t.toml:8:8: the name \"api\" is [http] api_token's"));
  CHECK(has_problem(bad,
                    "[[http.tokens]] \"twice\" needs either \"token\" (e.g. \"${CI_TOKEN}\") or "
                    "\"token_file\", not both"));
  CHECK(has_problem(bad, "unknown scope \"admin\"; use \"read\", \"write\" or \"ingest\""));
  CHECK(has_problem(bad, "t.toml:17:8: a token named \"twice\" is already defined"));
  CHECK(has_problem(bad, "not neither"));
  CHECK(has_problem(bad, "[[http.tokens]] \"x\" needs \"scopes\""));
  CHECK(has_problem(load("[http]\ntokens = [\"a\"]\n"), "\"tokens\" in [http] must be tables"));
  CHECK(has_problem(load("[[http.tokens]]\nname = \"a\"\ntoken = \"b\"\nscopes = [\"read\"]\nscope = 1\n"),
                    "unknown key \"scope\" in [http.tokens] (did you mean \"scopes\"?)"));
}

TEST_CASE("sample_limit: [agent]'s is every collector's unless the instance sets its own", "[config]") {
  auto r = load("[agent]\nsample_limit = 500\n[[collectors.system]]\n[[collectors.process]]\nsample_limit = 20\n");
  REQUIRE(r.ok());
  REQUIRE(r.settings.collectors.size() == 2);
  for (const auto& c : r.settings.collectors) CHECK(c.sample_limit == (c.plugin == "system" ? 500 : 20));
  CHECK(load("[[collectors.system]]\n").settings.collectors[0].sample_limit == 100000);
  CHECK(has_problem(load("[[notifiers.log]]\nsample_limit = 5\n"),
                    "t.toml:2:16: \"sample_limit\" applies to collectors only"));
  CHECK(has_problem(load("[[collectors.system]]\nsample_limit = 0\n"), "\"sample_limit\" must be between 1 and"));
  CHECK(has_problem(load("[agent]\nsample_limit = -1\n"), "\"sample_limit\" must be between 1 and"));
}

TEST_CASE("wrong types name the expected type", "[config]") {
  auto r = load(R"(
[agent]
interval = 10
plugin_dirs = "/x"
[http]
max_connections = "many"
listen = "localhost"
[log]
max_size = "ten megs"
[[collectors.system]]
optional = "yes"
labels = "env=prod"
)");
  CHECK(
      has_problem(r, "t.toml:3:12: \"interval\" in [agent] must be a duration string such as \"10s\", not an integer"));
  CHECK(has_problem(r, "\"plugin_dirs\" in [agent] must be an array of strings, not a string"));
  CHECK(has_problem(r, "\"max_connections\" in [http] must be an integer, not a string"));
  CHECK(has_problem(r, "\"listen\" = \"localhost\": there is no :PORT (write HOST:PORT"));
  CHECK(has_problem(r, "invalid size \"ten megs\""));
  CHECK(has_problem(r, "\"optional\" in [collectors.system] must be a boolean"));
  CHECK(has_problem(r, "\"labels\" must be a table of strings"));
  CHECK(r.problems.size() == 7);
}

TEST_CASE("out-of-range and zero values are rejected", "[config]") {
  auto r = load("[agent]\ninterval = \"0s\"\n[http]\nmax_connections = 0\n");
  CHECK(has_problem(r, "\"interval\" must be greater than zero"));
  CHECK(has_problem(r, "\"max_connections\" must be between 1 and 100000, not 0"));
}

TEST_CASE("environment variables are substituted in strings only", "[config]") {
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "PROBE_URL") return std::string("http://127.0.0.1:9/");
    return std::nullopt;
  };
  auto r = load_config_text(R"(
[http]
listen = "${LISTEN:-127.0.0.1:0}"
[[collectors.http_probe]]
url = "${PROBE_URL}"
)",
                            "t.toml", env);
  INFO(all(r));
  REQUIRE(r.ok());
  CHECK(r.settings.http.listen == "127.0.0.1:0");
  CHECK(r.settings.collectors[0].table.find("url").text == "http://127.0.0.1:9/");

  auto missing = load_config_text("[[collectors.x]]\ntoken = \"${SECRET_TOKEN}\"\n", "t.toml", env);
  CHECK(has_problem(missing, "t.toml:2:9: environment variable SECRET_TOKEN is not set"));
}

TEST_CASE("duplicate aliases are rejected and defaults are numbered", "[config]") {
  auto r =
      load("[[collectors.tcp_probe]]\n[[collectors.tcp_probe]]\n[[collectors.tcp_probe]]\nalias = \"tcp_probe\"\n");
  CHECK(r.settings.collectors[1].alias == "tcp_probe-2");
  CHECK(has_problem(r, "duplicate alias \"tcp_probe\""));
}

TEST_CASE("two collectors that would emit the same series are refused, naming both", "[config]") {
  auto r = load("[[collectors.system]]\n[[collectors.system]]\n");
  CHECK(has_problem(r,
                    "t.toml:2:1: [[collectors.system]] (alias system-2) has the same settings and labels as alias "
                    "system (t.toml:1:1): both emit the same series"));
  CHECK(has_problem(r, "labels = { instance = \"...\" }"));
  // Different settings, or different labels, tell them apart.
  CHECK(load("[[collectors.tcp_probe]]\naddress = \"a:1\"\n[[collectors.tcp_probe]]\naddress = \"b:1\"\n").ok());
  CHECK(load("[[collectors.system]]\n[[collectors.system]]\nlabels = { instance = \"b\" }\n").ok());
}

TEST_CASE("a config_dir adds plugin instances from every *.toml in it", "[config]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vigil-config-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "conf.d");
  std::ofstream(dir / "main.toml") << "[agent]\nconfig_dir = \"conf.d\"\n[[collectors.system]]\n";
  std::ofstream(dir / "conf.d" / "a.toml") << "[[collectors.system]]\nalias = \"second\"\nlabels = { host = \"b\" }\n";
  std::ofstream(dir / "conf.d" / "b.toml") << "[[collectors.tcp_probe]]\naddress = \"127.0.0.1:1\"\n";
  std::ofstream(dir / "conf.d" / "ignored.txt") << "not toml";
  auto r = load_config_file((dir / "main.toml").string(), no_env());
  INFO(all(r));
  REQUIRE(r.ok());
  CHECK(r.settings.collectors.size() == 3);

  std::ofstream(dir / "conf.d" / "c.toml") << "[log]\nlevel = \"debug\"\n";
  auto bad = load_config_file((dir / "main.toml").string(), no_env());
  CHECK(has_problem(bad, "[log] is not allowed in an included file"));
  CHECK(has_problem(bad, "c.toml:1:1"));
  fs::remove_all(dir);
}

TEST_CASE("a missing config file is reported with a hint", "[config]") {
  auto r = load_config_file("/nonexistent/vigil.toml", no_env());
  REQUIRE_FALSE(r.ok());
  CHECK(has_problem(r, "/nonexistent/vigil.toml: config file not found"));
  CHECK(has_problem(r, "--config"));
}

TEST_CASE("plugin tables answer nested paths and list their keys", "[config]") {
  auto r = load(R"(
[[collectors.multi]]
paths = ["/a", "/b"]
[[collectors.multi.targets]]
url = "u1"
[[collectors.multi.targets]]
url = "u2"
weight = 2.5
)");
  INFO(all(r));
  REQUIRE(r.ok());
  const auto& t = r.settings.collectors[0].table;
  CHECK(t.find("paths").count == 2);
  CHECK(t.find("paths[1]").text == "/b");
  CHECK(t.find("targets[1].url").text == "u2");
  CHECK(t.find("targets[1].weight").floating == 2.5);
  CHECK(t.find("targets[2].url").type == PluginTable::Type::missing);
  CHECK(t.find("paths[x]").type == PluginTable::Type::missing);
  std::map<std::string, PluginTable::Type> keys;
  for (const auto& k : t.keys()) keys[k.path] = k.type;
  CHECK(keys.count("targets[].url") == 1);
  CHECK(keys.count("targets[].weight") == 1);
  CHECK(keys["paths"] == PluginTable::Type::array);
}
