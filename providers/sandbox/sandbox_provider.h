// SandboxProvider: the reconciler's Provider over a SandboxCloud.
//
// A thin adapter: every call forwards to the cloud, which owns every Azure
// rule. It adds nothing but the TargetInfo ("sandbox: DIR"). The cloud's
// extra operations (clock, events, seeding, recover/purge) stay on
// SandboxCloud; reach them with cloud().
//
// Thread-compatible, like the cloud it wraps.
#pragma once

#include <memory>
#include <string>

#include "engine/provider.h"
#include "sandbox/sandbox_cloud.h"

namespace cmk {

class SandboxProvider : public Provider {
 public:
  // `dir` is kept as given (e.g. ".cmkctl/") for Target().
  static Result<std::unique_ptr<SandboxProvider>> Open(const std::string& dir,
                                                       SandboxOptions options = {});
  explicit SandboxProvider(std::unique_ptr<SandboxCloud> cloud) : cloud_(std::move(cloud)) {}

  SandboxCloud& cloud() { return *cloud_; }

  TargetInfo Target() const override { return {"sandbox", cloud_->dir()}; }
  int64_t Now() const override { return cloud_->Now(); }
  std::string VaultDnsSuffix() const override { return cloud_->dns_suffix(); }

  Result<std::optional<VaultState>> GetVault(const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name) override;
  Result<std::vector<VaultState>> ListVaults(const std::string& subscription) override;
  Result<VaultState> PutVault(const VaultState& desired) override;
  Status DeleteVault(const VaultState& vault) override;

  Result<std::optional<KeyState>> GetKey(const std::string& vault,
                                         const std::string& name) override;
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
  std::unique_ptr<SandboxCloud> cloud_;
};

}  // namespace cmk
