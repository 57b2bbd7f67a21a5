// TokenService: the sandbox's identity platform. Issues bearer tokens for
// client credentials (secret or assertion) and the managed-identity
// endpoint, and validates the bearer tokens on every other request.
//
// Client credentials are verified as Entra ID verifies them: a
// client_secret must equal the server's secret (AADSTS7000215 otherwise); a
// client_assertion must be a JWT (certificate credential or federated
// workload token) whose signature verifies against a certificate or public
// key registered with the sandbox - the PEM file `assertion_keys_path`
// (server-client-certs.pem beside the sandbox), read on every assertion so
// that a key registered while the server runs counts at once. With nothing
// registered every assertion is refused (AADSTS700027), and so is one
// outside its exp/nbf window (AADSTS700024, five minutes of clock skew). A
// certificate credential's assertion (one naming its certificate by
// x5t#S256 or x5t) is checked against that certificate only (AADSTS700027
// when none is registered with that thumbprint or it did not sign), and its
// claims as Entra ID checks them: aud is this token endpoint (AADSTS700023)
// and iss = sub = the client_id of the request (AADSTS700021).
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
               std::vector<std::string> own_arm_resources,
               std::string assertion_keys_path = "");

  const std::string& tenant_id() const { return tenant_id_; }

  // "https://vault.localhost/.default", "https://management.azure.com/", ...
  std::optional<Audience> AudienceOf(const std::string& scope_or_resource) const;

  // POST /{tenant}/oauth2/v2.0/token with a form-encoded body (the tenant
  // is checked by the endpoint: KnownTenant).
  std::variant<IssuedToken, TokenError> ClientCredentials(const std::string& form_body,
                                                          int64_t now);
  // Whether `tenant` (a token URL's first segment) names this directory: its
  // id, case-insensitively. Entra answers AADSTS90002 for any other.
  bool KnownTenant(const std::string& tenant) const;
  // GET /msi/token: `header` is the X-IDENTITY-HEADER value.
  std::variant<IssuedToken, TokenError> ManagedIdentity(const std::string& resource,
                                                        const std::string& client_id,
                                                        const std::string& principal_id,
                                                        const std::string& header, int64_t now);

  std::optional<TokenGrant> Validate(const std::string& authorization_header, int64_t now);

 private:
  IssuedToken Issue(Audience audience, const std::string& resource, const std::string& client_id,
                    const std::string& principal_id, int64_t now);
  std::optional<TokenError> CheckAssertion(const std::string& assertion,
                                           const std::string& client_id, int64_t now) const;
  // Whether `aud` names this token endpoint (v2.0 or v1, on any own host).
  bool IsOwnTokenEndpoint(const std::string& aud) const;

  std::string tenant_id_;
  std::string client_id_;
  std::string client_secret_;
  std::string identity_header_;
  int lifetime_;
  std::vector<std::string> own_arm_resources_;  // lower case, no trailing '/'
  std::string assertion_keys_path_;             // "" = nothing registered
  std::mutex mu_;
  std::map<std::string, TokenGrant> grants_;  // by hex SHA-256 of the token
};

// application/x-www-form-urlencoded → ordered map (last value wins).
std::map<std::string, std::string> ParseForm(const std::string& body);

}  // namespace cmk
