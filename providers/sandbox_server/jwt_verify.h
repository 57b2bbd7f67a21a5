// Signature verification of client assertions (compact JWS, RFC 7515) for
// the token endpoint: certificate credentials and federated workload tokens
// are JWTs signed by a key whose public half was registered with the
// directory. Here the registered halves are PEM text (CERTIFICATE and PUBLIC
// KEY blocks) that the server reads from the sandbox directory.
//
// Algorithms: RS256/384/512, PS256/384/512 and ES256/384/512; "none", HMAC
// and anything else are refused (an HMAC "signature" would need a shared
// secret the directory does not have). A certificate credential's assertion
// names its certificate in the header ("x5t#S256", base64url SHA-256 of the
// DER, or the older SHA-1 "x5t"), as Entra ID requires: the signature must
// then verify against that registered certificate, and an "x5c" chain, if
// sent, must start with it. Without a thumbprint (a federated token) the
// signature must verify against one of the registered keys of the
// algorithm's family. Claims are parsed, not judged: the caller checks
// exp/nbf and, for certificate assertions, aud/iss/sub.
//
// Uses OpenSSL directly (the crypto core has no JWS); no exceptions.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "base/json.h"
#include "base/status.h"

namespace cmk {

struct VerifiedJwt {
  Json header;  // objects
  Json claims;
  bool by_certificate = false;  // matched to a registered certificate by thumbprint
};

// Errors: InvalidArgument - not a compact JWS of JSON objects with a
// supported "alg", or an "x5c" that does not start with the certificate the
// thumbprint names; NotFound - `pem` registers no public key, or no
// certificate with the header's thumbprint; PermissionDenied - no candidate
// key verifies the signature. Messages never contain the token.
Result<VerifiedJwt> VerifyJwt(const std::string& token, const std::string& pem);

}  // namespace cmk
