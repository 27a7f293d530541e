// Values known to be secrets, kept out of every text vigil writes or answers. The host learns
// them from the config (keys a plugin's schema declares VIGIL_CFG_SECRET or _SECRET_MAP, and the
// API token) and replaces them wherever they appear: log lines, a plugin's error messages (which
// go on to the outbox, the history and the API), and config problems.
//
// What is registered for one value: the value itself and its last word (the credential of an
// "Authorization: Bearer <token>" value); for a URL instead, the part after the host (the
// path and query, where webhook keys live) and the password in its user info, so messages still
// say which host was meant. Parts shorter than kMinSecretLength are not registered: replacing
// them everywhere would garble unrelated text.
#pragma once

#include <string>
#include <string_view>

namespace vigil::log {

inline constexpr size_t kMinSecretLength = 6;
inline constexpr std::string_view kSecretMark = "[secret]";

// Thread-safe. Secrets stay registered for the life of the process (a reload adds new ones).
void add_secret(std::string_view value);

// `text` with every registered secret replaced by kSecretMark (longest first).
std::string redact_secrets(std::string_view text);

}  // namespace vigil::log
