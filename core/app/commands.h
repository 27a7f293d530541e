// The CLI commands, each returning the process exit status:
// 0 success, 1 runtime failure, 2 invalid configuration or usage.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::app {

// Runs the agent in the foreground until SIGTERM/SIGINT; SIGHUP reloads. "" = embedded config.
// `web_config_file`, when not "", replaces [http] web_config_file (the --web.config.file flag).
int run_agent(const std::string& config_path, const std::string& web_config_file = "");
// Validates the config and every referenced plugin (load, ABI, create); lists every problem.
int check_config(const std::string& config_path, std::ostream& out, std::ostream& err);
// Lists the plugins found in the bundled directories and `extra_dirs`.
int list_plugins(const std::vector<std::string>& extra_dirs, std::ostream& out);
// Prints docs/config-reference.md: the core schema and the schema of every plugin found.
int config_reference(const std::vector<std::string>& extra_dirs, std::ostream& out);

// Runs rule unit-test files (promtool's format); 0 when all pass, 1 otherwise.
int test_rules(const std::vector<std::string>& files, std::ostream& out);

const char* version();
// "vigil 0.1.0 (plugin ABI 1.0)"
std::string version_line();

}  // namespace vigil::app
