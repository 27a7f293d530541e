#include "http/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace vigil::http {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string openssl_error() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate of a PEM text, in order.
std::vector<X509Ptr> certificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  auto bio = memory_bio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  return out;
}

// Accepts whatever certificate a client sends (RequestClientCert, RequireAnyClientCert).
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

}  // namespace

Result<SslCtxPtr> make_server_context(const TlsServerConfig& tls, const std::string& config_path) {
  ERR_clear_error();
  auto fail = [&config_path](const std::string& what) {
    return Status::error(config_path + ": tls_server_config: " + what + ": " + openssl_error());
  };
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail("cannot create a TLS context");
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                     (tls.prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  if (!SSL_CTX_set_min_proto_version(ctx.get(), tls.min_version) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), tls.max_version))
    return fail("unsupported TLS versions");

  auto chain = certificates(tls.cert_pem);
  if (chain.empty())
    return Status::error(config_path + ": tls_server_config: the certificate holds no PEM certificate");
  if (SSL_CTX_use_certificate(ctx.get(), chain.front().get()) != 1) return fail("the certificate is not usable");
  for (size_t i = 1; i < chain.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1)
      return fail("an intermediate certificate is not usable");
  {
    auto bio = memory_bio(tls.key_pem);
    std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return fail("the key is not a PEM private key (an encrypted key is not supported)");
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1)
      return fail("the key does not belong to the certificate, or is not usable");
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) return fail("the key does not belong to the certificate");

  if (!tls.cipher_suites.empty()) {
    std::string list;
    for (const auto& s : tls.cipher_suites) list += (list.empty() ? "" : ":") + s;
    if (SSL_CTX_set_cipher_list(ctx.get(), list.c_str()) != 1) return fail("cipher_suites");
  }
  if (!tls.curve_preferences.empty()) {
    std::string list;
    for (const auto& c : tls.curve_preferences) list += (list.empty() ? "" : ":") + c;
    if (SSL_CTX_set1_groups_list(ctx.get(), list.c_str()) != 1) return fail("curve_preferences");
  }

  if (!tls.client_ca_pem.empty()) {
    auto cas = certificates(tls.client_ca_pem);
    if (cas.empty()) return Status::error(config_path + ": tls_server_config: the client CA holds no PEM certificate");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (const auto& ca : cas) {
      if (X509_STORE_add_cert(store, ca.get()) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return fail("the client CA is not usable");
      }
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names);  // takes ownership
  }
  switch (tls.client_auth) {
    case ClientAuth::none: SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr); break;
    case ClientAuth::request: SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, accept_any); break;
    case ClientAuth::require_any:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
      break;
    case ClientAuth::verify_if_given: SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr); break;
    case ClientAuth::require_and_verify:
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Session resumption within this context only; a reload starts afresh.
  static const unsigned char kSessionId[] = "vigil";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionId, sizeof kSessionId - 1);
  return ctx;
}

double seconds_to_expiry(const TlsServerConfig& tls) {
  auto chain = certificates(tls.cert_pem);
  if (chain.empty()) return 0;
  int days = 0, secs = 0;
  if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(chain.front().get())) != 1) return 0;
  return days * 86400.0 + secs;
}

std::string client_identity(SSL* ssl) {
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn) < 0) cn[0] = 0;
  return std::string("cert:") + (cn[0] ? cn : "unnamed");
}

bool client_san_allowed(SSL* ssl, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return false;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (!sans) return false;
  bool ok = false;
  for (int i = 0; !ok && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    std::string value;
    if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.ia5;
      value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int length = ASN1_STRING_length(ip);
      if (length == 4 || length == 16)
        if (inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof text)) value = text;
    }
    for (const auto& a : allowed) ok = ok || (!value.empty() && value == a);
  }
  GENERAL_NAMES_free(sans);
  return ok;
}

}  // namespace vigil::http
