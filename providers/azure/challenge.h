// Key Vault's challenge-based authentication: the WWW-Authenticate header of
// a 401 names the authority (tenant) and the token resource or scope.
//
// Parsing follows the Azure SDKs: scheme Bearer (or PoP), comma-separated
// name="value" pairs, authority from authorization or authorization_uri,
// scope = `scope` else resource + "/.default". Verification refuses a
// challenge whose resource host is not a DNS suffix of the vault's host
// (e.g. resource https://vault.azure.net for x.vault.azure.net): otherwise a
// spoofed vault could obtain a token for another audience. Pure; thread-safe.
#pragma once

#include <string>

#include "base/status.h"

namespace cmk {

struct AuthChallenge {
  std::string scheme;     // "Bearer"
  std::string authority;  // "https://login.microsoftonline.com/{tenant}"
  std::string tenant;     // first path segment of authority
  std::string resource;   // may be empty when only scope is given
  std::string scope;      // what to ask the credential for
};

Result<AuthChallenge> ParseWwwAuthenticate(const std::string& header);
// `vault_url`: the URL the challenge answered.
Status VerifyChallengeResource(const AuthChallenge& challenge, const std::string& vault_url);

}  // namespace cmk
