// Signature verification of client assertions (compact JWS, RFC 7515) for
// the token endpoint: certificate credentials and federated workload tokens
// are JWTs signed by a key whose public half was registered with the
// directory. Here the registered halves are PEM text (CERTIFICATE and PUBLIC
// KEY blocks) that the server reads from the sandbox directory.
//
// Algorithms: RS256/384/512, PS256/384/512 and ES256/384/512; "none", HMAC
// and anything else are refused (an HMAC "signature" would need a shared
// secret the directory does not have). The signature must verify against
// one of the registered keys of the algorithm's family. Claims are parsed,
// not judged: the caller checks exp/nbf.
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
};

// Errors: InvalidArgument - not a compact JWS of JSON objects with a
// supported "alg"; NotFound - `pem` registers no public key; PermissionDenied
// - no registered key verifies the signature. Messages never contain the token.
Result<VerifiedJwt> VerifyJwt(const std::string& token, const std::string& pem);

}  // namespace cmk
