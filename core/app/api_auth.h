// The API's token check, shared by every JSON route: changes always need
// `Authorization: Bearer <[http] api_token>` (compared in constant time); reads need it only
// with [http] read_requires_token. A request the web config authenticated (a basic-auth user,
// a verified client certificate: Request::identity) needs no token and acts as that identity.
// Refusals are JSON errors that say how to send the token, counted in
// vigil_api_auth_failures_total; each change that succeeds is counted by its principal.
#pragma once

#include <functional>
#include <string>

#include "http/http_server.h"
#include "metrics/agent_metrics.h"

namespace vigil::app {

struct ApiAuth {
  std::string token;  // "" = mutations refused
  bool reads_need_token = false;
  metrics::AgentMetrics* metrics = nullptr;  // counts refusals and changes when set
};

// `handler` gets the request and the principal ("api", the token's holder). `action` names a
// change ("" for a read); a change's principal in the metrics is the author its body names
// (createdBy, author), else "api".
using GuardedHandler = std::function<http::Response(const http::Request&, const std::string& principal)>;
http::Router::Handler guarded(const ApiAuth& auth, std::string action, GuardedHandler handler);

}  // namespace vigil::app
