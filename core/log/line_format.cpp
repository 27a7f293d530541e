#include "log/line_format.h"

#include "log/secret_values.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace vigil::log {
namespace {

constexpr std::string_view kRedacted = "[redacted]";

std::string iso_time(std::chrono::system_clock::time_point ts) {
  const auto since = ts.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

const char* level_name(Level level) {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

bool is_secret_key(std::string_view key) {
  const std::string k = lower(key);
  static constexpr std::string_view kWords[] = {"password",   "passwd", "token",       "secret",  "authorization",
                                                "credential", "cookie", "private_key", "api_key", "apikey"};
  for (auto w : kWords)
    if (k.find(w) != std::string::npos) return true;
  // "key" alone or as a word part: "key", "access_key", "key_id" — but not "monkey" or "keys_total".
  if (k == "key") return true;
  if (k.size() > 4 && k.compare(k.size() - 4, 4, "_key") == 0) return true;
  return false;
}

void append_json_escaped(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

std::string format_json_line(std::chrono::system_clock::time_point ts, Level level, std::string_view component,
                             std::string_view msg, Fields fields) {
  std::string out;
  out.reserve(96 + msg.size());
  out += "{\"ts\":\"";
  out += iso_time(ts);
  out += "\",\"level\":\"";
  out += level_name(level);
  out += "\",\"component\":\"";
  append_json_escaped(out, component);
  out += "\",\"msg\":\"";
  // Secrets are taken out before escaping: escaped, a secret with a quote would no longer match.
  append_json_escaped(out, redact_secrets(msg));
  out += '"';
  for (const auto& f : fields) {
    if (f.key == "ts" || f.key == "level" || f.key == "component" || f.key == "msg") continue;
    out += ",\"";
    append_json_escaped(out, f.key);
    out += "\":";
    if (is_secret_key(f.key)) {
      out += '"';
      out += kRedacted;
      out += '"';
    } else if (f.quoted) {
      out += '"';
      append_json_escaped(out, redact_secrets(f.value));
      out += '"';
    } else {
      out += f.value;
    }
  }
  out += '}';
  return out;
}

std::string format_text_line(std::chrono::system_clock::time_point ts, Level level, std::string_view component,
                             std::string_view msg, Fields fields) {
  std::string out = iso_time(ts);
  char lvl[8];
  std::snprintf(lvl, sizeof lvl, " %-5s ", level_name(level));
  out += lvl;
  out += '[';
  out += component;
  out += "] ";
  out += redact_secrets(msg);
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    if (is_secret_key(f.key)) {
      out += kRedacted;
    } else if (const std::string v = redact_secrets(f.value);
               f.quoted && (v.empty() || v.find_first_of(" \"=\t\n") != std::string::npos)) {
      out += '"';
      append_json_escaped(out, v);
      out += '"';
    } else {
      out += v;
    }
  }
  return out;
}

}  // namespace vigil::log
