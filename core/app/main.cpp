// vigil: argv -> command. Wiring only.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App cli{"vigil: a small, fast monitoring and performance agent"};
  cli.require_subcommand(0, 1);
  bool show_version = false;
  cli.add_flag("-V,--version", show_version, "Print the version and exit");

  std::string run_config;
  auto* run = cli.add_subcommand("run", "Run the agent in the foreground (SIGTERM stops, SIGHUP reloads)");
  run->add_option("-c,--config", run_config, "Config file (default: the embedded default config)");

  std::string check_path;
  auto* check = cli.add_subcommand("check", "Validate a config and the plugins it uses; exit 2 on any problem");
  check->add_option("-c,--config", check_path, "Config file (default: the embedded default config)");

  std::vector<std::string> plugin_dirs;
  auto* plugins = cli.add_subcommand("plugins", "List the plugins vigil can load, with their config keys");
  plugins->add_option("-d,--plugin-dir", plugin_dirs, "Extra directory to search (repeatable)");

  std::vector<std::string> rule_tests;
  auto* test = cli.add_subcommand("test", "Run unit tests");
  test->require_subcommand(1);
  auto* test_rules =
      test->add_subcommand("rules", "Run rule unit tests in promtool's test file format; exit 1 on failure");
  test_rules->add_option("files", rule_tests, "Test files")->required()->check(CLI::ExistingFile);

  CLI11_PARSE(cli, argc, argv);
  if (show_version) {
    std::cout << vigil::app::version_line() << "\n";
    return 0;
  }
  if (*run) return vigil::app::run_agent(run_config);
  if (*check) return vigil::app::check_config(check_path, std::cout, std::cerr);
  if (*plugins) return vigil::app::list_plugins(plugin_dirs, std::cout);
  if (*test_rules) return vigil::app::test_rules(rule_tests, std::cout);
  std::cout << cli.help();
  return 0;
}
