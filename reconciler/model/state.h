// The state model: Azure objects as cmkctl reasons about them.
//
// The same structs describe both sides of a diff. The manifest resolver fills
// the *desired* fields from YAML (defaults applied, references resolved to
// Azure names and ids); a provider fills the same fields plus the read-only
// *live* ones (marked "live only") from the cloud. Diff compares the desired
// fields; a plan carries them as JSON so that apply never re-reads manifests.
//
// Plain values; no I/O. Every map is ordered so that rendering is
// deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "model/consumer.h"
#include "model/marks.h"

namespace cmk {

// Resource kinds, in manifest spelling.
enum class Kind {
  kVault,
  kRotationPolicy,
  kKey,
  kIdentity,
  kRoleAssignment,
  kStorageCmkBinding,
  kSqlTdeBinding,
  kDiskEncryptionSetBinding,
  kHook,
  kPolicy,
};
const char* KindName(Kind kind);                   // "Vault", "StorageCmkBinding", ...
std::optional<Kind> KindFromName(const std::string& name);
// Address prefix: "vault", "rotation-policy", "key", "identity",
// "role-assignment", "binding" (every binding kind), "hook", "policy".
const char* KindAddressPrefix(Kind kind);
// "vault/bank-kv" etc. Addresses are the stable names of plan changes.
std::string MakeAddress(Kind kind, const std::string& name);
// The binding kinds: one per consumer kind (model/consumer.h).
Kind BindingKind(ConsumerKind consumer);
std::optional<ConsumerKind> ConsumerKindOfBinding(Kind kind);  // nullopt: not a binding kind

// Where a desired object came from, for diagnostics. line/col are 1-based.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
  bool valid() const { return line > 0; }
  std::string ToString() const;  // "file:line:col"
};

struct NetworkAcls {
  std::string default_action = "Allow";  // Allow | Deny
  std::string bypass = "AzureServices";  // AzureServices | None
  std::vector<std::string> ip_rules;     // sorted
  std::vector<std::string> virtual_network_rules;  // subnet ARM ids, sorted
  bool operator==(const NetworkAcls&) const = default;
};

// One entry of a vault's access policies (the permission model of a vault
// with rbacAuthorization off). cmkctl reads them to judge who can use a key;
// it never writes them (RBAC role assignments are what it manages).
struct AccessPolicyState {
  std::string tenant_id;
  std::string object_id;         // the principal
  std::vector<std::string> keys;  // key permissions: get, wrapKey, unwrapKey, all, ...
  std::vector<std::string> secrets;       // kept as read, so a PUT passes them back whole
  std::vector<std::string> certificates;
  bool operator==(const AccessPolicyState&) const = default;
};

struct VaultState {
  std::string name;
  std::string subscription;
  std::string resource_group;
  std::string location;
  std::string sku = "standard";  // standard | premium
  int soft_delete_retention_days = 90;
  bool purge_protection = false;
  bool rbac_authorization = true;
  NetworkAcls network_acls;
  Tags tags;
  // live only
  std::string id;         // ARM id
  std::string vault_uri;  // https://{name}.vault.azure.net
  std::string etag;
  std::vector<AccessPolicyState> access_policies;  // as read; kept, never planned
};

// ISO-8601 durations are kept as the user wrote them (canonical upper case).
struct RotationPolicyState {
  std::optional<std::string> rotate_after_create;   // timeAfterCreate, Rotate
  std::optional<std::string> rotate_before_expiry;  // timeBeforeExpiry, Rotate
  std::optional<std::string> notify_before_expiry;  // timeBeforeExpiry, Notify
  std::optional<std::string> expiry_time;           // attributes.expiryTime
  // live only
  int64_t updated = 0;
  bool operator==(const RotationPolicyState& o) const {
    return rotate_after_create == o.rotate_after_create &&
           rotate_before_expiry == o.rotate_before_expiry &&
           notify_before_expiry == o.notify_before_expiry && expiry_time == o.expiry_time;
  }
};

struct KeyVersionState {
  std::string version;  // 32 lower-case hex
  bool enabled = true;
  std::optional<int64_t> not_before;  // unix seconds
  std::optional<int64_t> expires;     // unix seconds
  int64_t created = 0;
  int64_t updated = 0;
  std::vector<std::string> key_ops;
  Tags tags;
};

// How old versions of a key are retired (manifest `spec.rotation.retire`).
struct RetireSpec {
  std::string adoption_window = "P1D";  // ISO-8601: wait this long after the newer version
  std::optional<int> max_enabled_versions;  // keep at most N enabled versions
  std::string action = "disable";           // disable | expire
  bool operator==(const RetireSpec&) const = default;
};

