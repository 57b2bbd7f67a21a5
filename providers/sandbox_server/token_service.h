// TokenService: the sandbox's identity platform. Issues bearer tokens for
// client credentials (secret or assertion) and the managed-identity
// endpoint, and validates the bearer tokens on every other request.
//
// Tokens are JWT-shaped but unsigned (header alg "none", a random third
// part): SDKs do not validate access tokens, and the server only accepts
// tokens it issued (kept by SHA-256, never the token itself), each bound to
// one audience (ARM or Key Vault) and valid for the configured lifetime.
// Audiences: ARM = https://management.azure.com or the server's own
// https://127.0.0.1:{port} / https://localhost:{port}; Key Vault =
// https://vault.localhost (announced by the 401 challenge) or
// https://vault.azure.net. Secrets and tokens never appear in messages.
//
// Thread-safe (internal mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "model/state.h"

namespace cmk {

enum class Audience { kArm, kKeyVault };

struct TokenGrant {
  Audience audience = Audience::kArm;
  std::string client_id;
  std::string principal_id;  // the "oid" claim; throttling key for ARM
  int64_t expires_on = 0;
};

struct IssuedToken {
  std::string access_token;
  std::string resource;  // v1 resource the token is for
  int64_t expires_in = 0;
  int64_t expires_on = 0;
};

// A token-endpoint failure in AAD's shape.
struct TokenError {
  int http = 400;
  std::string error;        // invalid_client, invalid_request, ...
  std::string description;  // "AADSTS...: ..."
  int64_t aadsts = 0;
};

class TokenService {
 public:
  TokenService(std::string tenant_id, std::string client_id, std::string client_secret,
               std::string identity_header, int lifetime_seconds,
               std::vector<std::string> own_arm_resources);

  const std::string& tenant_id() const { return tenant_id_; }

  // "https://vault.localhost/.default", "https://management.azure.com/", ...
  std::optional<Audience> AudienceOf(const std::string& scope_or_resource) const;

  // POST /{tenant}/oauth2/v2.0/token with a form-encoded body.
  std::variant<IssuedToken, TokenError> ClientCredentials(const std::string& form_body,
                                                          int64_t now);
  // GET /msi/token: `header` is the X-IDENTITY-HEADER value.
  std::variant<IssuedToken, TokenError> ManagedIdentity(const std::string& resource,
                                                        const std::string& client_id,
                                                        const std::string& principal_id,
                                                        const std::string& header, int64_t now);

  std::optional<TokenGrant> Validate(const std::string& authorization_header, int64_t now);

 private:
  IssuedToken Issue(Audience audience, const std::string& resource, const std::string& client_id,
                    const std::string& principal_id, int64_t now);

  std::string tenant_id_;
  std::string client_id_;
  std::string client_secret_;
  std::string identity_header_;
  int lifetime_;
  std::vector<std::string> own_arm_resources_;  // lower case, no trailing '/'
  std::mutex mu_;
  std::map<std::string, TokenGrant> grants_;  // by hex SHA-256 of the token
};

// application/x-www-form-urlencoded → ordered map (last value wins).
std::map<std::string, std::string> ParseForm(const std::string& body);

}  // namespace cmk
