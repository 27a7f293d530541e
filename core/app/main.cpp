// vigil: argv -> command. Wiring only.
#include <CLI/CLI.hpp>

#include <iostream>

#include <cstdlib>

#include "app/api_client_commands.h"
#include "app/bench_command.h"
#include "app/commands.h"
#include "app/plugin_validator.h"
#include "app/token_file.h"

int main(int argc, char** argv) {
  CLI::App cli{"vigil: a small, fast monitoring and performance agent"};
  cli.require_subcommand(0, 1);
  bool show_version = false;
  cli.add_flag("-V,--version", show_version, "Print the version and exit");

  std::string run_config;
  auto* run = cli.add_subcommand("run", "Run the agent in the foreground (SIGTERM stops, SIGHUP reloads)");
  run->add_option("-c,--config", run_config, "Config file (default: the embedded default config)");
  std::string web_config_file;
  run->add_option("--web.config.file", web_config_file,
                  "Web config (Prometheus exporters' format: TLS, basic auth); replaces [http] web_config_file");

  std::string check_path;
  auto* check = cli.add_subcommand("check", "Validate a config and the plugins it uses; exit 2 on any problem");
  check->add_option("-c,--config", check_path, "Config file (default: the embedded default config)");

  std::vector<std::string> plugin_dirs;
  auto* plugins = cli.add_subcommand("plugins", "List the plugins vigil can load, with their config keys");
  plugins->add_option("-d,--plugin-dir", plugin_dirs, "Extra directory to search (repeatable)");
  vigil::app::ValidateOptions validate_args;
  auto* validate = plugins->add_subcommand(
      "validate", "Check one plugin file against the plugin contract (plugin.h); exit 1 when a rule is broken");
  validate->add_option("file", validate_args.plugin_file, "The plugin's .so file")
      ->required()
      ->check(CLI::ExistingFile);
  validate
      ->add_option("-c,--config", validate_args.config_file,
                   "A TOML file with the instance's settings (the keys of its [[KIND.NAME]] table)")
      ->check(CLI::ExistingFile);
  validate->add_option("--timeout", validate_args.group_timeout_seconds,
                       "Seconds each group of checks may take before the plugin counts as hung");

  auto* reference = cli.add_subcommand(
      "config-reference", "Print the configuration reference (Markdown): every core key and every plugin's keys");
  reference->add_option("-d,--plugin-dir", plugin_dirs, "Extra directory to search (repeatable)");

  std::vector<std::string> rule_tests;
  auto* test = cli.add_subcommand("test", "Run unit tests");
  test->require_subcommand(1);
  auto* test_rules =
      test->add_subcommand("rules", "Run rule unit tests in promtool's test file format; exit 1 on failure");
  test_rules->add_option("files", rule_tests, "Test files")->required()->check(CLI::ExistingFile);

  vigil::app::BenchRunArgs bench_args;
  std::vector<std::string> compare_files, compare_goals;
  bool no_progress = false;
  auto* bench = cli.add_subcommand("bench", "Benchmark a service: run scenarios, compare runs");
  bench->require_subcommand(1);
  auto* bench_run = bench->add_subcommand(
      "run", "Run a scenario against a target; exit 99 when a threshold fails, 1 when nothing reached the target");
  bench_run->add_option("scenario", bench_args.scenario, "A [[scenarios.NAME]] of --config, or a scenario plugin")
      ->required();
  bench_run->add_option("-c,--config", bench_args.config, "Config file with [[scenarios.NAME]] tables");
  bench_run->add_option("-t,--target", bench_args.target, "Base URL, e.g. http://127.0.0.1:8080");
  bench_run->add_option("--vus,--connections", bench_args.vus, "Connections (the closed model's virtual users)");
  bench_run->add_option("--rate", bench_args.rate, "Requests a second: the open model (0 = closed)");
  bench_run->add_option("-d,--duration", bench_args.duration, "How long to measure, e.g. 30s");
  bench_run->add_option("--stage", bench_args.stages,
                        "DURATION:TARGET ramp step, e.g. 30s:100 (repeatable): connections, or requests a second "
                        "with --rate (the start)");
  bench_run->add_option("--warmup", bench_args.warmup, "Run this long first without measuring, e.g. 5s");
  bench_run->add_option("--timeout", bench_args.request_timeout, "Per request, e.g. 10s");
  bench_run->add_option("--threads", bench_args.threads, "Load generator threads");
  bench_run->add_option("--threshold", bench_args.thresholds, "e.g. \"p95 < 200ms\" (repeatable)");
  bench_run->add_option("--set", bench_args.sets, "KEY=VALUE setting of the scenario plugin (repeatable)");
  bench_run->add_option("-o,--out", bench_args.out_dir, "Directory for report.json and report.md");
  bench_run->add_option("--target-pid", bench_args.target_pid, "Measure this process's CPU and memory too");
  bench_run->add_option("--connect-rate", bench_args.connect_rate,
                        "WebSocket: connections opened a second (default 1000)");
  bench_run->add_flag("--no-progress", no_progress, "No progress lines while running");
  bench_run->add_option("--tls-ca-file", bench_args.tls_ca_file,
                        "https/wss: PEM certificates to trust besides the system's");
  bench_run->add_flag("--insecure-skip-tls-verify", bench_args.tls_skip_verify,
                      "https/wss: do not check the server's certificate");
  bench_run->add_flag("--abort-on-fail", bench_args.abort_on_fail,
                      "End the run when a threshold fails, judged each second from 5 s of measured load on");
  auto* bench_compare =
      bench->add_subcommand("compare", "Compare two runs' report.json: the target table; exit 99 when a goal fails");
  bench_compare->add_option("reports", compare_files, "BASELINE.json CURRENT.json")->required()->expected(2);
  bench_compare->add_option("--goal", compare_goals, "METRIC=GOAL, e.g. rps=+50% or p95=-30% (repeatable)");

  // amtool-like commands against a running agent.
  vigil::app::ApiTarget api;
  if (const char* u = std::getenv("VIGIL_URL")) api.url = u;
  if (const char* k = std::getenv("VIGIL_API_TOKEN")) api.token = k;
  std::string output = "table", token_file, token_on_command_line;
  auto add_api_options = [&](CLI::App* c) {
    c->add_option("--url", api.url, "The agent's address (default $VIGIL_URL or http://127.0.0.1:9479)");
    c->add_option("--token-file", token_file,
                  "File holding the API token for changes, chmod 600 (default: $VIGIL_API_TOKEN)");
    // Accepted only to refuse it with the reason: a token in argv is visible to every user.
    c->add_option("--token", token_on_command_line)->group("");
    c->add_option("-o,--output", output, "table or json")->check(CLI::IsMember({"table", "json"}));
  };
  std::vector<std::string> filters;
  std::string alert_state;
  auto* alerts = cli.add_subcommand("alerts", "List the alerts of a running agent");
  add_api_options(alerts);
  alerts->add_option("-f,--filter", filters, "Matcher such as severity=\"critical\" (repeatable)");
  alerts->add_option("-s,--state", alert_state, "firing, pending, active, suppressed, silenced, inhibited or acked");

  auto* silence = cli.add_subcommand("silence", "Add, list or expire silences on a running agent");
  silence->require_subcommand(1);
  std::vector<std::string> silence_matchers, silence_ids;
  std::string duration = "1h", author, comment, silence_state;
  if (const char* u = std::getenv("USER")) author = u;
  auto* silence_add = silence->add_subcommand("add", "Silence the alerts matching every matcher; prints the id");
  add_api_options(silence_add);
  silence_add->add_option("matchers", silence_matchers, "Matchers such as alertname=Backup")->required();
  silence_add->add_option("-d,--duration", duration, "How long, e.g. 2h (default 1h)");
  silence_add->add_option("-a,--author", author, "Who silences (default $USER)");
  silence_add->add_option("-c,--comment", comment, "Why")->required();
  auto* silence_list = silence->add_subcommand("list", "List silences");
  add_api_options(silence_list);
  silence_list->add_option("-s,--state", silence_state, "active, pending or expired");
  auto* silence_expire = silence->add_subcommand("expire", "Expire silences now");
  add_api_options(silence_expire);
  silence_expire->add_option("ids", silence_ids, "Silence ids")->required();

  std::string ack_fp, expires;
  bool ack_remove = false;
  auto* ack = cli.add_subcommand("ack", "Acknowledge a firing alert by fingerprint (see vigil alerts)");
  add_api_options(ack);
  ack->add_option("fingerprint", ack_fp, "The alert's fingerprint")->required();
  ack->add_option("-a,--author", author, "Who acknowledges (default $USER)");
  ack->add_option("-c,--comment", comment, "What is being done");
  ack->add_option("-e,--expires", expires, "Ack ends after this long, e.g. 2h (default: when the alert resolves)");
  ack->add_flag("--remove", ack_remove, "Remove the acknowledgement instead");

  CLI11_PARSE(cli, argc, argv);
  api.json = output == "json";
  if (!token_on_command_line.empty()) {
    std::cerr << "error: --token puts the token where every user of this machine can read it (ps, "
                 "/proc/PID/cmdline); use --token-file FILE (chmod 600) or set VIGIL_API_TOKEN\n";
    return 2;
  }
  if (!token_file.empty()) {
    auto token = vigil::app::read_token_file(token_file, "--token-file", vigil::config::FileSource::regular_or_stream);
    if (!token.ok()) {
      std::cerr << "error: " << token.message() << "\n";
      return 2;
    }
    api.token = token.value();
  }
  if (show_version) {
    std::cout << vigil::app::version_line() << "\n";
    return 0;
  }
  if (*run) return vigil::app::run_agent(run_config, web_config_file);
  if (*check) return vigil::app::check_config(check_path, std::cout, std::cerr);
  if (*validate) return vigil::app::validate_plugin(validate_args, std::cout);
  if (*plugins) return vigil::app::list_plugins(plugin_dirs, std::cout);
  if (*reference) return vigil::app::config_reference(plugin_dirs, std::cout);
  if (*test_rules) return vigil::app::test_rules(rule_tests, std::cout);
  if (*bench_run) {
    bench_args.progress = !no_progress;
    return vigil::app::bench_run(bench_args, std::cout, std::cerr);
  }
  if (*bench_compare)
    return vigil::app::bench_compare(compare_files[0], compare_files[1], compare_goals, std::cout, std::cerr);
  if (*alerts) return vigil::app::cmd_alerts(api, filters, alert_state, std::cout, std::cerr);
  if (*silence_add)
    return vigil::app::cmd_silence_add(api, silence_matchers, duration, author, comment, std::cout, std::cerr);
  if (*silence_list) return vigil::app::cmd_silence_list(api, silence_state, std::cout, std::cerr);
  if (*silence_expire) return vigil::app::cmd_silence_expire(api, silence_ids, std::cout, std::cerr);
  if (*ack) return vigil::app::cmd_ack(api, ack_fp, author, comment, expires, ack_remove, std::cout, std::cerr);
  std::cout << cli.help();
  return 0;
}
