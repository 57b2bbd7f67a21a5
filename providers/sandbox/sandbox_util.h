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

// Consumers of every kind are keyed by their lower-cased ARM id, which holds
// the kind's resource type (so a storage account and a SQL server of one
// name are two rows); the document holds the kind (absent: a storage
// account, as every row written before the other kinds).
std::string ConsumerArmId(ConsumerKind kind, const std::string& subscription,
                          const std::string& resource_group, const std::string& name);
std::string ConsumerRowKey(ConsumerKind kind, const std::string& subscription,
                           const std::string& resource_group, const std::string& name);
// Sandbox-only members of a stored consumer document (beyond
// ToJson(ConsumerState)); every rewrite of the document keeps them.
inline constexpr const char* kAccountSavedPrincipal = "savedSystemPrincipalId";
inline constexpr const char* kAccountAdoptionDelay = "adoptionDelayHours";
inline constexpr const char* kAccountBindingTime = "bindingTime";    // unix seconds
inline constexpr const char* kAccountInaccessible = "inaccessible";  // {cause, since}
inline constexpr const char* kAccountIncidents = "incidents";        // [{cause, since, until?}]
// When each of retainedKeyIds stopped being in use: {versioned key id: unix seconds}.
inline constexpr const char* kConsumerRetainedSince = "retainedSince";
// SQL servers: how long a server key stays needed for restores after the
// server stopped using it (seconds).
inline constexpr const char* kConsumerBackupRetention = "backupRetentionSeconds";
// What `sandbox serve` keeps for the resource beyond the engine's model
// (SandboxCloud::SetConsumerWireState).
inline constexpr const char* kConsumerWireState = "wireState";
// SQL servers: access came back after the auto-heal window; the databases
// stay Inaccessible until revalidated. {since: the outage's start, healed:
// when access came back} (unix seconds).
inline constexpr const char* kConsumerNeedsRevalidation = "needsRevalidation";
// Azure SQL heals a database whose key access comes back within 30 minutes;
// after that it must be revalidated (docs/consumers.md 2.4).
inline constexpr int64_t kSqlAutoHealSeconds = 30 * 60;
// How the cause of a server waiting for revalidation ends.
inline constexpr const char* kAwaitingRevalidation =
    "its databases stay Inaccessible until the encryption protector is revalidated";
inline constexpr const char* kAccountExtras[] = {kAccountSavedPrincipal, kAccountAdoptionDelay,
                                                 kAccountBindingTime, kAccountInaccessible,
                                                 kAccountIncidents, kConsumerRetainedSince,
                                                 kConsumerBackupRetention, kConsumerWireState,
                                                 kConsumerNeedsRevalidation};
// Azure SQL's default point-in-time-restore retention: the sandbox's default
// for how long a SQL server keeps a key version it stopped using.
inline constexpr int64_t kDefaultBackupRetentionSeconds = 7 * 86400;

// A consumer document: ToJson(c) with the sandbox-only members of `old`.
Json ConsumerDoc(const ConsumerState& c, const Json& old);
// The consumer's adoption delay in hours (its kind's default when unset).
int64_t AdoptionDelayHours(const Json& doc, ConsumerKind kind);
// A SQL server's backup retention in seconds (the default when unset).
int64_t BackupRetentionSeconds(const Json& doc);
// `kid`, which the consumer stopped using at `since`, joins its retained key
// ids (kept sorted; the time in the document's kConsumerRetainedSince).
void RetainKeyId(ConsumerState& c, Json& doc, const std::string& kid, int64_t since);
// `kid` (compared as URIs are) leaves the retained key ids, if it was one.
void ReleaseKeyId(ConsumerState& c, Json& doc, const std::string& kid);

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
