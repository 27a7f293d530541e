// An OpenSSL server context from a web config's tls_server_config, and what a handshake's
// client certificate says (its identity and whether its SANs are allowed).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "base/status.h"
#include "http/web_config.h"

namespace vigil::http {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The context: certificate chain and key (checked to match), versions, suites, curves and the
// client-certificate policy. Errors name the web config file and OpenSSL's reason.
Result<SslCtxPtr> make_server_context(const TlsServerConfig& tls, const std::string& config_path);

// Seconds until the server certificate of `tls` expires (negative: expired); for a warning.
double seconds_to_expiry(const TlsServerConfig& tls);

// The verified client certificate of `ssl` as "cert:<subject CN>" ("" when none was verified),
// and whether one of its SANs (DNS, IP, e-mail, URI) is in `allowed` (true when `allowed` is empty).
std::string client_identity(SSL* ssl);
bool client_san_allowed(SSL* ssl, const std::vector<std::string>& allowed);

}  // namespace vigil::http
