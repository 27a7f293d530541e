// The web config file (exporter-toolkit's format): what it accepts, and each mistake refused with
// where it is and how to fix it.
#include "http/web_config.h"

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <string>

#include "http/basic_auth.h"
#include "http/tls_context.h"

using namespace vigil::http;

namespace {

// Absolute: the web config resolves relative names against its own directory. ctest runs the
// tests in the build directory, one level below the sources.
std::string pki() {
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  return std::filesystem::absolute(std::string(src ? src : "..") + "/tests/fixtures/tls/web").lexically_normal();
}

std::string error_of(const std::string& text) {
  auto r = parse_web_config(text, "/etc/vigil/web.yml");
  return r.ok() ? "accepted" : r.message();
}

bool contains(const std::string& h, const std::string& n) {
  return h.find(n) != std::string::npos;
}

constexpr const char* kHash = "$2b$10$hsGAd5/gsNBCfYm5Tiqg2.6CXSXCozUAQCtbF2zT/YoooCODYr4o6";  // "s3cret-pass"

}  // namespace

TEST_CASE("a web config loads TLS, client certificates, users, headers and a rate limit", "[http]") {
  const std::string text =
      "tls_server_config:\n  cert_file: " + pki() + "/server.pem\n  key_file: " + pki() +
      "/server-key.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: " + pki() +
      "/ca.pem\n  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"
      "  curve_preferences: [X25519, CurveP256]\n  client_allowed_sans: [prometheus]\n"
      "http_server_config:\n  http2: true\n  headers:\n    Strict-Transport-Security: max-age=3600\n"
      "basic_auth_users:\n  prom: " +
      kHash + "\nrate_limit:\n  interval: 10ms\n  burst: 20\n";
  auto cfg = parse_web_config(text, "/etc/vigil/web.yml");
  INFO((cfg.ok() ? std::string() : cfg.message()));
  REQUIRE(cfg.ok());
  REQUIRE(cfg->tls);
  CHECK(cfg->tls->client_auth == ClientAuth::require_and_verify);
  CHECK(cfg->tls->min_version == 0x0304);
  CHECK(cfg->tls->cipher_suites == std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256"});
  CHECK(cfg->tls->curve_preferences == std::vector<std::string>{"X25519", "P-256"});
  CHECK(cfg->tls->watched_files.size() == 3);
  CHECK(cfg->basic_auth_users.at("prom") == kHash);
  CHECK(cfg->headers.size() == 1);
  CHECK(cfg->rate_limit.burst == 20);
  CHECK(make_server_context(*cfg->tls, cfg->path).ok());
  CHECK(parse_web_config("", "w.yml").ok());  // empty: plain HTTP
}

TEST_CASE("web config mistakes are refused with file, line and column", "[http][hostile]") {
  CHECK(error_of("tls_server_config:\n  cert_fil: x\n") ==
        "/etc/vigil/web.yml:2:3: unknown field \"cert_fil\" in tls_server_config (known: cert, cert_file, "
        "cipher_suites, client_allowed_sans, client_auth_type, client_ca, client_ca_file, curve_preferences, key, "
        "key_file, max_version, min_version, prefer_server_cipher_suites)");
  CHECK(contains(error_of("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: k\n"),
                 "/etc/vigil/web.yml:2:14: "));
  CHECK(contains(error_of("tls_server_config:\n  key: abc\n"), "a key is set without a certificate"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: Maybe\n"),
                 ":4:21: unknown client_auth_type \"Maybe\""));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: RequireAndVerifyClientCert\n"),
                 "set client_ca_file"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  client_ca: c\n"),
                 "client_auth_type is NoClientCert"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  min_version: SSL3\n"), "unknown TLS version"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  min_version: TLS13\n  max_version: TLS12\n"),
                 "min_version is above max_version"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
                 "TLS 1.3 suites are not configurable"));
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  curve_preferences: [P256]\n"), "unknown curve"));
  // SANs of an unverified certificate prove nothing: anyone can make one.
  CHECK(contains(error_of("tls_server_config:\n  cert: a\n  key: b\n  client_auth_type: RequireAnyClientCert\n"
                          "  client_allowed_sans: [prometheus]\n"),
                 "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert"));
  CHECK(contains(error_of("basic_auth_users:\n  prom: plaintext\n"),
                 ":2:9: the password of user \"prom\" is not a bcrypt hash"));
  CHECK(contains(error_of("http_server_config:\n  headers:\n    Set-Cookie: x\n"), "unknown field \"Set-Cookie\""));
  CHECK(contains(error_of("http_server_config:\n  headers:\n    X-Frame-Options: allow\n"), "deny or sameorigin"));
  CHECK(contains(error_of("rate_limit:\n  interval: 1s\n  burst: 0\n"), "burst of at least 1"));
  CHECK(contains(error_of("rate_limit:\n  interval: soon\n"), "/etc/vigil/web.yml:2:13: "));
  CHECK(contains(error_of("tls_server_config: [\n"), "invalid YAML"));
  CHECK(contains(error_of("- a\n- b\n"), "the web config must be a mapping"));
  CHECK(contains(error_of("tls_server_config:\n  cert_file: [a]\n"), "\"cert_file\" must be a string"));
  // A key that does not belong to the certificate.
  auto mismatched = parse_web_config(
      "tls_server_config:\n  cert_file: " + pki() + "/server.pem\n  key_file: " + pki() + "/client-key.pem\n",
      "/etc/vigil/web.yml");
  REQUIRE(mismatched.ok());
  auto ctx = make_server_context(*mismatched->tls, mismatched->path);
  REQUIRE_FALSE(ctx.ok());
  CHECK(contains(ctx.message(), "the key does not belong to the certificate"));
}

TEST_CASE("basic auth checks bcrypt once, then answers from its cache; garbage headers are refused",
          "[http][hostile]") {
  BasicAuth auth(std::map<std::string, std::string>{{"prom", kHash}});
  const std::string good = "Basic cHJvbTpzM2NyZXQtcGFzcw==";  // prom:s3cret-pass
  CHECK_FALSE(auth.cached(&good));
  CHECK(auth.verify(&good) == std::optional<std::string>("prom"));
  CHECK(auth.cached(&good) == std::optional<std::string>("prom"));
  const std::string wrong = "Basic cHJvbTp3cm9uZw==";  // prom:wrong
  CHECK_FALSE(auth.verify(&wrong));
  CHECK_FALSE(auth.cached(&wrong));
  for (const std::string bad : {"Bearer abc", "Basic", "Basic !!!!", "Basic bm9jb2xvbg==", "Basic =", "basic"}) {
    CHECK_FALSE(auth.verify(&bad));
  }
  CHECK_FALSE(auth.verify(nullptr));
}
