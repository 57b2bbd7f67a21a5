#include "sandbox/sandbox_provider.h"

namespace cmk {

Result<std::unique_ptr<SandboxProvider>> SandboxProvider::Open(const std::string& dir,
                                                               SandboxOptions options) {
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxCloud> cloud,
                       SandboxCloud::Open(dir, std::move(options)));
  return std::make_unique<SandboxProvider>(std::move(cloud));
}

Result<std::optional<VaultState>> SandboxProvider::GetVault(const std::string& subscription,
                                                            const std::string& resource_group,
                                                            const std::string& name) {
  return cloud_->GetVault(subscription, resource_group, name);
}
Result<std::vector<VaultState>> SandboxProvider::ListVaults(const std::string& subscription) {
  return cloud_->ListVaults(subscription);
}
Result<VaultState> SandboxProvider::PutVault(const VaultState& desired) {
  return cloud_->PutVault(desired);
}
Status SandboxProvider::DeleteVault(const VaultState& vault) {
  return cloud_->DeleteVault(vault.subscription, vault.resource_group, vault.name);
}

Result<std::optional<KeyState>> SandboxProvider::GetKey(const std::string& vault,
                                                        const std::string& name) {
  return cloud_->GetKey(vault, name);
}
Result<std::vector<std::string>> SandboxProvider::ListKeys(const std::string& vault) {
  return cloud_->ListKeys(vault);
}
Result<KeyState> SandboxProvider::CreateKey(const KeyState& desired) {
  return cloud_->CreateKey(desired);
}
Result<KeyState> SandboxProvider::UpdateKey(const KeyState& desired) {
  return cloud_->UpdateKey(desired);
}
Status SandboxProvider::UpdateKeyVersion(const std::string& vault, const std::string& name,
                                         const KeyVersionState& attributes) {
  return cloud_->UpdateKeyVersion(vault, name, attributes);
}
Result<KeyState> SandboxProvider::RotateKey(const std::string& vault, const std::string& name) {
  return cloud_->RotateKey(vault, name);
}
Status SandboxProvider::PutRotationPolicy(const std::string& vault, const std::string& name,
                                          const RotationPolicyState& policy) {
  return cloud_->PutRotationPolicy(vault, name, policy);
}
Status SandboxProvider::DeleteKey(const std::string& vault, const std::string& name) {
  return cloud_->DeleteKey(vault, name);
}
Result<PublicKey> SandboxProvider::GetPublicKey(const std::string& vault, const std::string& name,
                                                const std::string& version) {
  return cloud_->GetPublicKey(vault, name, version);
}
Result<Bytes> SandboxProvider::WrapKey(const std::string& vault, const std::string& name,
                                       const std::string& version, const std::string& alg,
                                       const Bytes& plaintext) {
  return cloud_->WrapKey(vault, name, version, alg, plaintext);
}
Result<Bytes> SandboxProvider::UnwrapKey(const std::string& vault, const std::string& name,
                                         const std::string& version, const std::string& alg,
                                         const Bytes& ciphertext) {
  return cloud_->UnwrapKey(vault, name, version, alg, ciphertext);
}

Result<std::optional<IdentityState>> SandboxProvider::GetIdentity(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  return cloud_->GetIdentity(subscription, resource_group, name);
}
Result<std::vector<IdentityState>> SandboxProvider::ListIdentities(
    const std::string& subscription) {
  return cloud_->ListIdentities(subscription);
}
Result<IdentityState> SandboxProvider::PutIdentity(const IdentityState& desired) {
  return cloud_->PutIdentity(desired);
}
Status SandboxProvider::DeleteIdentity(const IdentityState& identity) {
  return cloud_->DeleteIdentity(identity.subscription, identity.resource_group, identity.name);
}

Result<std::vector<RoleAssignmentState>> SandboxProvider::ListRoleAssignments(
    const std::string& scope) {
  return cloud_->ListRoleAssignments(scope);
}
Result<RoleAssignmentState> SandboxProvider::PutRoleAssignment(const RoleAssignmentState& desired) {
  return cloud_->PutRoleAssignment(desired);
}
Status SandboxProvider::DeleteRoleAssignment(const RoleAssignmentState& assignment) {
  return cloud_->DeleteRoleAssignment(assignment.id);
}

Result<std::optional<StorageAccountState>> SandboxProvider::GetStorageAccount(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  return cloud_->GetStorageAccount(subscription, resource_group, name);
}
Result<std::vector<StorageAccountState>> SandboxProvider::ListStorageAccounts(
    const std::string& subscription) {
  return cloud_->ListStorageAccounts(subscription);
}
Result<StorageAccountState> SandboxProvider::EnableSystemIdentity(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  return cloud_->EnableSystemIdentity(subscription, resource_group, name);
}
Result<StorageAccountState> SandboxProvider::UpdateStorageEncryption(
    const std::string& subscription, const std::string& resource_group, const std::string& name,
    const EncryptionState& encryption) {
  return cloud_->UpdateStorageEncryption(subscription, resource_group, name, encryption);
}

}  // namespace cmk
