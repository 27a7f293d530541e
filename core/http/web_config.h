// The web configuration file of Prometheus' exporters (exporter-toolkit's format, the file given
// to `--web.config.file`): TLS for the HTTP server, client certificates, basic-auth users with
// bcrypt hashes, extra response headers and a request rate limit. vigil reads the same file, so
// the tooling and the Prometheus scrape settings (`scheme: https`, `tls_config`, `basic_auth`)
// people already use work unchanged.
//
// Differences, each refused or stated at load: `http2` is accepted and ignored (vigil serves
// HTTP/1.1, which every Prometheus speaks); cipher suites take Go's (IANA) names.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace vigil::http {

// crypto/tls' ClientAuthType, by the names the file uses.
enum class ClientAuth {
  none,                // NoClientCert
  request,             // RequestClientCert: asked for, not verified
  require_any,         // RequireAnyClientCert: required, not verified
  verify_if_given,     // VerifyClientCertIfGiven
  require_and_verify,  // RequireAndVerifyClientCert: the one that authenticates clients
};

struct TlsServerConfig {
  // PEM text, from cert_file/key_file/client_ca_file or inline (cert, key, client_ca).
  std::string cert_pem, key_pem, client_ca_pem;
  std::vector<std::string> watched_files;  // the files read, to notice renewals
  ClientAuth client_auth = ClientAuth::none;
  std::vector<std::string> client_allowed_sans;    // a client certificate must carry one of these SANs
  int min_version = 0x0303, max_version = 0x0304;  // TLS 1.2 .. 1.3 (TLS1_2_VERSION, TLS1_3_VERSION)
  std::vector<std::string> cipher_suites;          // OpenSSL names, translated from IANA's
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;  // OpenSSL group names
};

struct RateLimit {
  std::chrono::nanoseconds interval{0};  // between two requests on average; 0 = off
  int burst = 0;
};

struct WebConfig {
  std::string path;  // the file it came from
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;
  RateLimit rate_limit;
};

// Parses the file's text; `path` names it in errors (path:line:col) and relative file names
// are resolved against its directory, as exporter-toolkit does.
Result<WebConfig> parse_web_config(const std::string& text, const std::string& path);
// Reads (bounded, regular files only) and parses the file at `path`.
Result<WebConfig> load_web_config(const std::string& path);

}  // namespace vigil::http
