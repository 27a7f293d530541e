#include "log/secret_values.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace vigil::log {
namespace {

struct Registry {
  std::shared_mutex mu;
  std::vector<std::string> values;  // guarded by mu, longest first
  std::atomic<bool> any{false};
};

Registry& registry() {
  static auto* r = new Registry();  // immortal: log lines may be written during static destruction
  return *r;
}

void add_one(std::string_view v) {
  if (v.size() < kMinSecretLength) return;
  auto& r = registry();
  std::unique_lock l(r.mu);
  if (std::find(r.values.begin(), r.values.end(), v) != r.values.end()) return;
  r.values.emplace_back(v);
  std::stable_sort(r.values.begin(), r.values.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  r.any = true;
}

}  // namespace

void add_secret(std::string_view value) {
  const auto scheme = value.find("://");
  if (scheme == std::string_view::npos) {
    add_one(value);
    // "Bearer <token>", "Basic <credentials>": the credential alone is as secret as the whole.
    if (const auto space = value.rfind(' '); space != std::string_view::npos) add_one(value.substr(space + 1));
    return;
  }
  // A URL: its scheme and host say where, not how to get in; what follows them is the secret.
  const auto authority = value.substr(scheme + 3);
  const auto path_at = authority.find_first_of("/?#");
  const auto host_part = authority.substr(0, path_at);
  if (path_at != std::string_view::npos) add_one(authority.substr(path_at));
  if (const auto at = host_part.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = host_part.substr(0, at);
    // user:password, or a token alone as the user name (https://TOKEN@host, a Sentry DSN).
    const auto colon = userinfo.find(':');
    add_one(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
  }
}

std::string redact_secrets(std::string_view text) {
  auto& r = registry();
  std::string out(text);
  if (!r.any.load(std::memory_order_acquire)) return out;
  std::shared_lock l(r.mu);
  for (const auto& s : r.values) {
    for (size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + kSecretMark.size()))
      out.replace(at, s.size(), kSecretMark);
  }
  return out;
}

}  // namespace vigil::log
