#include "app/api_auth.h"

#include <nlohmann/json.hpp>

#include "app/token_file.h"
#include "base/constant_time.h"
#include "log/secret_values.h"

namespace vigil::app {
namespace {

using nlohmann::json;

http::Response refusal(unsigned status, const std::string& error, const std::string& hint) {
  return http::Response{status, "application/json",
                        json{{"status", "error"}, {"error", error}, {"hint", hint}}.dump() + "\n"};
}

const char* scope_name(unsigned scope) {
  return scope == kScopeIngest ? "ingest" : scope == kScopeWrite ? "write" : "read";
}

// The token whose secret is `given`, or null. Every token is compared, so the time taken does
// not tell which one (or how much of one) matched.
const ApiToken* token_for(const std::vector<ApiToken>& tokens, const std::string& given) {
  const ApiToken* found = nullptr;
  for (const auto& t : tokens)
    if (equal_constant_time(given, t.secret)) found = &t;
  return found;
}

}  // namespace

Result<std::vector<ApiToken>> api_tokens(const config::HttpSettings& http) {
  std::vector<ApiToken> out;
  if (!http.api_token.empty()) {
    out.push_back({"api", http.api_token, kScopeRead | kScopeWrite | kScopeIngest});
  } else if (!http.api_token_file.empty()) {
    auto secret = read_token_file(http.api_token_file, "[http] api_token_file", config::FileSource::regular_only);
    if (!secret.ok()) return Status::error(secret.message());
    out.push_back({"api", std::move(secret.value()), kScopeRead | kScopeWrite | kScopeIngest});
  }
  for (const auto& t : http.tokens) {
    ApiToken token{t.name, t.token, 0};
    if (!t.token_file.empty()) {
      auto secret = read_token_file(t.token_file, t.where + ": [[http.tokens]] \"" + t.name + "\" token_file",
                                    config::FileSource::regular_only);
      if (!secret.ok()) return Status::error(secret.message());
      token.secret = std::move(secret.value());
    }
    if (token.secret.empty())
      return Status::error(t.where + ": [[http.tokens]] \"" + t.name + "\" has an empty token; set one");
    for (const auto& s : t.scopes)
      token.scopes |= s == "read" ? kScopeRead : s == "write" ? kScopeWrite : s == "ingest" ? kScopeIngest : 0u;
    for (const auto& o : out)
      if (o.secret == token.secret)
        return Status::error(t.where + ": [[http.tokens]] \"" + t.name + "\" has the same token as \"" + o.name +
                             "\"; give each holder a token of its own");
    out.push_back(std::move(token));
  }
  for (const auto& t : out) log::add_secret(t.secret);
  return out;
}

http::Router::Handler guarded(const ApiAuth& auth, std::string action, GuardedHandler handler) {
  const unsigned needed = action.empty() ? kScopeRead : action == "alerts_post" ? kScopeIngest : kScopeWrite;
  return [auth, action = std::move(action), handler = std::move(handler),
          needed](const http::Request& r) -> http::Response {
    std::string principal = r.identity;  // authenticated by the web config: every scope
    if (principal.empty() && (!action.empty() || auth.reads_need_token)) {
      auto refuse = [&auth](const char* reason, http::Response response) {
        if (auth.metrics) auth.metrics->api_auth_failure(reason);
        return response;
      };
      if (auth.tokens.empty())
        return refuse("disabled",
                      refusal(403,
                              action.empty() ? "reads through the API need a token, and none is configured"
                                             : "changes through the API are disabled",
                              "add a [[http.tokens]] table (or [http] api_token) and send Authorization: Bearer "
                              "<token>"));
      const std::string* got = r.header("authorization");
      const std::string given = got && got->rfind("Bearer ", 0) == 0 ? got->substr(7) : "";
      const ApiToken* token = token_for(auth.tokens, given);
      if (!token)
        return refuse(got ? "wrong" : "missing",
                      refusal(401, got ? "the bearer token is wrong" : "this call needs a bearer token",
                              "send Authorization: Bearer <token of [[http.tokens]] or [http] api_token>"));
      if (!(token->scopes & needed))
        return refuse(
            "scope",
            refusal(403,
                    "the token \"" + token->name + "\" lacks the scope \"" + scope_name(needed) + "\" this call needs",
                    std::string("add \"") + scope_name(needed) + "\" to its scopes in [[http.tokens]]"));
      principal = "token:" + token->name;
    }
    http::Response response = handler(r, principal.empty() ? "anonymous" : principal);
    if (!action.empty() && auth.metrics && response.status < 300) auth.metrics->api_mutation(principal, action);
    return response;
  };
}

}  // namespace vigil::app
