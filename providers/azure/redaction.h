// Redaction of secrets before anything reaches a log.
//
// Authorization headers (any spelling), token request bodies (client_secret,
// client_assertion, ...), token responses (access_token, accessToken, ...),
// and key material in Key Vault bodies (wrap/unwrap values, private JWK
// members) are replaced by "[redacted]". Pure functions; thread-safe.
#pragma once

#include <string>

#include "azure/http_transport.h"

namespace cmk {

inline constexpr const char* kRedacted = "[redacted]";

// True for header names whose values must never be logged.
bool IsSecretHeader(const std::string& name);
// "Name: value" lines for every header, secret values redacted.
std::string RedactHeaders(const HeaderMap& headers);
// A body safe to log: form bodies and JSON bodies have secret members
// redacted; crypto operation bodies (wrapkey, unwrapkey, encrypt, decrypt)
// and token endpoint bodies that cannot be parsed are dropped entirely.
// Truncated to `max_chars`.
std::string RedactBody(const std::string& url, const std::string& body, size_t max_chars = 4096);

}  // namespace cmk
