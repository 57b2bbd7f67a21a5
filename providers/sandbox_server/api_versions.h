// The api-versions the server answers, and Azure's refusals of the others.
//
// ARM: per resource provider (every type of a provider shares its list here,
// a simplification: Azure lists them per type). An unknown version is 400
// NoRegisteredProviderFound naming the type and the supported versions; a
// value that is not an api-version at all (not YYYY-MM-DD[-suffix]) is 400
// InvalidApiVersionParameter. Paths under a provider the sandbox does not
// serve are left alone (they end in 404 InvalidResourceType).
// Key Vault data plane: 400 BadParameter "The specified version (...) is not
// recognized. Consider using the latest supported version (...)."
//
// The lists hold the versions cmkctl's own clients send
// (providers/azure/arm_client.h, keyvault_client.h), those of the JavaScript
// SDK the scenario test drives, those of Microsoft's examples that the
// examples test replays, and earlier published versions of the same
// services. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox_server/http_types.h"

namespace cmk {

// The ARM resource type a path addresses: the last "providers/{namespace}"
// pair and the type after it ("locations/{l}/deletedVaults" -> "deletedVaults").
struct ArmResourceType {
  std::string provider;  // as Azure spells it: "Microsoft.KeyVault"
  std::string type;      // as sent in the path
};
std::optional<ArmResourceType> ArmTypeOfPath(const std::vector<std::string>& segments);

// nullopt when `api_version` is served for `type` (or the provider is not
// one the sandbox serves); else ARM's 400.
std::optional<ServerResponse> CheckArmApiVersion(const ArmResourceType& type,
                                                 const std::string& api_version);
// nullopt when served; else Key Vault's 400.
std::optional<ServerResponse> CheckKeyVaultApiVersion(const std::string& api_version);

inline constexpr const char* kLatestKeyVaultApiVersion = "2025-07-01";

}  // namespace cmk
