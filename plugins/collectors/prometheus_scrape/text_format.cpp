#include "text_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace vigil::scrape {
namespace {

struct Family {
  std::string type = "untyped";
  std::string help;
};

bool parse_value(std::string_view s, double& out) {
  if (s == "+Inf" || s == "Inf") return out = std::numeric_limits<double>::infinity(), true;
  if (s == "-Inf") return out = -std::numeric_limits<double>::infinity(), true;
  if (s == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
  const std::string tmp(s);
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return end && *end == '\0' && !tmp.empty();
}

// Parses `name{labels} value [ts]`; false with a reason on malformed input.
bool parse_sample_line(std::string_view line, ParsedSample& s, std::string& why) {
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':'))
    ++i;
  if (i == 0) return why = "expected a metric name", false;
  s.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const size_t ns = i;
      while (i < line.size() && line[i] != '=' && line[i] != '}' && line[i] != ' ') ++i;
      if (i >= line.size() || line[i] != '=') return why = "malformed label", false;
      std::string lname(line.substr(ns, i - ns));
      ++i;
      if (i >= line.size() || line[i] != '"') return why = "label value must be quoted", false;
      ++i;
      std::string v;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          v += line[i] == 'n' ? '\n' : line[i];
        } else {
          v += line[i];
        }
        ++i;
      }
      if (i >= line.size()) return why = "unterminated label value", false;
      ++i;
      s.labels.emplace_back(std::move(lname), std::move(v));
    }
  }
  while (i < line.size() && line[i] == ' ') ++i;
  const size_t vs = i;
  while (i < line.size() && line[i] != ' ') ++i;
  if (!parse_value(line.substr(vs, i - vs), s.value)) return why = "invalid value", false;
  while (i < line.size() && line[i] == ' ') ++i;
  if (i < line.size()) {
    const std::string ts(line.substr(i));
    char* end = nullptr;
    s.timestamp_ms = std::strtoll(ts.c_str(), &end, 10);
    if (!end || (*end != '\0' && *end != ' ')) return why = "invalid timestamp", false;
  }
  return true;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ParseResult parse_text_format(std::string_view text) {
  ParseResult out;
  std::map<std::string, Family> families;
  struct Hist {
    ParsedSample s;
    bool has_count = false;
    uint64_t inf = 0;
  };
  std::map<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>, Hist> hists;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> hist_order;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;
      const std::string_view rest = line.substr(7);
      const size_t sp = rest.find(' ');
      const std::string name(rest.substr(0, sp));
      const std::string arg = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
      if (help)
        families[name].help = arg;
      else
        families[name].type = arg;
      continue;
    }
    ParsedSample s;
    std::string why;
    if (!parse_sample_line(line, s, why)) {
      out.errors.push_back("line " + std::to_string(line_no) + ": " + why);
      continue;
    }
    // Which family does the sample belong to? Histograms own their _bucket/_sum/_count.
    std::string fam = s.name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (ends_with(s.name, suffix)) {
        const std::string base = s.name.substr(0, s.name.size() - suffix.size());
        auto f = families.find(base);
        if (f != families.end() && (f->second.type == "histogram" || f->second.type == "summary")) fam = base;
      }
    }
    const Family& f = families[fam];
    if (f.type == "histogram" && fam != s.name) {
      auto labels = s.labels;
      std::string le;
      labels.erase(std::remove_if(labels.begin(), labels.end(),
                                  [&](const auto& l) { return l.first == "le" ? (le = l.second, true) : false; }),
                   labels.end());
      auto key = std::make_pair(fam, labels);
      auto [it, inserted] = hists.try_emplace(key);
      if (inserted) {
        hist_order.push_back(key);
        it->second.s.kind = Kind::histogram;
        it->second.s.name = fam;
        it->second.s.help = f.help;
        it->second.s.labels = labels;
      }
      Hist& h = it->second;
      // Bucket and total counts are whole numbers; anything else (negative, NaN, past 2^64,
      // which a cast would make undefined) is an error of its line.
      const bool is_sum = ends_with(s.name, "_sum");
      if (!is_sum && !(s.value >= 0 && s.value < 18446744073709551616.0)) {
        out.errors.push_back("line " + std::to_string(line_no) + ": " + s.name +
                             " is not a count (a whole number from 0 to 2^64)");
        continue;
      }
      if (ends_with(s.name, "_bucket")) {
        double bound = 0;
        if (!parse_value(le, bound)) {
          out.errors.push_back("line " + std::to_string(line_no) + ": bucket without a valid le label");
          continue;
        }
        if (std::isinf(bound))
          h.inf = static_cast<uint64_t>(s.value);
        else
          h.s.buckets.emplace_back(bound, static_cast<uint64_t>(s.value));
      } else if (is_sum) {
        h.s.sum = s.value;
      } else {
        h.s.count = static_cast<uint64_t>(s.value);
        h.has_count = true;
      }
      h.s.timestamp_ms = s.timestamp_ms;
      continue;
    }
    s.help = f.help;
    s.kind = f.type == "counter" ? Kind::counter : f.type == "gauge" ? Kind::gauge : Kind::untyped;
    out.samples.push_back(std::move(s));
  }
  for (const auto& key : hist_order) {
    Hist& h = hists[key];
    std::sort(h.s.buckets.begin(), h.s.buckets.end());
    if (!h.has_count) h.s.count = h.inf;
    out.samples.push_back(std::move(h.s));
  }
  return out;
}

}  // namespace vigil::scrape
