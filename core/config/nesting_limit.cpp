#include "config/nesting_limit.h"

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
  int dots = 0;      // dots of the key being read (a dotted key or a [table.header])
  int brackets = 0;  // open [ and { (arrays, inline tables, headers)
  for (; c.i < text.size(); ++c.i) {
    const char ch = text[c.i];
    if (ch == '\n') {
      ++c.line;
      c.line_start = c.i + 1;
      dots = 0;
      if (in == In::basic || in == In::literal) in = In::code;  // single-line strings end here
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
          in = In::code, c.i += 2;
        break;
      case In::ml_literal:
        if (c.at("'''")) in = In::code, c.i += 2;
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
          if (++dots > kMaxNesting) return too_deep(c, name, "keys");
        } else if (ch == '=' || ch == ',') {
          dots = 0;
        } else if (ch == '[' || ch == '{') {
          dots = 0;
          if (++brackets > kMaxNesting) return too_deep(c, name, "arrays and tables");
        } else if ((ch == ']' || ch == '}') && brackets > 0) {
          --brackets;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace vigil::config
