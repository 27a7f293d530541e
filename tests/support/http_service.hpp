// vigil.http/1 and vigil.smtp/1 for plugin tests, over the host's real clients (net::HttpClient
// and net::send_mail), as the agent provides them; hand them to FakeHost::provide_service.
#pragma once

#include <vigil/plugin.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "net/http_client.h"
#include "net/smtp_client.h"

namespace vigil::testing {

inline std::string test_str(vigil_str s) {
  return s.ptr ? std::string(s.ptr, s.len) : std::string();
}

inline vigil_status test_http_request(vigil_ctx*, const vigil_http_call* call, vigil_http_response* out,
                                      vigil_writer* body) {
  net::HttpRequest req;
  req.method = test_str(call->method);
  req.url = test_str(call->url);
  for (size_t i = 0; i < call->n_headers; ++i)
    req.headers.emplace_back(test_str(call->headers[i].name), test_str(call->headers[i].value));
  req.body.assign(static_cast<const char*>(call->body), call->body_len);
  if (call->timeout_ns > 0) req.timeout = std::chrono::milliseconds(std::max<int64_t>(1, call->timeout_ns / 1000000));
  auto r = net::HttpClient::shared().perform(req);
  if (r.error == net::TransportError::timeout) return VIGIL_E_TIMEOUT;
  if (r.error != net::TransportError::none) return VIGIL_E_UNAVAILABLE;
  out->status_code = r.response.status;
  out->retry_after_ms = r.response.retry_after.count();
  if (body) body->append(body, r.response.body.data(), r.response.body.size());
  return VIGIL_OK;
}

inline vigil_status test_smtp_send(vigil_ctx*, const vigil_smtp_message* m) {
  net::SmtpMessage msg;
  msg.url = test_str(m->url);
  msg.username = test_str(m->username);
  msg.password = test_str(m->password);
  msg.from = test_str(m->from);
  for (size_t i = 0; i < m->n_to; ++i) msg.to.push_back(test_str(m->to[i]));
  msg.message = test_str(m->message);
  msg.allow_plaintext = m->allow_plaintext != 0;
  auto r = net::send_mail(msg);
  if (r.result == net::SmtpOutcome::Result::sent) return VIGIL_OK;
  return r.result == net::SmtpOutcome::Result::temporary ? VIGIL_E_UNAVAILABLE : VIGIL_E_INVALID;
}

inline const vigil_http_client_v1 kTestHttpService = {sizeof(vigil_http_client_v1), test_http_request};
inline const vigil_smtp_client_v1 kTestSmtpService = {sizeof(vigil_smtp_client_v1), test_smtp_send};

}  // namespace vigil::testing
