// HTTP basic authentication against bcrypt hashes (a web config's basic_auth_users).
//
// bcrypt is slow by design (~70 ms at cost 10), so a successful check is remembered by a digest
// of the credentials: the next request with them costs a hash lookup (cached() on the I/O
// thread), while a wrong password always pays bcrypt (verify(), on a worker). An unknown user is
// checked against a dummy hash, so timing does not tell which users exist.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace vigil::http {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

  bool enabled() const { return !users_.empty(); }
  // The user, when `authorization` (the header's value, or nullptr) holds credentials that
  // passed verify() before; nullopt otherwise.
  std::optional<std::string> cached(const std::string* authorization);
  // The user, when `authorization` holds a known user's right password (bcrypt); nullopt otherwise.
  std::optional<std::string> verify(const std::string* authorization);

 private:
  const std::map<std::string, std::string> users_;  // user -> bcrypt hash
  std::mutex mu_;
  std::set<std::string> good_;  // digests of credentials that verified; guarded by mu_
};

}  // namespace vigil::http
