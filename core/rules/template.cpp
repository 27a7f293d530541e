#include "rules/template.h"

#include "metrics/sample.h"

#include <re2/re2.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <vector>

namespace vigil::rules {
namespace {

struct TemplateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A value in a pipeline: text or a number.
struct V {
  std::string s;
  double d = 0;
  bool is_number = false;
  std::string text() const { return is_number ? metrics::format_float(d) : s; }
  double number() const {
    if (is_number) return d;
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (!end || *end) throw TemplateError("\"" + s + "\" is not a number");
    return x;
  }
};

std::string humanize(double v, double base, const char* const* big, const char* const* small) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return V{"", v, true}.text();
  char buf[64];
  double a = std::fabs(v);
  int i = 0;
  if (a >= 1) {
    while (a >= base && big[i + 1]) {
      a /= base;
      v /= base;
      ++i;
    }
    std::snprintf(buf, sizeof buf, "%.4g%s", v, big[i]);
  } else {
    while (a < 1 && small && small[i + 1]) {
      a *= base;
      v *= base;
      ++i;
    }
    std::snprintf(buf, sizeof buf, "%.4g%s", v, small ? small[i] : "");
  }
  return buf;
}

std::string humanize_duration(double s) {
  if (std::isnan(s) || std::isinf(s)) return V{"", s, true}.text();
  char buf[64];
  if (std::fabs(s) >= 1) {
    const bool neg = s < 0;
    long long t = static_cast<long long>(std::fabs(s));
    const long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60, sec = t % 60;
    std::string out = neg ? "-" : "";
    if (!d && !h && !m) {  // under a minute: 4 significant digits, as Prometheus
      std::snprintf(buf, sizeof buf, "%.4gs", s);
      return buf;
    }
    if (d) out += std::to_string(d) + "d ";
    if (d || h) out += std::to_string(h) + "h ";
    out += std::to_string(m) + "m ";
    return out + std::to_string(sec) + "s";
  }
  if (s == 0) return "0s";
  const char* units[] = {"s", "ms", "us", "ns"};
  int i = 0;
  while (std::fabs(s) < 1 && i < 3) {
    s *= 1000;
    ++i;
  }
  std::snprintf(buf, sizeof buf, "%.4g%s", s, units[i]);
  return buf;
}

std::string go_printf(const std::string& fmt, const std::vector<V>& args) {
  std::string out;
  size_t ai = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    if (j < fmt.size() && fmt[j] == '%') {
      out += '%';
      i = j;
      continue;
    }
    while (j < fmt.size() && std::string_view("0123456789.-+ #").find(fmt[j]) != std::string_view::npos) ++j;
    if (j >= fmt.size()) throw TemplateError("incomplete format in printf");
    const char verb = fmt[j];
    if (ai >= args.size()) throw TemplateError("printf: missing argument");
    const V& a = args[ai++];
    std::string spec = fmt.substr(i, j - i);
    char buf[128];
    switch (verb) {
      case 'f':
      case 'e':
      case 'g': std::snprintf(buf, sizeof buf, (spec + verb).c_str(), a.number()); break;
      case 'd': std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), static_cast<long long>(a.number())); break;
      case 's':
      case 'v': std::snprintf(buf, sizeof buf, (spec + 's').c_str(), a.text().c_str()); break;
      default: throw TemplateError(std::string("printf: unsupported verb %") + verb);
    }
    out += buf;
    i = j;
  }
  return out;
}

