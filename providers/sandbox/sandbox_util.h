// Small helpers shared by the sandbox's operation files (not a public API).
//
// Random GUIDs and key version ids, store row keys, and the one place the
// sandbox's error messages get their Azure error code prefix. Pure functions
// except the random ones (which read the CSPRNG); thread-safe.
#pragma once

#include <string>

#include "base/status.h"
#include "model/state.h"

namespace cmk {

// Random lower-case GUID (version 4) and 32-hex key version id.
Result<std::string> RandomGuid();
Result<std::string> RandomVersionId();
bool LooksLikeGuid(const std::string& s);

// Normalizes a key type in place (default size or curve) and refuses what Key
// Vault refuses; defined with the key operations (key_ops.cc).
Status ValidateKeyType(std::string& kty, int& size, std::string& curve);

// Errors carry Azure's error code first: "<AzureCode>: <message>". The HTTPS
// server splits on the first ": " to fill the wire error's code and message.
Status AzureError(StatusCode code, const std::string& azure_code, const std::string& message);
// Key Vault's 400 BadParameter.
Status BadParameter(const std::string& message);

// Store keys: lower-case, '/'-separated (names never contain '/').
std::string VaultRowKey(const std::string& vault);
std::string KeyRowKey(const std::string& vault, const std::string& key);
std::string KeyRowPrefix(const std::string& vault);  // every key of a vault
std::string VersionRowKey(const std::string& vault, const std::string& key,
                          const std::string& version);
std::string VersionRowPrefix(const std::string& vault, const std::string& key);

// Meta key of the simulated clock (unix seconds as text; absent = real time).
inline constexpr const char* kMetaClock = "clock";

// Storage accounts are keyed by their lower-cased ARM id.
std::string AccountRowKey(const std::string& subscription, const std::string& resource_group,
                          const std::string& name);
// Sandbox-only members of a stored storage-account document (beyond
// ToJson(ConsumerState)); every rewrite of the document keeps them.
inline constexpr const char* kAccountSavedPrincipal = "savedSystemPrincipalId";
inline constexpr const char* kAccountAdoptionDelay = "adoptionDelayHours";
inline constexpr const char* kAccountBindingTime = "bindingTime";    // unix seconds
inline constexpr const char* kAccountInaccessible = "inaccessible";  // {cause, since}
inline constexpr const char* kAccountIncidents = "incidents";        // [{cause, since, until?}]
inline constexpr const char* kAccountExtras[] = {kAccountSavedPrincipal, kAccountAdoptionDelay,
                                                 kAccountBindingTime, kAccountInaccessible,
                                                 kAccountIncidents};

// Non-throwing reads of our own stored documents (defaults when absent or mistyped).
bool DocBool(const Json& doc, const char* key);
int64_t DocInt(const Json& doc, const char* key);
std::string DocString(const Json& doc, const char* key);
const Json& DocObject(const Json& doc, const char* key);  // {} when absent

// Soft-delete bookkeeping inside a stored document.
bool IsDeleted(const Json& doc);
int64_t DeletionDate(const Json& doc);
int64_t ScheduledPurgeDate(const Json& doc);
void MarkDeleted(Json& doc, int64_t now, int retention_days);
void ClearDeleted(Json& doc);

}  // namespace cmk
