#include "http/web_config.h"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/bounded_read.h"
#include "config/duration.h"

namespace vigil::http {
namespace {

constexpr uint64_t kMaxPemBytes = 1u << 20;

// Thrown inside the parser with a complete message; caught at its entry.
struct WebConfigError {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    const auto slash = path_.rfind('/');
    dir_ = slash == std::string::npos ? "." : path_.substr(0, slash);
  }

  std::string where(const YAML::Node& n) const {
    const auto m = n.Mark();
    if (m.is_null()) return path_;
    return path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    throw WebConfigError{where(n) + ": " + what};
  }

  void only_keys(const YAML::Node& map, const std::string& section, const std::set<std::string>& allowed) const {
    if (!map.IsMap()) fail(map, section + " must be a mapping");
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(kv.first, "unknown field \"" + key + "\" in " + section + " (known: " + list + ")");
      }
    }
  }
  std::string text(const YAML::Node& map, const char* key) const {
    const auto n = map[key];
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) fail(n, std::string("\"") + key + "\" must be a string");
    return n.as<std::string>();
  }
  std::vector<std::string> texts(const YAML::Node& map, const char* key) const {
    std::vector<std::string> out;
    const auto n = map[key];
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, std::string("\"") + key + "\" must be a list of strings");
    for (const auto& e : n) {
      if (!e.IsScalar()) fail(e, std::string("\"") + key + "\" must be a list of strings");
      out.push_back(e.as<std::string>());
    }
    return out;
  }
  bool boolean(const YAML::Node& map, const char* key, bool fallback) const {
    const auto n = map[key];
    if (!n || n.IsNull()) return fallback;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
      fail(n, std::string("\"") + key + "\" must be true or false");
    return v;
  }
  // A PEM given inline (`inline_key`) or as a file (`file_key`), not both.
  std::string pem(const YAML::Node& tls, const char* inline_key, const char* file_key, TlsServerConfig& out) const {
    const std::string given = text(tls, inline_key), file = text(tls, file_key);
    if (!given.empty() && !file.empty())
      fail(tls[file_key], std::string("set either \"") + inline_key + "\" or \"" + file_key + "\", not both");
    if (file.empty()) return given;
    const std::string resolved = file.front() == '/' ? file : dir_ + "/" + file;
    auto content = config::read_bounded_file(resolved, kMaxPemBytes, file_key);
    if (!content.ok()) fail(tls[file_key], content.message());
    out.watched_files.push_back(resolved);
    return *content;
  }

 private:
  std::string path_, dir_;
};

int tls_version(const Reader& r, const YAML::Node& n, const std::string& v) {
  static const std::map<std::string, int> kVersions = {
      {"TLS10", TLS1_VERSION}, {"TLS11", TLS1_1_VERSION}, {"TLS12", TLS1_2_VERSION}, {"TLS13", TLS1_3_VERSION}};
  const auto it = kVersions.find(v);
  if (it == kVersions.end()) r.fail(n, "unknown TLS version \"" + v + "\" (TLS10, TLS11, TLS12 or TLS13)");
  return it->second;
}

