// KeyVaultClient: the Key Vault keys data plane (api-version 2025-07-01).
//
// Challenge auth as the Azure SDKs do it: the first request to a vault goes
// without a token and without a body to provoke a 401; its WWW-Authenticate
// challenge is parsed, its resource checked against the vault's domain, and
// cached per vault; a later 401 re-reads the challenge and retries once.
// Lists follow nextLink verbatim, but only on the vault's own origin.
// Non-idempotent calls (create, rotate) take a ReRead (retry_policy.h).
// GetAll runs independent GETs as one batch (Pipeline::SendAll).
// Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "azure/azure_endpoints.h"
#include "azure/challenge.h"
#include "azure/pipeline.h"

namespace cmk {

inline constexpr const char* kKeyVaultApiVersion = "2025-07-01";

class KeyVaultClient {
 public:
  KeyVaultClient(Pipeline& pipeline, AzureEndpoints endpoints);

  // `path` like "/keys/cmk/create" (no query) or an absolute nextLink.
  Result<HttpResponse> Call(const std::string& vault, const std::string& method,
                            const std::string& path, const std::optional<nlohmann::json>& body,
                            RateClass cls = RateClass::kVaultOp, SendOptions options = {},
                            bool* applied_elsewhere = nullptr);

  // One GET of the data plane of one vault.
  struct VaultGet {
    std::string vault;
    std::string path;
  };
  // Independent GETs, of any vaults, batched (concurrently over the curl
  // transport, in the order given: keep a vault's GETs together so that
  // they share its connections); result i answers gets[i]. Every vault
  // whose challenge is not yet known first gets one unauthenticated probe,
  // all probes in one batch, so a read of N vaults costs two rounds, not N.
  std::vector<Result<HttpResponse>> GetAll(const std::vector<VaultGet>& gets);
  // What Get makes of a GET's outcome: 404 -> nullopt, other non-200 -> Status.
  static Result<std::optional<nlohmann::json>> GetResult(Result<HttpResponse> response,
                                                         const std::string& object);
  // List starting from an already fetched first page.
  Result<std::vector<nlohmann::json>> ListFrom(const std::string& vault,
                                               Result<HttpResponse> first_page,
                                               const std::string& object);

  // GET; 404 -> nullopt.
  Result<std::optional<nlohmann::json>> Get(const std::string& vault, const std::string& path,
                                            const std::string& object);
  Result<std::vector<nlohmann::json>> List(const std::string& vault, const std::string& path,
                                           const std::string& object);
  // Sends and maps non-2xx to Status.
  Result<nlohmann::json> Send(const std::string& vault, const std::string& method,
                              const std::string& path, const std::optional<nlohmann::json>& body,
                              const std::string& operation, const std::string& object);

  std::string Url(const std::string& vault, const std::string& path) const;
  // The cached challenge of a vault (tests).
  const AuthChallenge* challenge(const std::string& vault) const;

 private:
  Result<HttpRequest> Request(const std::string& vault, const std::string& method,
                              const std::string& path,
                              const std::optional<nlohmann::json>& body) const;
  Result<AuthChallenge> ChallengeFrom(const HttpResponse& r, const std::string& url);

  Pipeline& pipeline_;
  AzureEndpoints endpoints_;
  std::map<std::string, AuthChallenge> challenges_;  // by lower-case vault name
};

}  // namespace cmk
