// The API's token check, shared by every JSON route. A request presents
// `Authorization: Bearer TOKEN`; the token is one of [[http.tokens]] (or [http] api_token, named
// "api", with every scope) and must hold the scope its route needs: `ingest` to post alerts,
// `write` for every other change, `read` for reads when [http] read_requires_token is set (reads
// are open otherwise). Tokens are compared in constant time, all of them every time.
// A request the web config authenticated (a basic-auth user, a verified client certificate:
// Request::identity) needs no token and has every scope, as with Prometheus' exporters.
// The principal of a request ("token:NAME", "user:NAME", "cert:CN") is who the audit names:
// vigil_api_mutations_total and the history record it, never an author a body claims.
// Refusals are JSON errors that say what to send, counted in vigil_api_auth_failures_total.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/settings.h"
#include "http/http_server.h"
#include "metrics/agent_metrics.h"

namespace vigil::app {

enum ApiScope : unsigned { kScopeRead = 1, kScopeWrite = 2, kScopeIngest = 4 };

struct ApiToken {
  std::string name;
  std::string secret;
  unsigned scopes = 0;  // ApiScope bits
};

struct ApiAuth {
  std::vector<ApiToken> tokens;  // none: changes are refused
  bool reads_need_token = false;
  metrics::AgentMetrics* metrics = nullptr;  // counts refusals and changes when set
};

// The tokens of [http]: api_token (or api_token_file) as "api", then [[http.tokens]], their files
// read and each secret registered for redaction. Two tokens with one secret are refused (the
// audit could not tell their holders apart).
Result<std::vector<ApiToken>> api_tokens(const config::HttpSettings& http);

// `handler` gets the request and its principal. `action` names a change ("alerts_post" needs
// the ingest scope, any other the write scope) or is "" for a read.
using GuardedHandler = std::function<http::Response(const http::Request&, const std::string& principal)>;
http::Router::Handler guarded(const ApiAuth& auth, std::string action, GuardedHandler handler);

}  // namespace vigil::app
