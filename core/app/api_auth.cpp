#include "app/api_auth.h"

#include <nlohmann/json.hpp>

#include "base/constant_time.h"

namespace vigil::app {
namespace {

using nlohmann::json;

http::Response refusal(unsigned status, const std::string& error, const std::string& hint) {
  return http::Response{status, "application/json",
                        json{{"status", "error"}, {"error", error}, {"hint", hint}}.dump() + "\n"};
}

}  // namespace

http::Router::Handler guarded(const ApiAuth& auth, std::string action, GuardedHandler handler) {
  return [auth, action = std::move(action), handler = std::move(handler)](const http::Request& r) -> http::Response {
    // A user or client certificate the web config authenticated has full access, as with
    // Prometheus' exporters; the audit names it.
    const bool authenticated = !r.identity.empty();
    if (!authenticated && (!action.empty() || auth.reads_need_token)) {
      auto refuse = [&auth](const char* reason, http::Response response) {
        if (auth.metrics) auth.metrics->api_auth_failure(reason);
        return response;
      };
      if (auth.token.empty())
        return refuse("disabled",
                      refusal(403, "changes through the API are disabled",
                              "set [http] api_token (or api_token_file) and send Authorization: Bearer <token>"));
      const std::string* got = r.header("authorization");
      const std::string given = got && got->rfind("Bearer ", 0) == 0 ? got->substr(7) : "";
      if (!equal_constant_time(given, auth.token))
        return refuse(got ? "wrong" : "missing",
                      refusal(401, got ? "the bearer token is wrong" : "this call needs a bearer token",
                              "send Authorization: Bearer <[http] api_token>"));
    }
    http::Response response = handler(r, authenticated ? r.identity : "api");
    if (!action.empty() && auth.metrics && response.status < 300) {
      const json body = json::parse(r.body, nullptr, false);
      std::string principal = authenticated ? r.identity : "api";
      if (!authenticated && body.is_object()) {
        for (const char* k : {"createdBy", "author"})
          if (body.contains(k) && body[k].is_string() && !body[k].get<std::string>().empty())
            principal = body[k].get<std::string>();
      }
      auth.metrics->api_mutation(principal, action);
    }
    return response;
  };
}

}  // namespace vigil::app
