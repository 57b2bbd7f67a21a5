// ARM ids and vault URIs: the one place their shape is decided, and how
// they compare (case-insensitively, trailing slashes ignored, as Azure
// does). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cmk {

struct VaultState;

std::string VaultArmId(const std::string& subscription, const std::string& rg,
                       const std::string& vault);
std::string KeyArmId(const std::string& subscription, const std::string& rg,
                     const std::string& vault, const std::string& key);
std::string IdentityArmId(const std::string& subscription, const std::string& rg,
                          const std::string& name);
std::string StorageArmId(const std::string& subscription, const std::string& rg,
                         const std::string& name);
// The ARM id of a live vault (its own id when the provider gave one).
std::string LiveVaultId(const VaultState& v);

// The parts of an ARM id ("/subscriptions/S/resourceGroups/R/providers/NS/TYPE/NAME");
// the first subscription and resource group segments (case-insensitive), the
// last segment as name. Empty parts when absent.
struct ArmIdParts {
  std::string subscription;
  std::string resource_group;
  std::string name;
};
ArmIdParts ParseArmId(std::string_view id);

// The last path segment ("/.../roleDefinitions/GUID" -> "GUID").
std::string TrailingSegment(std::string_view id);
// True when `id` equals `scope` or lies below it ("scope/..."), ignoring case
// and respecting segments (".../vaults/kv1" does not cover ".../vaults/kv10");
// the root scope "/" covers every id.
bool UnderScope(std::string_view id, std::string_view scope);
// Ids or URIs compared without trailing slashes, case-insensitively.
bool SameUri(std::string_view a, std::string_view b);
// The normalised form SameUri compares: lower case, no trailing slash. Index
// maps of ids are keyed by it.
std::string NormalizedId(std::string_view id);
// Every scope `id` lies at or below, as NormalizedId keys, from the root ("")
// down to NormalizedId(id) itself: UnderScope(id, s) holds exactly for the s
// whose NormalizedId is among them. An index of scopes answers "which cover
// this id" by looking these up (an ARM id has a dozen segments) instead of
// scanning every scope.
std::vector<std::string> ScopesAbove(std::string_view id);

// Vault URI for a DNS suffix ("vault.azure.net" for Azure public cloud).
std::string VaultUri(const std::string& vault, const std::string& dns_suffix = "vault.azure.net");

// Deterministic GUID (8-4-4-4-12, lower-case) derived from `seed`.
std::string DeterministicGuid(std::string_view seed);

}  // namespace cmk
