// `vigil plugins validate FILE.so [--config TABLE.toml]`: a conformance checker for plugin
// authors (as clap-validator is for CLAP plugins). It loads one plugin through the real host
// and exercises its whole contract: the entry and schema, create/destroy with the author's and
// with hostile settings, start/stop idempotence, calls whose deadline has passed, and every
// call of each interface it provides with empty, binary, large and concurrent input. Each
// group of checks runs in a child process, so a plugin that crashes or hangs is reported (with
// the rule it broke) instead of taking the validator down. Under the sanitizer build, memory
// errors and leaks in the plugin fail the group they happen in.
#pragma once

#include <iosfwd>
#include <string>

namespace vigil::app {

struct ValidateOptions {
  std::string plugin_file;
  std::string config_file;  // the instance's table (keys as under [[collectors.NAME]]); "" = none
  int group_timeout_seconds = 60;
};

// Prints a PASS/FAIL report, one line per rule, with timings; 0 when every rule passed, 1 when
// one failed, 2 when the plugin or the settings file cannot be read at all.
int validate_plugin(const ValidateOptions& options, std::ostream& out);

}  // namespace vigil::app