TlsServerConfig read_tls(const Reader& r, const YAML::Node& tls) {
  r.only_keys(
      tls, "tls_server_config",
      {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file", "client_allowed_sans",
       "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites", "curve_preferences"});
  TlsServerConfig c;
  c.cert_pem = r.pem(tls, "cert", "cert_file", c);
  c.key_pem = r.pem(tls, "key", "key_file", c);
  c.client_ca_pem = r.pem(tls, "client_ca", "client_ca_file", c);
  if (c.cert_pem.empty() != c.key_pem.empty())
    r.fail(tls, c.cert_pem.empty() ? "a key is set without a certificate (set cert_file)"
                                   : "a certificate is set without its key (set key_file)");
  if (c.cert_pem.empty()) r.fail(tls, "tls_server_config needs cert_file and key_file (or cert and key)");

  static const std::map<std::string, ClientAuth> kAuth = {
      {"NoClientCert", ClientAuth::none},
      {"RequestClientCert", ClientAuth::request},
      {"RequireAnyClientCert", ClientAuth::require_any},
      {"VerifyClientCertIfGiven", ClientAuth::verify_if_given},
      {"RequireAndVerifyClientCert", ClientAuth::require_and_verify}};
  if (const auto a = r.text(tls, "client_auth_type"); !a.empty()) {
    const auto it = kAuth.find(a);
    if (it == kAuth.end())
      r.fail(tls["client_auth_type"], "unknown client_auth_type \"" + a +
                                          "\" (NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                          "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
    c.client_auth = it->second;
  }
  const bool verifies = c.client_auth == ClientAuth::verify_if_given || c.client_auth == ClientAuth::require_and_verify;
  if (verifies && c.client_ca_pem.empty())
    r.fail(tls, "client_auth_type " + r.text(tls, "client_auth_type") +
                    " verifies client certificates: set client_ca_file to the CA that issues them");
  if (!c.client_ca_pem.empty() && c.client_auth == ClientAuth::none)
    r.fail(tls,
           "client_ca_file is set but client_auth_type is NoClientCert: set client_auth_type: "
           "RequireAndVerifyClientCert to authenticate clients by certificate");
  c.client_allowed_sans = r.texts(tls, "client_allowed_sans");
  // Only a verified certificate's SANs mean anything: anyone can make one with any SAN.
  if (!c.client_allowed_sans.empty() && c.client_auth != ClientAuth::require_and_verify)
    r.fail(tls["client_allowed_sans"], "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert");
  if (const auto v = r.text(tls, "min_version"); !v.empty()) c.min_version = tls_version(r, tls["min_version"], v);
  if (const auto v = r.text(tls, "max_version"); !v.empty()) c.max_version = tls_version(r, tls["max_version"], v);
  if (c.min_version > c.max_version) r.fail(tls, "min_version is above max_version");
  for (const auto& suite : r.texts(tls, "cipher_suites")) {
    const char* name = OPENSSL_cipher_name(suite.c_str());
    if (!name || std::string(name) == "(NONE)" || suite.rfind("TLS_", 0) != 0 ||
        suite.find("_WITH_") == std::string::npos)
      r.fail(tls["cipher_suites"],
             "unknown cipher suite \"" + suite +
                 "\" (IANA names of TLS 1.2 suites, e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; "
                 "TLS 1.3 suites are not configurable)");
    c.cipher_suites.emplace_back(name);
  }
  c.prefer_server_cipher_suites = r.boolean(tls, "prefer_server_cipher_suites", true);
  static const std::map<std::string, std::string> kCurves = {
      {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
  for (const auto& curve : r.texts(tls, "curve_preferences")) {
    const auto it = kCurves.find(curve);
    if (it == kCurves.end())
      r.fail(tls["curve_preferences"], "unknown curve \"" + curve + "\" (CurveP256, CurveP384, CurveP521 or X25519)");
    c.curve_preferences.push_back(it->second);
  }
  return c;
}

void read_http_server(const Reader& r, const YAML::Node& n, WebConfig& out) {
  r.only_keys(n, "http_server_config", {"http2", "headers"});
  (void)r.boolean(n, "http2", true);  // HTTP/1.1 only; accepted so shared files load
  const auto headers = n["headers"];
  if (!headers || headers.IsNull()) return;
  r.only_keys(headers, "http_server_config.headers",
              {"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection",
               "Strict-Transport-Security"});
  for (const auto& kv : headers) {
    const auto name = kv.first.as<std::string>();
    if (!kv.second.IsScalar()) r.fail(kv.second, "header " + name + " must be a string");
    const auto value = kv.second.as<std::string>();
    if (value.empty()) continue;  // blank: unset
    if (name == "X-Frame-Options" && value != "deny" && value != "sameorigin")
      r.fail(kv.second, "X-Frame-Options must be deny or sameorigin");
    if (name == "X-Content-Type-Options" && value != "nosniff")
      r.fail(kv.second, "X-Content-Type-Options must be nosniff");
    if (value.find_first_of("\r\n") != std::string::npos) r.fail(kv.second, "header " + name + " holds a line break");
    out.headers.emplace_back(name, value);
  }
}

}  // namespace

Result<WebConfig> parse_web_config(const std::string& text, const std::string& path) {
  Reader r(path);
  WebConfig out;
  out.path = path;
  try {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      const std::string where =
          e.mark.is_null() ? path
                           : path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
      return Status::error(where + ": invalid YAML: " + e.msg);
    }
    if (!root || root.IsNull()) return out;  // an empty file: plain HTTP, no authentication
    r.only_keys(root, "the web config", {"tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"});
    if (const auto tls = root["tls_server_config"]; tls && !tls.IsNull()) out.tls = read_tls(r, tls);
    if (const auto hs = root["http_server_config"]; hs && !hs.IsNull()) read_http_server(r, hs, out);
    if (const auto users = root["basic_auth_users"]; users && !users.IsNull()) {
      if (!users.IsMap()) r.fail(users, "basic_auth_users must map user names to bcrypt hashes");
      for (const auto& kv : users) {
        const auto user = kv.first.as<std::string>();
        const auto hash = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
        const bool bcrypt = hash.size() == 60 &&
                            (hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0);
        if (!bcrypt)
          r.fail(kv.second, "the password of user \"" + user +
                                "\" is not a bcrypt hash (make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n')");
        if (user.empty() || user.find(':') != std::string::npos)
          r.fail(kv.first, "a user name must be non-empty and without ':'");
        out.basic_auth_users[user] = hash;
      }
    }
    if (const auto rl = root["rate_limit"]; rl && !rl.IsNull()) {
      r.only_keys(rl, "rate_limit", {"interval", "burst"});
      if (const auto iv = r.text(rl, "interval"); !iv.empty()) {
        auto d = config::parse_duration(iv);
        if (!d.ok()) r.fail(rl["interval"], d.message());
        out.rate_limit.interval = *d;
      }
      if (const auto b = rl["burst"]; b && !b.IsNull()) {
        int burst = 0;
        if (!b.IsScalar() || !YAML::convert<int>::decode(b, burst) || burst < 0)
          r.fail(b, "burst must be a whole number of requests, 0 or more");
        out.rate_limit.burst = burst;
      }
      if (out.rate_limit.interval.count() > 0 && out.rate_limit.burst < 1)
        r.fail(rl, "rate_limit needs a burst of at least 1 request with a non-zero interval");
    }
  } catch (const WebConfigError& e) {
    return Status::error(e.message);
  } catch (const YAML::Exception& e) {
    return Status::error(path + ": " + e.what());
  }
  return out;
}

Result<WebConfig> load_web_config(const std::string& path) {
  auto text = config::read_bounded_file(path, config::kMaxConfigFileBytes, "web config file");
  if (!text.ok()) return text.status();
  return parse_web_config(*text, path);
}

}  // namespace vigil::http
