// ForwardingProvider: a Provider that passes every call to another one.
//
// Subclass it and override only the calls to observe or break (leveldb's
// EnvWrapper): tests use it to record calls and inject faults, such as a vault
// whose unwrap returns corrupted bytes. Not thread-safe (neither is Provider).
#pragma once

#include "engine/provider.h"

namespace cmk {

class ForwardingProvider : public Provider {
 public:
  explicit ForwardingProvider(Provider& target) : target_(target) {}

  TargetInfo Target() const override { return target_.Target(); }
  int64_t Now() const override { return target_.Now(); }
  std::string VaultDnsSuffix() const override { return target_.VaultDnsSuffix(); }

  Result<std::optional<VaultState>> GetVault(const std::string& s, const std::string& rg,
                                             const std::string& n) override {
    return target_.GetVault(s, rg, n);
  }
  Result<std::vector<VaultState>> ListVaults(const std::string& s) override { return target_.ListVaults(s); }
  Result<VaultState> PutVault(const VaultState& d) override { return target_.PutVault(d); }
  Status DeleteVault(const VaultState& v) override { return target_.DeleteVault(v); }

  Result<std::optional<KeyState>> GetKey(const std::string& v, const std::string& n) override {
    return target_.GetKey(v, n);
  }
  // GetKeys is deliberately not forwarded: Provider's default calls GetKey,
  // so a subclass that overrides GetKey sees batched reads too.
  Result<std::vector<std::string>> ListKeys(const std::string& v) override { return target_.ListKeys(v); }
  Result<KeyState> CreateKey(const KeyState& d) override { return target_.CreateKey(d); }
  Result<KeyState> UpdateKey(const KeyState& d) override { return target_.UpdateKey(d); }
  Status UpdateKeyVersion(const std::string& v, const std::string& n,
                          const KeyVersionState& a) override {
    return target_.UpdateKeyVersion(v, n, a);
  }
  Result<KeyState> RotateKey(const std::string& v, const std::string& n) override {
    return target_.RotateKey(v, n);
  }
  Status PutRotationPolicy(const std::string& v, const std::string& n,
                           const RotationPolicyState& p) override {
    return target_.PutRotationPolicy(v, n, p);
  }
  Status DeleteKey(const std::string& v, const std::string& n) override { return target_.DeleteKey(v, n); }
  Result<PublicKey> GetPublicKey(const std::string& v, const std::string& n,
                                 const std::string& ver) override {
    return target_.GetPublicKey(v, n, ver);
  }
  Result<Bytes> WrapKey(const std::string& v, const std::string& n, const std::string& ver,
                        const std::string& alg, const Bytes& p) override {
    return target_.WrapKey(v, n, ver, alg, p);
  }
  Result<Bytes> UnwrapKey(const std::string& v, const std::string& n, const std::string& ver,
                          const std::string& alg, const Bytes& c) override {
    return target_.UnwrapKey(v, n, ver, alg, c);
  }

  Result<std::optional<IdentityState>> GetIdentity(const std::string& s, const std::string& rg,
                                                   const std::string& n) override {
    return target_.GetIdentity(s, rg, n);
  }
  Result<std::vector<IdentityState>> ListIdentities(const std::string& s) override {
    return target_.ListIdentities(s);
  }
  Result<IdentityState> PutIdentity(const IdentityState& d) override { return target_.PutIdentity(d); }
  Status DeleteIdentity(const IdentityState& i) override { return target_.DeleteIdentity(i); }

  Result<std::vector<RoleAssignmentState>> ListRoleAssignments(const std::string& scope) override {
    return target_.ListRoleAssignments(scope);
  }
  Result<RoleAssignmentState> PutRoleAssignment(const RoleAssignmentState& d) override {
    return target_.PutRoleAssignment(d);
  }
  Status DeleteRoleAssignment(const RoleAssignmentState& a) override {
    return target_.DeleteRoleAssignment(a);
  }

  Result<std::optional<StorageAccountState>> GetStorageAccount(const std::string& s,
                                                               const std::string& rg,
                                                               const std::string& n) override {
    return target_.GetStorageAccount(s, rg, n);
  }
  Result<std::vector<StorageAccountState>> ListStorageAccounts(const std::string& s) override {
    return target_.ListStorageAccounts(s);
  }
  Result<StorageAccountState> EnableSystemIdentity(const std::string& s, const std::string& rg,
                                                   const std::string& n) override {
    return target_.EnableSystemIdentity(s, rg, n);
  }
  Result<StorageAccountState> UpdateStorageEncryption(const std::string& s, const std::string& rg,
                                                      const std::string& n,
                                                      const EncryptionState& e) override {
    return target_.UpdateStorageEncryption(s, rg, n, e);
  }

 protected:
  Provider& target_;
};

}  // namespace cmk
