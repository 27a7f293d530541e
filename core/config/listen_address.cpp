#include "config/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace vigil::config {

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const std::string shown(text);
  const auto bad = [&](const std::string& why) {
    return Status::error("\"listen\" = \"" + shown + "\": " + why +
                         " (write HOST:PORT, e.g. \"127.0.0.1:9479\", \"[::1]:9479\" or \":9479\" for every "
                         "interface; port 0 picks a free port)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("there is no :PORT");
  const std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
    return bad("the port must be a number from 0 to 65535");
  const unsigned long n = std::stoul(std::string(port));
  if (n > 65535) return bad("the port must be a number from 0 to 65535, not " + std::string(port));
  ListenAddress out;
  out.port = static_cast<uint16_t>(n);
  std::string host(text.substr(0, colon));
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty() && !bracketed) {
    out.ip = "0.0.0.0";
    return out;
  }
  if (host == "localhost" && !bracketed) {
    out.ip = "127.0.0.1";
    return out;
  }
  in_addr v4{};
  in6_addr v6{};
  if (!bracketed && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    out.ip = host;
    return out;
  }
  if (bracketed && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    out.ip = host;
    return out;
  }
  if (!bracketed && host.find(':') != std::string::npos) return bad("an IPv6 address needs brackets, e.g. [::1]:9479");
  return bad("\"" + host +
             "\" is not an IP address; use an address such as 127.0.0.1 or 0.0.0.0 (names other than "
             "localhost are not resolved)");
}

}  // namespace vigil::config
