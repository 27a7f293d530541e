#include "alerting/matchers.h"

#include <cctype>

namespace vigil::alerting {
namespace {

using Op = metrics::LabelMatcher::Op;

bool name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

class MatcherParser {
 public:
  explicit MatcherParser(std::string_view text) : s_(text) {}

  Result<Matchers> parse() {
    Matchers out;
    skip_space();
    const bool braces = peek() == '{';
    if (braces) {
      ++i_;
      skip_space();
      if (peek() == '}') return fail("empty matcher list {}; give at least one matcher such as severity=\"critical\"");
    }
    for (;;) {
      auto m = one();
      if (!m.ok()) return m.status();
      out.push_back(std::move(m.value()));
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
        if (braces && peek() == '}') break;  // trailing comma
        continue;
      }
      break;
    }
    if (braces) {
      if (peek() != '}') return fail("expected \",\" or \"}\"");
      ++i_;
      skip_space();
    }
    if (i_ != s_.size())
      return fail("unexpected text after the matcher (several matchers go in braces: {a=\"b\", c=\"d\"})");
    return out;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  Status fail(const std::string& what) const {
    return Status::error("invalid matcher \"" + std::string(s_) + "\" at column " + std::to_string(i_ + 1) + ": " +
                         what);
  }

  Result<metrics::LabelMatcher> one() {
    const size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_], i_ == start)) ++i_;
    if (i_ == start) return fail("expected a label name");
    std::string name(s_.substr(start, i_ - start));
    skip_space();
    Op op;
    if (s_.compare(i_, 2, "=~") == 0) {
      op = Op::regex;
      i_ += 2;
    } else if (s_.compare(i_, 2, "!~") == 0) {
      op = Op::not_regex;
      i_ += 2;
    } else if (s_.compare(i_, 2, "!=") == 0) {
      op = Op::not_equal;
      i_ += 2;
    } else if (s_.compare(i_, 2, "==") == 0) {
      return fail("use = (not ==)");
    } else if (peek() == '=') {
      op = Op::equal;
      ++i_;
    } else {
      return fail("expected one of = != =~ !~ after \"" + name + "\"");
    }
    skip_space();
    std::string value;
    if (peek() == '"') {
      ++i_;
      for (;;) {
        if (i_ >= s_.size()) return fail("unterminated quoted value");
        char c = s_[i_++];
        if (c == '"') break;
        if (c == '\\' && i_ < s_.size()) {
          char e = s_[i_++];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          continue;
        }
        value += c;
      }
    } else {
      const size_t vs = i_;
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}') ++i_;
      value = std::string(s_.substr(vs, i_ - vs));
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
    }
    auto m = metrics::LabelMatcher::make(name, op, value);
    if (!m.ok()) return fail(m.message());
    return m;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

const char* op_text(metrics::LabelMatcher::Op op) {
  switch (op) {
    case Op::equal: return "=";
    case Op::not_equal: return "!=";
    case Op::regex: return "=~";
    case Op::not_regex: return "!~";
  }
  return "?";
}

Result<Matchers> parse_matchers(std::string_view text) {
  return MatcherParser(text).parse();
}

bool matches(const Matchers& ms, const LabelSet& labels) {
  for (const auto& m : ms) {
    std::string_view v;
    for (const auto& [k, val] : labels)
      if (k == m.name()) v = val;
    if (!m.matches(v)) return false;
  }
  return true;
}

std::string matchers_text(const Matchers& ms) {
  std::string out = "{";
  for (size_t i = 0; i < ms.size(); ++i) {
    if (i) out += ",";
    out += ms[i].name() + op_text(ms[i].op()) + "\"";
    for (char c : ms[i].value()) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace vigil::alerting
