#include "metrics/sample.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vigil::metrics {
namespace {

// ASCII only, whatever the locale: std::isalpha in a Latin-1 locale would let bytes past 0x7f
// into names Prometheus refuses (and it is a function call per character).
constexpr bool ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Status validate_metric_name(std::string_view name) {
  auto ok_first = [](char c) { return ascii_letter(c) || c == '_' || c == ':'; };
  bool valid = !name.empty() && ok_first(name[0]);
  for (char c : name) valid = valid && (ok_first(c) || ascii_digit(c));
  if (valid) return {};
  return Status::error("invalid metric name \"" + std::string(name) +
                       "\": names match [a-zA-Z_:][a-zA-Z0-9_:]* (e.g. \"app_requests_total\")");
}

Status validate_label_name(std::string_view name) {
  auto ok_first = [](char c) { return ascii_letter(c) || c == '_'; };
  bool valid = !name.empty() && ok_first(name[0]);
  for (char c : name) valid = valid && (ok_first(c) || ascii_digit(c));
  if (!valid)
    return Status::error("invalid label name \"" + std::string(name) + "\": label names match [a-zA-Z_][a-zA-Z0-9_]*");
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_')
    return Status::error("invalid label name \"" + std::string(name) + "\": names starting with \"__\" are reserved");
  return {};
}

void add_missing_labels(Sample& s, const std::vector<std::pair<std::string, std::string>>& extra) {
  if (extra.empty()) return;
  for (const auto& [k, v] : extra)
    if (std::none_of(s.labels.begin(), s.labels.end(), [&](const auto& l) { return l.first == k; }))
      s.labels.emplace_back(k, v);
  std::sort(s.labels.begin(), s.labels.end());
}

std::string format_float(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

Sample make_sample(SampleType type, std::string name, double value,
                   std::vector<std::pair<std::string, std::string>> labels, std::string help) {
  Sample s;
  s.type = type;
  s.name = std::move(name);
  s.value = value;
  s.labels = std::move(labels);
  s.help = std::move(help);
  return s;
}

namespace {
// Length of the well-formed UTF-8 sequence at text[i], or 0 when it is not one.
size_t utf8_sequence(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}
}  // namespace

bool valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Status normalize(Sample& s) {
  if (auto st = validate_metric_name(s.name); !st.ok()) return st;
  std::sort(s.labels.begin(), s.labels.end());
  if (!valid_utf8(s.help)) s.help = utf8_lossy(s.help);
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (auto st = validate_label_name(s.labels[i].first); !st.ok()) return Status::error(s.name + ": " + st.message());
    if (!valid_utf8(s.labels[i].second))
      return Status::error("label \"" + s.labels[i].first + "\" of " + s.name +
                           " is not valid UTF-8 (Prometheus would refuse the whole scrape); fix the value at "
                           "its source");
    if (i > 0 && s.labels[i].first == s.labels[i - 1].first)
      return Status::error(s.name + ": label \"" + s.labels[i].first + "\" appears twice");
  }
  if (s.type == SampleType::histogram) {
    for (size_t i = 1; i < s.buckets.size(); ++i)
      if (!(s.buckets[i].first > s.buckets[i - 1].first) || s.buckets[i].second < s.buckets[i - 1].second)
        return Status::error(s.name + ": histogram buckets must have increasing bounds and cumulative counts");
    if (!s.buckets.empty() && s.buckets.back().second > s.count)
      return Status::error(s.name + ": histogram count is smaller than its last bucket");
  }
  return {};
}

}  // namespace vigil::metrics
