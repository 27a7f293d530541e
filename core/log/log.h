// Structured logging for the whole agent: one line per event with a timestamp, level,
// component, message and key/value fields. JSON lines by default, a text form for terminals.
// Values of secret-looking keys (password, token, secret, key, ...) are always redacted.
//
// Thread-safe. configure() may be called again at run time (SIGHUP) to change level/format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/status.h"

namespace vigil::config {
struct LogSettings;
}

namespace vigil::log {

enum class Level { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

// One key/value pair. Strings are quoted in JSON; numbers and booleans are not.
struct Field {
  std::string key;
  std::string value;
  bool quoted = true;

  Field(std::string k, std::string_view v) : key(std::move(k)), value(v) {}
  Field(std::string k, const char* v) : key(std::move(k)), value(v ? v : "") {}
  Field(std::string k, const std::string& v) : key(std::move(k)), value(v) {}
  Field(std::string k, bool v) : key(std::move(k)), value(v ? "true" : "false"), quoted(false) {}
  template <class N, std::enable_if_t<std::is_arithmetic_v<N> && !std::is_same_v<N, bool>, int> = 0>
  Field(std::string k, N v) : key(std::move(k)), value(number(v)), quoted(false) {}

 private:
  template <class N>
  static std::string number(N v) {
    if constexpr (std::is_floating_point_v<N>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(v));
      return buf;
    } else {
      return std::to_string(v);
    }
  }
};

using Fields = std::initializer_list<Field>;

// Applies level, format and destination. Until called, logs go to stderr as JSON at info.
Status configure(const config::LogSettings& settings);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view msg, Fields fields = {});
// A line another vigil process wrote to its stderr (an isolated plugin's host, which logs JSON
// lines): passed on as it is when this process writes JSON and the line looks like one of
// vigil's; anything else (text format here, or what a plugin printed) becomes the message of an
// info event with `fields` naming where it came from.
void write_child_line(std::string_view line, Fields fields);
// Flushes buffered output (file sinks); call before exit.
void flush();
// Field values written as "[redacted]" since the start (is_secret_key), for vigil's /metrics.
uint64_t redacted_fields_total();

inline void trace(std::string_view c, std::string_view m, Fields f = {}) {
  write(Level::trace, c, m, f);
}
inline void debug(std::string_view c, std::string_view m, Fields f = {}) {
  write(Level::debug, c, m, f);
}
inline void info(std::string_view c, std::string_view m, Fields f = {}) {
  write(Level::info, c, m, f);
}
inline void warn(std::string_view c, std::string_view m, Fields f = {}) {
  write(Level::warn, c, m, f);
}
inline void error(std::string_view c, std::string_view m, Fields f = {}) {
  write(Level::error, c, m, f);
}

Result<Level> parse_level(std::string_view name);

}  // namespace vigil::log
