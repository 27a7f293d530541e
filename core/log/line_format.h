// Rendering of one log event as a JSON line or a text line. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "log/log.h"

namespace vigil::log {

// True for keys whose values must never be logged: password, passwd, token, secret, api_key,
// key, private_key, authorization, credential(s), cookie (case-insensitive, as whole words or
// with prefixes/suffixes such as "smtp_password" or "access_token").
bool is_secret_key(std::string_view key);

// Appends s to out with JSON string escaping (quotes, backslash, control characters).
void append_json_escaped(std::string& out, std::string_view s);

std::string format_json_line(std::chrono::system_clock::time_point ts, Level level, std::string_view component,
                             std::string_view msg, Fields fields);
std::string format_text_line(std::chrono::system_clock::time_point ts, Level level, std::string_view component,
                             std::string_view msg, Fields fields);

const char* level_name(Level level);

}  // namespace vigil::log
