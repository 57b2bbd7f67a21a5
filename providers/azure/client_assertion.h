// Client assertions of certificate credentials, as the Microsoft identity
// platform documents them ("certificate credentials") and MSAL builds them:
// a JWT signed PS256 (RSA-PSS, SHA-256) whose header names the certificate
// by "x5t#S256" (base64url SHA-256 of its DER) and, when asked, carries the
// chain in "x5c" (subject name / issuer authentication); its claims are
// aud = the token endpoint, iss = sub = the client id, a random jti, nbf and
// iat = now, exp = now + 10 minutes.
//
// An assertion is a credential: callers never log it. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "crypto/crypto.h"

namespace cmk {

inline constexpr int64_t kClientAssertionLifetimeSeconds = 600;

struct ClientAssertionRequest {
  std::string client_id;
  std::string token_endpoint;  // the "aud" claim
  int64_t now = 0;             // unix seconds
  bool send_chain = false;     // add "x5c"
};

// The compact JWS.
Result<std::string> BuildClientAssertion(const ClientCertificate& certificate,
                                         const ClientAssertionRequest& request);
// The "x5t#S256" of a DER certificate.
std::string CertificateThumbprintS256(const Bytes& der);

}  // namespace cmk
