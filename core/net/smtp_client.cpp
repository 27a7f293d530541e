#include "net/smtp_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

namespace vigil::net {
namespace {

struct Reader {
  const std::string* text;
  size_t pos = 0;
};

size_t read_message(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t len = std::min(size * n, r->text->size() - r->pos);
  std::memcpy(buf, r->text->data() + r->pos, len);
  r->pos += len;
  return len;
}

}  // namespace

SmtpOutcome send_mail(const SmtpMessage& m) {
  SmtpOutcome out;
  (void)HttpClient::shared();  // initialises libcurl once for the process
  CURL* h = curl_easy_init();
  if (!h) return {SmtpOutcome::Result::temporary, "cannot create an SMTP session (out of memory)"};
  Reader reader{&m.message};
  curl_slist* rcpt = nullptr;
  for (const auto& t : m.to) rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
  const std::string from = "<" + m.from + ">";
  curl_easy_setopt(h, CURLOPT_URL, m.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(m.timeout.count()));
  curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(m.allow_plaintext ? CURLUSESSL_NONE : CURLUSESSL_ALL));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!m.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, m.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, m.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &reader);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  const CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(h);
  if (rc == CURLE_OK) return out;
  out.message = redact_url(m.url) + ": " + curl_easy_strerror(rc) +
                (code ? " (server replied " + std::to_string(code) + ")" : "");
  const bool permanent = (code >= 500 && code < 600) || rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
                         rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
  out.result = permanent ? SmtpOutcome::Result::permanent : SmtpOutcome::Result::temporary;
  if (rc == CURLE_USE_SSL_FAILED)
    out.message += "; the server does not offer STARTTLS (use smtps:// on port 465, or a server with TLS)";
  return out;
}

}  // namespace vigil::net