std::vector<std::string> tokenize(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    if (s[i] == '"' || s[i] == '`') {
      const char q = s[i];
      size_t j = i + 1;
      std::string lit = "\"";
      while (j < s.size() && s[j] != q) {
        if (s[j] == '\\' && q == '"' && j + 1 < s.size()) {
          ++j;
          lit += s[j] == 'n' ? '\n' : s[j];
        } else {
          lit += s[j];
        }
        ++j;
      }
      if (j >= s.size()) throw TemplateError("unterminated string");
      out.push_back(lit);
      i = j + 1;
    } else if (s[i] == '|') {
      out.push_back("|");
      ++i;
    } else {
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '|') ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

V operand(const std::string& tok, const TemplateData& d) {
  if (!tok.empty() && tok[0] == '"') return V{tok.substr(1)};
  if (tok == "$value" || tok == ".Value") return V{"", d.value, true};
  auto lookup = [&](const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return V{it == m.end() ? "" : it->second};
  };
  for (const char* prefix : {"$labels.", ".Labels."})
    if (tok.rfind(prefix, 0) == 0) return lookup(d.labels, tok.substr(std::string(prefix).size()));
  for (const char* prefix : {"$externalLabels.", ".ExternalLabels."})
    if (tok.rfind(prefix, 0) == 0) return lookup(d.external_labels, tok.substr(std::string(prefix).size()));
  if (!tok.empty() && (std::isdigit(static_cast<unsigned char>(tok[0])) || tok[0] == '-'))
    return V{"", std::stod(tok), true};
  throw TemplateError("unknown value \"" + tok + "\" (use $labels.NAME, $value or a quoted string)");
}

V call(const std::string& fn, std::vector<V> args) {
  static const char* kSI[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y", nullptr};
  static const char* kSmall[] = {"", "m", "u", "n", "p", "f", "a", "z", "y", nullptr};
  static const char* kIEC[] = {"", "ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi", nullptr};
  auto need = [&](size_t n) {
    if (args.size() != n) throw TemplateError(fn + " takes " + std::to_string(n) + " argument(s)");
  };
  if (fn == "humanize") return need(1), V{humanize(args[0].number(), 1000, kSI, kSmall)};
  if (fn == "humanize1024") return need(1), V{humanize(args[0].number(), 1024, kIEC, nullptr)};
  if (fn == "humanizePercentage") {
    need(1);
    return V{humanize(args[0].number() * 100, 1000, kSI, kSmall) + "%"};
  }
  if (fn == "humanizeDuration") return need(1), V{humanize_duration(args[0].number())};
  if (fn == "toUpper" || fn == "toLower" || fn == "title") {
    need(1);
    std::string s = args[0].text();
    bool start = true;
    for (char& c : s) {
      if (fn == "toUpper")
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      else if (fn == "toLower")
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      else {
        if (start && std::isalpha(static_cast<unsigned char>(c)))
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        start = std::isspace(static_cast<unsigned char>(c));
      }
    }
    return V{s};
  }
  if (fn == "stripPort") {
    need(1);
    std::string s = args[0].text();
    if (!s.empty() && s[0] == '[') {
      const auto close = s.find(']');
      return V{close == std::string::npos ? s : s.substr(1, close - 1)};
    }
    const auto colon = s.rfind(':');
    if (colon != std::string::npos && s.find(':') == colon) s = s.substr(0, colon);
    return V{s};
  }
  if (fn == "reReplaceAll") {
    need(3);
    RE2 re(args[0].text());
    if (!re.ok()) throw TemplateError("reReplaceAll: invalid regular expression: " + re.error());
    std::string s = args[2].text(), repl = args[1].text();
    std::string rewrite;
    for (size_t i = 0; i < repl.size(); ++i) {  // Go's $1 -> RE2's \1
      const bool group_ref =
          repl[i] == '$' && i + 1 < repl.size() && std::isdigit(static_cast<unsigned char>(repl[i + 1]));
      if (group_ref)
        rewrite += '\\';
      else if (repl[i] == '\\')
        rewrite += "\\\\";
      else
        rewrite += repl[i];
    }
    RE2::GlobalReplace(&s, re, rewrite);
    return V{s};
  }
  if (fn == "printf") {
    if (args.empty()) throw TemplateError("printf needs a format");
    const std::string fmt = args[0].text();
    args.erase(args.begin());
    return V{go_printf(fmt, args)};
  }
  throw TemplateError("function \"" + fn + "\" not defined");
}

bool is_function(const std::string& t) {
  for (const char* f : {"humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "toUpper", "toLower",
                        "title", "stripPort", "reReplaceAll", "printf"})
    if (t == f) return true;
  return false;
}

std::string run_action(const std::string& action, const TemplateData& d) {
  const auto toks = tokenize(action);
  if (toks.empty()) throw TemplateError("empty action");
  // Split into pipeline stages.
  std::vector<std::vector<std::string>> stages(1);
  for (const auto& t : toks) {
    if (t == "|")
      stages.emplace_back();
    else
      stages.back().push_back(t);
  }
  std::optional<V> cur;
  for (const auto& st : stages) {
    if (st.empty()) throw TemplateError("empty pipeline stage");
    if (is_function(st[0])) {
      std::vector<V> args;
      for (size_t i = 1; i < st.size(); ++i) args.push_back(operand(st[i], d));
      if (cur) args.push_back(*cur);
      cur = call(st[0], std::move(args));
    } else {
      if (st.size() != 1 || cur) throw TemplateError("unexpected \"" + st[0] + "\"");
      cur = operand(st[0], d);
    }
  }
  return cur->text();
}

}  // namespace

std::string expand_template(const std::string& text, const TemplateData& data, std::string* error) {
  std::string out;
  size_t i = 0;
  try {
    while (i < text.size()) {
      const size_t open = text.find("{{", i);
      if (open == std::string::npos) {
        out += text.substr(i);
        break;
      }
      out += text.substr(i, open - i);
      const size_t close = text.find("}}", open + 2);
      if (close == std::string::npos) throw TemplateError("unclosed action");
      std::string action = text.substr(open + 2, close - open - 2);
      if (!action.empty() && action.front() == '-') action.erase(0, 1);
      if (!action.empty() && action.back() == '-') action.pop_back();
      out += run_action(action, data);
      i = close + 2;
    }
  } catch (const std::exception& e) {
    const std::string msg = std::string("<error expanding template: ") + e.what() + ">";
    if (error) *error = e.what();
    return msg;
  }
  return out;
}

}  // namespace vigil::rules
