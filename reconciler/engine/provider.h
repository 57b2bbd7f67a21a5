// Provider: the one interface between the reconciler and a cloud.
//
// Operations mirror Azure's (ARM for vaults, identities, role assignments and
// storage accounts; the Key Vault data plane for keys) at the level of the
// state model, so that the sandbox, the REST provider and test wrappers are
// interchangeable. A provider never decides policy (what is safe, what to
// prune): it does what it is told and reports Azure's answer as a Status.
// Get* return std::nullopt for "does not exist" (not an error).
//
// Implementations need not be thread-safe; the engine calls one at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/state.h"

namespace cmk {

using Bytes = std::vector<uint8_t>;

// What a provider says about itself, printed by every command.
struct TargetInfo {
  std::string kind;      // "sandbox" | "azure"
  std::string location;  // sandbox directory, or the ARM endpoint
  std::string ToString() const { return kind + ": " + location; }
};

// The public half of a key version as Key Vault returns it (JWK members).
struct PublicKey {
  std::string kid;
  std::string kty;
  std::vector<std::string> key_ops;
  std::string n, e;         // RSA, base64url
  std::string crv, x, y;    // EC, base64url
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual TargetInfo Target() const = 0;
  // The provider's clock (the sandbox's may be simulated), unix seconds.
  virtual int64_t Now() const = 0;
  // DNS suffix of vault URIs ("vault.azure.net", or the sandbox server's).
  virtual std::string VaultDnsSuffix() const { return "vault.azure.net"; }

  // Vaults (ARM).
  virtual Result<std::optional<VaultState>> GetVault(const std::string& subscription,
                                                     const std::string& resource_group,
                                                     const std::string& name) = 0;
  virtual Result<std::vector<VaultState>> ListVaults(const std::string& subscription) = 0;
  // Create or update. Creating over a soft-deleted vault of the same name is a
  // kConflict that says so.
  virtual Result<VaultState> PutVault(const VaultState& desired) = 0;
  virtual Status DeleteVault(const VaultState& vault) = 0;  // soft delete, never purge

  // Keys (data plane). GetKey returns every version (oldest first) and the
  // rotation policy, if one is set.
  virtual Result<std::optional<KeyState>> GetKey(const std::string& vault,
                                                 const std::string& name) = 0;
  // GetKey for several keys of one vault: result i answers names[i]; the
  // first error fails the whole read. The default reads them one by one; a
  // provider may read them concurrently (AzureProvider batches the GETs).
  virtual Result<std::vector<std::optional<KeyState>>> GetKeys(
      const std::string& vault, const std::vector<std::string>& names) {
    std::vector<std::optional<KeyState>> out;
    out.reserve(names.size());
    for (const auto& name : names) {
      Result<std::optional<KeyState>> k = GetKey(vault, name);
      if (!k.ok()) return k.status();
      out.push_back(std::move(*k));
    }
    return out;
  }
  virtual Result<std::vector<std::string>> ListKeys(const std::string& vault) = 0;
  // Creates the key, or a new version when the name exists (as Azure does).
  virtual Result<KeyState> CreateKey(const KeyState& desired) = 0;
  // Updates the newest version's attributes (enabled, nbf, exp, key_ops, tags).
  virtual Result<KeyState> UpdateKey(const KeyState& desired) = 0;
  // Updates one version's attributes (enabled, exp).
  virtual Status UpdateKeyVersion(const std::string& vault, const std::string& name,
                                  const KeyVersionState& attributes) = 0;
  virtual Result<KeyState> RotateKey(const std::string& vault, const std::string& name) = 0;
  virtual Status PutRotationPolicy(const std::string& vault, const std::string& name,
                                   const RotationPolicyState& policy) = 0;
  virtual Status DeleteKey(const std::string& vault, const std::string& name) = 0;  // soft
  virtual Result<PublicKey> GetPublicKey(const std::string& vault, const std::string& name,
                                         const std::string& version) = 0;
  virtual Result<Bytes> WrapKey(const std::string& vault, const std::string& name,
                                const std::string& version, const std::string& alg,
                                const Bytes& plaintext) = 0;
  virtual Result<Bytes> UnwrapKey(const std::string& vault, const std::string& name,
                                  const std::string& version, const std::string& alg,
                                  const Bytes& ciphertext) = 0;

  // User-assigned managed identities (ARM).
  virtual Result<std::optional<IdentityState>> GetIdentity(const std::string& subscription,
                                                           const std::string& resource_group,
                                                           const std::string& name) = 0;
  virtual Result<std::vector<IdentityState>> ListIdentities(const std::string& subscription) = 0;
  virtual Result<IdentityState> PutIdentity(const IdentityState& desired) = 0;
  virtual Status DeleteIdentity(const IdentityState& identity) = 0;

  // Role assignments (ARM). List returns assignments at `scope` and below it.
  virtual Result<std::vector<RoleAssignmentState>> ListRoleAssignments(
      const std::string& scope) = 0;
  virtual Result<RoleAssignmentState> PutRoleAssignment(const RoleAssignmentState& desired) = 0;
  virtual Status DeleteRoleAssignment(const RoleAssignmentState& assignment) = 0;

  // Storage accounts (ARM): read, and change only identity and encryption.
  virtual Result<std::optional<StorageAccountState>> GetStorageAccount(
      const std::string& subscription, const std::string& resource_group,
      const std::string& name) = 0;
  virtual Result<std::vector<StorageAccountState>> ListStorageAccounts(
      const std::string& subscription) = 0;
  // Turns on the system-assigned identity (principal id generated by Azure).
  virtual Result<StorageAccountState> EnableSystemIdentity(const std::string& subscription,
                                                           const std::string& resource_group,
                                                           const std::string& name) = 0;
  // PATCH of identity.userAssignedIdentities (adds `encryption.user_assigned_identity`
  // when set) and properties.encryption. Azure checks that the identity may
  // use the key.
  virtual Result<StorageAccountState> UpdateStorageEncryption(const std::string& subscription,
                                                              const std::string& resource_group,
                                                              const std::string& name,
                                                              const EncryptionState& encryption) = 0;
};

}  // namespace cmk
