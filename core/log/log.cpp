#include "log/log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "config/settings.h"
#include "log/line_format.h"
#include "log/secret_values.h"

namespace vigil::log {
namespace {

// spdlog only writes and rotates: each line is fully rendered here, so its pattern is "%v".
struct State {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;  // guarded by mu (swapped on configure)
  std::atomic<int> level{static_cast<int>(Level::info)};
  std::atomic<bool> json{true};
  std::atomic<uint64_t> redacted{0};
};

// Never destroyed: a plugin thread that was not joined may still log while the process exits,
// and must find the logger alive (spdlog's own registry is not used).
State& state() {
  static State* s = new State;
  return *s;
}

std::shared_ptr<spdlog::logger> make_stderr_logger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto l = std::make_shared<spdlog::logger>("vigil", sink);
  l->set_pattern("%v");
  l->set_level(spdlog::level::trace);
  l->flush_on(spdlog::level::trace);
  return l;
}

std::shared_ptr<spdlog::logger> current() {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (!s.logger) s.logger = make_stderr_logger();
  return s.logger;
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error})
    if (name == level_name(l)) return l;
  return Status::error("unknown log level \"" + std::string(name) + "\" (use trace, debug, info, warn or error)");
}

Status configure(const config::LogSettings& settings) {
  auto level = parse_level(settings.level);
  if (!level.ok()) return level.status();
  std::shared_ptr<spdlog::logger> logger;
  if (settings.file.empty()) {
    logger = make_stderr_logger();
  } else {
    try {
      auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          settings.file, static_cast<size_t>(settings.max_size), settings.max_files);
      logger = std::make_shared<spdlog::logger>("vigil", sink);
      logger->set_pattern("%v");
      logger->set_level(spdlog::level::trace);
      logger->flush_on(spdlog::level::warn);
    } catch (const spdlog::spdlog_ex& e) {
      return Status::error("cannot open log file \"" + settings.file + "\": " + e.what() +
                           " (check that its directory exists and is writable)");
    }
  }
  State& s = state();
  {
    std::lock_guard lock(s.mu);
    if (s.logger) s.logger->flush();
    s.logger = std::move(logger);
  }
  s.level = static_cast<int>(*level);
  s.json = settings.format != "text";
  return {};
}

bool enabled(Level level) {
  return static_cast<int>(level) >= state().level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view component, std::string_view msg, Fields fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  for (const auto& f : fields)
    if (is_secret_key(f.key)) state().redacted.fetch_add(1, std::memory_order_relaxed);
  const std::string line = redact_secrets(state().json ? format_json_line(now, level, component, msg, fields)
                                                       : format_text_line(now, level, component, msg, fields));
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                                                       spdlog::level::warn, spdlog::level::err};
  current()->log(kMap[static_cast<int>(level)], std::string_view(line));
}

void write_child_line(std::string_view line, Fields fields) {
  const bool ours = line.size() > 8 && line.substr(0, 7) == "{\"ts\":\"" && line.back() == '}';
  if (ours && state().json.load(std::memory_order_relaxed)) {
    current()->log(spdlog::level::info, std::string_view(redact_secrets(line)));
    return;
  }
  write(Level::info, "plugin", line, fields);
}

uint64_t redacted_fields_total() {
  return state().redacted.load(std::memory_order_relaxed);
}

void flush() {
  current()->flush();
}

}  // namespace vigil::log
