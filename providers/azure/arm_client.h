// ArmClient: Azure Resource Manager calls with paging and long-running
// operations.
//
// Paths are ARM ids ("/subscriptions/..."); the client adds the endpoint and
// api-version. Lists follow nextLink verbatim. PUT/PATCH/DELETE follow
// 201/202 with Azure-AsyncOperation or Location polling (honouring
// Retry-After) and keep GETting while provisioningState is not terminal.
// Tokens go only to the ARM endpoint's origin: a poll or nextLink URL
// elsewhere is refused. Errors are Status values naming `object`.
// Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "azure/azure_endpoints.h"
#include "azure/pipeline.h"

namespace cmk {

using Json = nlohmann::json;

inline constexpr const char* kVaultsApiVersion = "2026-04-01";
inline constexpr const char* kIdentityApiVersion = "2026-05-31";
inline constexpr const char* kRoleAssignmentsApiVersion = "2022-04-01";
inline constexpr const char* kStorageApiVersion = "2026-09-01";
inline constexpr const char* kSqlApiVersion = "2023-08-01";  // servers, keys, encryptionProtector
inline constexpr const char* kDesApiVersion = "2025-01-02";  // Microsoft.Compute/diskEncryptionSets

struct LroOptions {
  int max_polls = 120;
  Millis default_interval{2000};
};

class ArmClient {
 public:
  ArmClient(Pipeline& pipeline, AzureEndpoints endpoints, LroOptions lro = {});

  // A raw call (after retries); HTTP errors are responses, not Status.
  Result<HttpResponse> Call(const std::string& method, const std::string& path_or_url,
                            const std::string& api_version, const std::optional<Json>& body = {});

  Result<std::optional<Json>> Get(const std::string& path, const std::string& api_version,
                                  const std::string& object);
  Result<std::vector<Json>> List(const std::string& path, const std::string& api_version,
                                 const std::string& object);
  // PUT or PATCH; returns the final resource body.
  Result<Json> Write(const std::string& method, const std::string& path,
                     const std::string& api_version, const Json& body, const std::string& object);
  // DELETE (LRO-aware). 404 is kNotFound.
  Status Delete(const std::string& path, const std::string& api_version,
                const std::string& object);
  // POST for ARM actions (purge). LRO-aware; the caller decides on retries.
  Status PostAction(const std::string& path, const std::string& api_version,
                    const std::string& object);

  // Polls an LRO started by `initial` on `path`; returns the final resource
  // body (empty object when the operation has none).
  Result<Json> FinishLro(const HttpResponse& initial, const std::string& path,
                         const std::string& api_version, const std::string& object,
                         bool get_resource_after);

  std::string Url(const std::string& path_or_url, const std::string& api_version) const;
  const AzureEndpoints& endpoints() const { return endpoints_; }
  // Tenant of the ARM token (the `tid` claim), for vault bodies.
  Result<std::string> TokenTenant();

 private:
  Status CheckOrigin(const std::string& url) const;
  Millis PollDelay(const HttpResponse& r);

  Pipeline& pipeline_;
  AzureEndpoints endpoints_;
  LroOptions lro_;
};

}  // namespace cmk
