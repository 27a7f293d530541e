// SmtpClient: sends one message over SMTP with libcurl. smtps:// is implicit TLS (port 465);
// smtp:// requires STARTTLS before AUTH unless plaintext is allowed explicitly (loopback test
// servers). Server certificates are verified.
//
// Thread-safe: each send uses its own connection.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "net/http_client.h"

namespace vigil::net {

struct SmtpMessage {
  std::string url;  // smtp://host:587 or smtps://host:465
  std::string username, password;
  std::string from;
  std::vector<std::string> to;
  std::string message;  // complete RFC 5322 text, CRLF line ends
  bool allow_plaintext = false;
  std::chrono::milliseconds timeout{30000};
};

struct SmtpOutcome {
  enum class Result { sent, temporary, permanent };
  Result result = Result::sent;
  std::string message;
};

SmtpOutcome send_mail(const SmtpMessage& m);

}  // namespace vigil::net
