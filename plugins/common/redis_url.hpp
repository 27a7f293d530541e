// redis:// URLs for the plugins that talk to Redis, parsed with Boost.URL (the including
// library compiles Boost.URL itself: one `#include <boost/url/src.hpp>` in one of its sources,
// BOOST_URL_NO_LIB defined). Errors are sdk::Error(VIGIL_E_CONFIG) naming the key, the URL with
// its password hidden, and the accepted form.
#pragma once

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <string>
#include <vigil/plugin.hpp>

namespace vigil::redis_url {

using vigil::sdk::Error;

inline constexpr const char* kUrlForm =
    "redis://[[user]:password@]host[:port][/db], e.g. url = \"redis://127.0.0.1:6379/0\"";

// The URL with any user and password replaced by "***", for messages and logs. Cuts at the last
// '@', so a password with an unencoded '/' or '@' in it is hidden too.
inline std::string redacted(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t at = url.rfind('@');
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

struct Target {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
  bool auth = false;  // a password is present (it may be empty: "redis://:@host")
  int db = 0;
};

// Parses `url` as the redis cache backend does (Boost.URL); throws a config error that names
// the key, the (redacted) URL and the accepted form.
inline Target parse_url(const std::string& text) {
  const std::string bad = "\"url\" = \"" + redacted(text) + "\" ";
  auto u = boost::urls::parse_uri(text);
  if (!u) throw Error(VIGIL_E_CONFIG, bad + "is not a URL; write " + kUrlForm);
  std::string scheme(u->scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "rediss")
    throw Error(VIGIL_E_CONFIG, bad + "asks for TLS, which this collector does not speak (hiredis 0.14 has no TLS); " +
                                    "use redis:// to the server or to a local TLS tunnel, e.g. " +
                                    "url = \"redis://127.0.0.1:6379/0\"");
  if (scheme != "redis") throw Error(VIGIL_E_CONFIG, bad + "must start with redis://; write " + kUrlForm);
  Target t;
  if (!u->host_address().empty()) t.host = u->host_address();
  if (u->has_port()) {  // checked as text: port_number() of Boost 1.81 wraps values above 65535
    const std::string port(u->port());
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), t.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || t.port < 1 || t.port > 65535)
      throw Error(VIGIL_E_CONFIG, bad + "has port \"" + port + "\"; the port must be 1-65535, e.g. :6379");
  }
  if (u->has_password()) {
    t.auth = true;
    t.user = u->user();
    t.password = u->password();
  }
  const std::string path(u->path());
  if (path.size() > 1) {
    const std::string db = path.substr(1);
    const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), t.db);
    if (ec != std::errc() || end != db.data() + db.size() || t.db < 0)
      throw Error(VIGIL_E_CONFIG, bad + "names database \"" + db +
                                      "\"; the database after the '/' must be a number, e.g. redis://127.0.0.1:6379/2");
  }
  return t;
}

}  // namespace vigil::redis_url