struct KeyState {
  std::string vault;  // vault name
  std::string name;
  std::string kty;    // RSA | RSA-HSM | EC | EC-HSM | oct-HSM
  int key_size = 0;   // RSA: 2048|3072|4096, oct-HSM: 128|192|256; 0 for EC
  std::string curve;  // EC: P-256 | P-384 | P-521
  std::vector<std::string> key_ops;  // sorted
  // Attributes of the current (newest) version.
  bool enabled = true;
  std::optional<int64_t> not_before;
  std::optional<int64_t> expires;
  Tags tags;
  std::optional<RotationPolicyState> rotation_policy;
  // desired only: manual rotation (`spec.rotation.generation`) and retirement.
  std::optional<int64_t> rotation_generation;
  std::optional<RetireSpec> retire;
  // live only
  std::vector<KeyVersionState> versions;  // oldest first
  std::string kid;                        // versioned id of the newest version
};

struct IdentityState {
  std::string name;
  std::string subscription;
  std::string resource_group;
  std::string location;
  Tags tags;
  // live only
  std::string id;
  std::string principal_id;
  std::string client_id;
  std::string tenant_id;
};

// A principal named in a manifest: exactly one of the three.
struct PrincipalRef {
  std::string identity;         // Identity metadata.name (user-assigned)
  std::string consumer;         // a consumer's name (its system-assigned identity)
  std::string object_id;        // a literal object id
  ConsumerKind consumer_kind = ConsumerKind::kStorage;  // the consumer's kind
  bool operator==(const PrincipalRef&) const = default;
};

struct RoleAssignmentState {
  std::string name;     // manifest metadata.name (desired) / parsed from description (live)
  std::string id;       // deterministic GUID of the assignment (ARM name)
  std::string scope;    // ARM id of the key or vault
  std::string role_definition_id;  // the role's GUID only
  std::string principal_id;        // empty in desired state until known
  std::string principal_type = "ServicePrincipal";
  std::string description;
  // desired only: how to find principal_id at apply time.
  PrincipalRef principal;
};

struct EncryptionState {
  std::string key_source = "Microsoft.Storage";  // or Microsoft.Keyvault
  std::string key_vault_uri;
  std::string key_name;
  std::string key_version;  // "" = automatic (follow newest)
  std::string user_assigned_identity;  // ARM id; "" = system-assigned
  // live only (read-only evidence)
  std::string current_versioned_key_id;
  std::string last_key_rotation_timestamp;  // RFC 3339
};

// A consumer of a managed key (model/consumer.h): a storage account, a SQL
// server or a disk encryption set. cmkctl changes only its identity and
// encryption; the resource itself belongs to another team.
struct ConsumerState {
  ConsumerKind kind = ConsumerKind::kStorage;
  std::string name;
  std::string subscription;
  std::string resource_group;
  std::string location;
  std::string system_principal_id;  // "" when no system-assigned identity
  std::vector<std::string> user_assigned_identities;  // ARM ids, sorted
  // The binding: key_version "" follows the newest version (Storage's empty
  // keyversion, SQL's autoRotationEnabled, DES's
  // rotationToLatestKeyVersionEnabled), else pins it.
  EncryptionState encryption;
  // live only: versioned key ids the consumer still needs besides the one
  // in use (a disk encryption set's previousKeys while it rotates, a SQL
  // server's registered server keys that backups were wrapped with).
  std::vector<std::string> retained_key_ids;  // sorted
  Tags tags;
  std::string id;
  ConsumerRef Ref() const { return {kind, subscription, resource_group, name}; }
};

// The version a consumer uses: its own evidence, else its pin, else
// `newest` (the key's newest version, which an unpinned consumer follows).
std::string ConsumerVersion(const ConsumerState& consumer, const std::string& newest);
// Every version it still needs: that one, then its retained ones.
std::vector<std::string> ConsumerVersions(const ConsumerState& consumer, const std::string& newest);

// A soft-deleted vault or key (Key Vault keeps its name until it is purged).
struct DeletedVaultState {
  VaultState vault;            // name, subscription, resource group, location, purge protection
  int64_t deletion_date = 0;   // unix seconds
  int64_t scheduled_purge_date = 0;
};
struct DeletedKeyState {
  KeyState key;                // vault, name, kty, size, curve
  int64_t deletion_date = 0;
  int64_t scheduled_purge_date = 0;
};

// Desired: a consumer's CMK settings (StorageCmkBinding and its siblings;
// the consumer itself is owned by another team; cmkctl only changes its
// encryption and identity).
struct BindingState {
  std::string name;             // manifest metadata.name
  ConsumerKind consumer_kind = ConsumerKind::kStorage;
  std::string consumer;         // the consumer's name (storage account, SQL server, ...)
  std::string subscription;
  std::string resource_group;
  std::string vault;            // vault name
  std::string key;              // key name
  std::string key_version;      // "" = auto, else pinned 32-hex
  std::string identity;         // "" = system-assigned, else the user-assigned identity's ARM id
  std::string identity_name;    // Identity metadata.name when user-assigned (for addresses)
};

}  // namespace cmk
