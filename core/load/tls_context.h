// The TLS client context of https and wss runs, and TLS errors in words. Internal to the two
// engine translation units that include Asio (http_load.cpp, ws_load.cpp).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "base/status.h"
#include "load/http_load.h"

namespace vigil::load {

// Verification against the system's CAs and options.tls_ca_file, unless tls_skip_verify.
Result<std::unique_ptr<boost::asio::ssl::context>> make_tls_context(const LoadOptions& options);

// A connect or handshake error for a person: "timed out", "TLS: certificate verify failed".
std::string describe_connect_error(const boost::system::error_code& ec);

}  // namespace vigil::load
