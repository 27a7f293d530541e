#pragma once
// [http] listen = "HOST:PORT": read once, by `vigil check` and by the server alike, so what
// check accepts is what the server binds.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::config {

struct ListenAddress {
  std::string ip;  // an IP literal without brackets: "127.0.0.1", "::1", "0.0.0.0" for an empty host
  uint16_t port = 0;
};

// HOST is empty (every interface), an IPv4 literal, an IPv6 literal in brackets, or "localhost"
// (127.0.0.1); PORT is 0..65535 (0 picks a free port). Host names are not resolved: a listener
// must not depend on DNS at start-up.
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace vigil::config
