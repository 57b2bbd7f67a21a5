// FakeProvider: an in-memory Provider for engine tests.
//
// Faithful enough for plan/apply: generated ids, principal ids and 32-hex key
// versions (deterministic counters), etags that move on every write, soft
// delete with name conflicts, a call log ("CreateKey bank-kv/bank-cmk") and
// fault injection by operation name. Crypto operations are not implemented.
// Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/provider.h"

namespace cmk {

class FakeProvider : public Provider {
 public:
  FakeProvider() = default;

  // Seeding and inspection (no call log, no faults).
  void SeedVault(VaultState v);
  void SeedKey(KeyState k);  // adds one version if none given
  void SeedIdentity(IdentityState i);
  void SeedStorageAccount(StorageAccountState s);
  void SeedRoleAssignment(RoleAssignmentState ra);
  const KeyState* FindKey(const std::string& vault, const std::string& name) const;
  const StorageAccountState* FindStorage(const std::string& name) const;

  // The next `times` calls of `op` (e.g. "PutRotationPolicy") fail with `status`;
  // times < 0: every call.
  void FailOn(const std::string& op, Status status, int times = -1);
  const std::vector<std::string>& calls() const { return calls_; }
  // Calls that write (Put*, Create*, Update*, Delete*, Enable*).
  std::vector<std::string> WriteCalls() const;
  void ClearCalls() { calls_.clear(); }

  TargetInfo Target() const override { return {"fake", "memory"}; }
  int64_t Now() const override { return 1700000000; }

  Result<std::optional<VaultState>> GetVault(const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name) override;
  Result<std::vector<VaultState>> ListVaults(const std::string& subscription) override;
  Result<VaultState> PutVault(const VaultState& desired) override;
  Status DeleteVault(const VaultState& vault) override;

  Result<std::optional<KeyState>> GetKey(const std::string& vault, const std::string& name) override;
  Result<std::vector<std::string>> ListKeys(const std::string& vault) override;
  Result<KeyState> CreateKey(const KeyState& desired) override;
  Result<KeyState> UpdateKey(const KeyState& desired) override;
  Status UpdateKeyVersion(const std::string& vault, const std::string& name,
                          const KeyVersionState& attributes) override;
  Result<KeyState> RotateKey(const std::string& vault, const std::string& name) override;
  Status PutRotationPolicy(const std::string& vault, const std::string& name,
                           const RotationPolicyState& policy) override;
  Status DeleteKey(const std::string& vault, const std::string& name) override;
  Result<PublicKey> GetPublicKey(const std::string& vault, const std::string& name,
                                 const std::string& version) override;
  Result<Bytes> WrapKey(const std::string& vault, const std::string& name,
                        const std::string& version, const std::string& alg,
                        const Bytes& plaintext) override;
  Result<Bytes> UnwrapKey(const std::string& vault, const std::string& name,
                          const std::string& version, const std::string& alg,
                          const Bytes& ciphertext) override;

  Result<std::optional<IdentityState>> GetIdentity(const std::string& subscription,
                                                   const std::string& resource_group,
                                                   const std::string& name) override;
  Result<std::vector<IdentityState>> ListIdentities(const std::string& subscription) override;
  Result<IdentityState> PutIdentity(const IdentityState& desired) override;
  Status DeleteIdentity(const IdentityState& identity) override;

  Result<std::vector<RoleAssignmentState>> ListRoleAssignments(const std::string& scope) override;
  Result<RoleAssignmentState> PutRoleAssignment(const RoleAssignmentState& desired) override;
  Status DeleteRoleAssignment(const RoleAssignmentState& assignment) override;

  Result<std::optional<StorageAccountState>> GetStorageAccount(
      const std::string& subscription, const std::string& resource_group,
      const std::string& name) override;
  Result<std::vector<StorageAccountState>> ListStorageAccounts(
      const std::string& subscription) override;
  Result<StorageAccountState> EnableSystemIdentity(const std::string& subscription,
                                                   const std::string& resource_group,
                                                   const std::string& name) override;
  Result<StorageAccountState> UpdateStorageEncryption(const std::string& subscription,
                                                      const std::string& resource_group,
                                                      const std::string& name,
                                                      const EncryptionState& encryption) override;

 private:
  // Logs the call and returns the injected fault, if any.
  Status Call(const std::string& op, const std::string& object);
  std::string NextVersion();
  std::string NextEtag();
  void AddVersion(KeyState& k, const KeyState& attributes);

  struct Fault {
    Status status;
    int times;
  };
  std::map<std::string, Fault> faults_;
  std::vector<std::string> calls_;
  int counter_ = 0;
  std::map<std::string, VaultState> vaults_;      // lower-case name
  std::map<std::string, bool> deleted_vaults_;    // soft-deleted names
  std::map<std::string, KeyState> keys_;          // "vault/name" lower-case
  std::map<std::string, IdentityState> identities_;  // lower-case ARM id
  std::map<std::string, RoleAssignmentState> assignments_;  // id
  std::map<std::string, StorageAccountState> storage_;  // lower-case name
};

}  // namespace cmk
