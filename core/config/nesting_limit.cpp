#include "config/nesting_limit.h"

#include <vector>

namespace vigil::config {
namespace {

// Walks the text outside strings and comments, tracking line and column.
struct Cursor {
  std::string_view text;
  size_t i = 0;
  size_t line = 1, line_start = 0;

  std::string where(const std::string& name) const {
    return name + ":" + std::to_string(line) + ":" + std::to_string(i - line_start + 1);
  }
  bool at(std::string_view s) const { return text.substr(i, s.size()) == s; }
};

std::string too_deep(const Cursor& c, const std::string& name, const char* what) {
  return c.where(name) + ": " + what + " nested more than " + std::to_string(kMaxNesting) +
         " levels deep; flatten this part of the file";
}

}  // namespace

std::optional<std::string> toml_too_deep(std::string_view text, const std::string& name) {
  enum class In { code, basic, literal, ml_basic, ml_literal } in = In::code;
  Cursor c{text};
  // The depth of what is being read: the table header's keys, the keys opened by each enclosing
  // array or inline table, and the dots of the key being read now. Counted as a whole, so
  // nesting split between headers, dotted keys and brackets is bounded too.
  int header_dots = 0;         // dots of the last [table.header], the base of the keys below it
  int dots = 0;                // dots of the key being read
  int key_dots = 0;            // after "=": the dots of the key whose value is read
  std::vector<int> enclosing;  // per open [ or {: the depth of the key that opened it
  bool in_header = false;
  int enclosing_depth = 0;  // sum of `enclosing` plus their count
  const auto depth = [&] { return (in_header ? 0 : header_dots) + enclosing_depth + key_dots + dots; };
  const auto at_line_start = [&] {
    return text.substr(c.line_start, c.i - c.line_start).find_first_not_of(" \t") == std::string_view::npos;
  };
  // A run of quotes that closes a multi-line string: 3 to 5 of them (up to 2 belong to the value).
  const auto skip_run = [&](char q) {
    while (c.i + 1 < text.size() && text[c.i + 1] == q) ++c.i;
  };
  for (; c.i < text.size(); ++c.i) {
    const char ch = text[c.i];
    if (ch == '\n') {
      ++c.line;
      c.line_start = c.i + 1;
      if (in == In::basic || in == In::literal) in = In::code;  // single-line strings end here
      if (in == In::code && enclosing.empty()) dots = key_dots = 0;
      continue;
    }
    switch (in) {
      case In::basic:
        if (ch == '\\')
          ++c.i;
        else if (ch == '"')
          in = In::code;
        break;
      case In::literal:
        if (ch == '\'') in = In::code;
        break;
      case In::ml_basic:
        if (ch == '\\')
          ++c.i;
        else if (c.at("\"\"\""))
          in = In::code, skip_run('"');
        break;
      case In::ml_literal:
        if (c.at("'''")) in = In::code, skip_run('\'');
        break;
      case In::code:
        if (ch == '#') {
          while (c.i + 1 < text.size() && text[c.i + 1] != '\n') ++c.i;
        } else if (ch == '"') {
          if (c.at("\"\"\""))
            in = In::ml_basic, c.i += 2;
          else
            in = In::basic;
        } else if (ch == '\'') {
          if (c.at("'''"))
            in = In::ml_literal, c.i += 2;
          else
            in = In::literal;
        } else if (ch == '.') {
          ++dots;
        } else if (ch == '=') {
          key_dots = dots;
          dots = 0;
        } else if (ch == ',') {
          key_dots = dots = 0;
        } else if (ch == '[' && enclosing.empty() && at_line_start()) {
          // A [table] or [[array]] header at the start of a line.
          if (c.at("[[")) ++c.i;
          in_header = true;
          header_dots = 0;
          dots = 0;
        } else if (ch == ']' && in_header) {
          if (c.at("]]")) ++c.i;
          in_header = false;
          header_dots = dots + 1;
          dots = 0;
        } else if (ch == '[' || ch == '{') {
          enclosing.push_back(key_dots + dots + 1);
          enclosing_depth += key_dots + dots + 1;
          key_dots = dots = 0;
        } else if ((ch == ']' || ch == '}') && !enclosing.empty()) {
          enclosing_depth -= enclosing.back();
          enclosing.pop_back();
          key_dots = dots = 0;
        }
        if (depth() > kMaxNesting) return too_deep(c, name, "keys, arrays and tables");
        break;
    }
  }
  return std::nullopt;
}

}  // namespace vigil::config
