#include "alerting/alert.h"

#include <cstdio>

namespace vigil::alerting {

uint64_t fingerprint(const LabelSet& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = kOffset;
  auto add = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= kPrime;
    }
    h ^= 0xff;
    h *= kPrime;
  };
  for (const auto& [name, value] : labels) {
    add(name);
    add(value);
  }
  return h;
}

std::string fingerprint_hex(uint64_t fp) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fp));
  return buf;
}

const std::string* Alert::label(const std::string& name) const {
  for (const auto& [k, v] : labels)
    if (k == name) return &v;
  return nullptr;
}

Alert merge(const Alert& older, const Alert& newer, Time now) {
  const Alert* a = &older;
  const Alert* o = &newer;
  if (o->updated_at < a->updated_at) std::swap(a, o);  // o is the younger report
  Alert res = *o;
  if (a->starts_at < o->starts_at) res.starts_at = a->starts_at;
  if (o->resolved(now)) {
    if (a->resolved(now) && a->ends_at > o->ends_at) res.ends_at = a->ends_at;  // latest explicit end
  } else if (a->ends_at > o->ends_at && !a->timeout) {
    res.ends_at = a->ends_at;  // a non-timeout end wins if it is the latest
  }
  return res;
}

int64_t to_ms(Time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Time from_ms(int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}

std::string label_set_text(const LabelSet& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ", ";
    out += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace vigil::alerting
