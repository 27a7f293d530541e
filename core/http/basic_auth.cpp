#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>
#include <memory>
#include <vector>

#include "base/constant_time.h"

namespace vigil::http {
namespace {

struct Credentials {
  std::string user, password;
};

std::optional<Credentials> parse(const std::string* authorization) {
  if (!authorization || authorization->size() < 7) return std::nullopt;
  std::string scheme = authorization->substr(0, 6);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic ") return std::nullopt;
  std::string b64 = authorization->substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.erase(0, 1);
  while (!b64.empty() && b64.back() == ' ') b64.pop_back();
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 4096) return std::nullopt;
  std::vector<unsigned char> raw(b64.size() / 4 * 3 + 1);
  const int n =
      EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  for (size_t i = b64.size(); i > 0 && b64[i - 1] == '=' && len > 0; --i) --len;
  const std::string text(reinterpret_cast<const char*>(raw.data()), len);
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

std::string digest(const Credentials& c) {
  const std::string joined = c.user + '\0' + c.password;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

// A bcrypt hash of a random password, checked for unknown users so they cost the same time.
constexpr const char* kDummyHash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

}  // namespace

std::optional<std::string> BasicAuth::cached(const std::string* authorization) {
  const auto c = parse(authorization);
  if (!c) return std::nullopt;
  std::lock_guard lock(mu_);
  if (!good_.count(digest(*c))) return std::nullopt;
  return c->user;
}

std::optional<std::string> BasicAuth::verify(const std::string* authorization) {
  const auto c = parse(authorization);
  if (!c) return std::nullopt;
  const auto it = users_.find(c->user);
  const std::string& hash = it == users_.end() ? std::string(kDummyHash) : it->second;
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(c->password.c_str(), hash.c_str(), data.get());
  const bool ok = it != users_.end() && out && equal_constant_time(out, hash);
  if (!ok) return std::nullopt;
  std::lock_guard lock(mu_);
  if (good_.size() < 10000) good_.insert(digest(*c));
  return c->user;
}

}  // namespace vigil::http
