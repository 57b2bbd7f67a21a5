// Azure credentials: where bearer tokens come from.
//
// The default chain behaves like the Azure SDKs' DefaultAzureCredential and
// tries, in this order unless one is named: client secret (AZURE_TENANT_ID,
// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), client certificate (tenant, client
// id, AZURE_CLIENT_CERTIFICATE_PATH: PEM with the private key or PKCS#12,
// AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN; a
// signed client assertion, see client_assertion.h), workload identity
// federation (AZURE_FEDERATED_TOKEN_FILE + tenant + client id, sent as
// client_assertion), managed identity (IDENTITY_ENDPOINT + IDENTITY_HEADER,
// else IMDS at AZURE_POD_IDENTITY_AUTHORITY_HOST or 169.254.169.254 with a
// short connect timeout and the SDKs' retries, see imds_retry.h), Azure CLI
// (`az account get-access-token`, run without a shell, only when `az` is on
// PATH). AZURE_AUTHORITY_HOST moves the token endpoint. Terraform azurerm's
// ARM_* names are read as aliases (WithArmAliases); AZURE_* wins.
//
// A credential that cannot work here answers kFailedPrecondition
// ("unavailable") and the chain moves on: its inputs are absent, or it failed
// for a reason another source avoids (IMDS unreachable, refusing with 403, or
// without an identity for this host; the CLI absent or not logged in). Any
// other failure (a configured secret or certificate refused, a certificate
// file that does not load, IMDS still failing after its retries) stops the
// chain, as in the SDKs. Either way the error lists every source, in order,
// and why it did not give a token. Once a source gave a token, the chain
// keeps using it.
//
// Tokens are cached per scope and refreshed 300 s before expiry. Token
// request bodies and responses are never logged, and error messages carry
// only the identity platform's error code and description: never a secret,
// a private key, a password, an assertion or a token. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "azure/http_transport.h"
#include "azure/imds_retry.h"
#include "base/status.h"

namespace cmk {

struct AccessToken {
  std::string token;
  int64_t expires_on = 0;  // unix seconds
};

class TokenCredential {
 public:
  virtual ~TokenCredential() = default;
  virtual std::string Name() const = 0;
  // `scope` like "https://vault.azure.net/.default".
  virtual Result<AccessToken> GetToken(const std::string& scope) = 0;
};

using EnvGetter = std::function<std::optional<std::string>(const std::string&)>;
EnvGetter ProcessEnv();
// `env` where Terraform azurerm's names stand in for the Azure SDKs' when
// those are unset: ARM_CLIENT_ID, ARM_TENANT_ID, ARM_CLIENT_SECRET,
// ARM_CLIENT_CERTIFICATE_PATH, ARM_CLIENT_CERTIFICATE_PASSWORD, ARM_ENVIRONMENT
// (for AZURE_CLOUD) and, when ARM_USE_OIDC is true, ARM_OIDC_TOKEN_FILE_PATH
// (for AZURE_FEDERATED_TOKEN_FILE). Wrapping twice changes nothing.
EnvGetter WithArmAliases(EnvGetter env);
// Runs argv without a shell and returns its stdout (tests substitute it).
using CommandRunner = std::function<Result<std::string>(const std::vector<std::string>& argv)>;
CommandRunner RealCommandRunner();
using UnixClock = std::function<int64_t()>;  // unix seconds

struct CredentialOptions {
  // "" = the default chain; else one of kCredentialNames.
  std::string named;
  std::string authority_host;  // "" = AZURE_AUTHORITY_HOST, else login.microsoftonline.com
  // "" = AZURE_POD_IDENTITY_AUTHORITY_HOST, else http://169.254.169.254.
  std::string imds_endpoint;
  std::chrono::milliseconds imds_connect_timeout{1000};
  ImdsRetryOptions imds_retry;
  Sleeper sleeper;  // waits between IMDS retries; empty = really sleep
  // Tests only: lets secrets go to a plain-HTTP token endpoint.
  bool allow_insecure_http_for_tests = false;
};

// Wraps a credential with a per-scope cache refreshed `refresh_margin` s
// before expiry. Invalidate drops one scope (after a 401).
class CachingCredential : public TokenCredential {
 public:
  CachingCredential(std::unique_ptr<TokenCredential> inner, UnixClock clock, int64_t refresh_margin = 300);
  std::string Name() const override { return inner_->Name(); }
  Result<AccessToken> GetToken(const std::string& scope) override;
  void Invalidate(const std::string& scope) { cache_.erase(scope); }

 private:
  std::unique_ptr<TokenCredential> inner_;
  UnixClock clock_;
  int64_t margin_;
  std::map<std::string, AccessToken> cache_;
};

// The credential names, in the default chain's order.
inline constexpr const char* kCredentialNames[] = {"client-secret", "client-certificate",
                                                   "workload-identity", "managed-identity",
                                                   "azure-cli"};

// Tries credentials in order (see the header comment).
class ChainCredential : public TokenCredential {
 public:
  explicit ChainCredential(std::vector<std::unique_ptr<TokenCredential>> chain);
  // "chain(client-secret, ...)" until a credential produced a token, then
  // that credential's name ("client-secret (from the default chain)").
  std::string Name() const override;
  Result<AccessToken> GetToken(const std::string& scope) override;
  // The name of the credential that produced a token ("" before one did).
  std::string selected() const { return selected_ ? selected_->Name() : ""; }

 private:
  std::vector<std::unique_ptr<TokenCredential>> chain_;
  TokenCredential* selected_ = nullptr;
};

// The chain (or the named credential) wrapped in a cache. `transport` must
// outlive the credential.
Result<std::unique_ptr<CachingCredential>> MakeCredential(const CredentialOptions& options,
                                                          const EnvGetter& env,
                                                          HttpTransport& transport, UnixClock clock,
                                                          CommandRunner runner = RealCommandRunner());

// Individual credentials (exposed for tests and for naming one explicitly).
std::unique_ptr<TokenCredential> MakeClientSecretCredential(const EnvGetter& env,
                                                            const CredentialOptions& options,
                                                            HttpTransport& transport, UnixClock clock);
std::unique_ptr<TokenCredential> MakeClientCertificateCredential(const EnvGetter& env,
                                                                 const CredentialOptions& options,
                                                                 HttpTransport& transport,
                                                                 UnixClock clock);
std::unique_ptr<TokenCredential> MakeWorkloadIdentityCredential(const EnvGetter& env,
                                                                const CredentialOptions& options,
                                                                HttpTransport& transport,
                                                                UnixClock clock);
std::unique_ptr<TokenCredential> MakeManagedIdentityCredential(const EnvGetter& env,
                                                               const CredentialOptions& options,
                                                               HttpTransport& transport,
                                                               UnixClock clock);
std::unique_ptr<TokenCredential> MakeAzureCliCredential(const EnvGetter& env,
                                                        CommandRunner runner, UnixClock clock);

// Helpers shared with tests.
// "https://vault.azure.net/.default" -> "https://vault.azure.net".
std::string ScopeToResource(const std::string& scope);
// The `tid` claim of a JWT access token ("" when absent or not a JWT).
std::string TenantFromJwt(const std::string& token);
// Where `program` is found on PATH ("" when not found).
std::string FindOnPath(const std::string& program, const std::string& path_env);

}  // namespace cmk
