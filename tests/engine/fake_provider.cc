#include "fake_provider.h"

#include <cstdio>

#include "base/strings.h"
#include "model/arm_id.h"

namespace cmk {

void FakeProvider::SeedVault(VaultState v) {
  if (v.id.empty()) v.id = VaultArmId(v.subscription, v.resource_group, v.name);
  if (v.vault_uri.empty()) v.vault_uri = VaultUri(v.name);
  if (v.etag.empty()) v.etag = NextEtag();
  vaults_[Lower(v.name)] = v;
}

void FakeProvider::SeedKey(KeyState k) {
  if (k.versions.empty()) AddVersion(k, k);
  k.kid = VaultUri(k.vault) + "/keys/" + k.name + "/" + k.versions.back().version;
  keys_[Lower(k.vault + "/" + k.name)] = k;
}

void FakeProvider::SeedIdentity(IdentityState i) {
  if (i.id.empty()) i.id = IdentityArmId(i.subscription, i.resource_group, i.name);
  if (i.principal_id.empty()) i.principal_id = DeterministicGuid("principal|" + i.id);
  identities_[Lower(i.id)] = i;
}

void FakeProvider::SeedStorageAccount(StorageAccountState s) {
  if (s.id.empty()) s.id = StorageArmId(s.subscription, s.resource_group, s.name);
  storage_[Lower(s.name)] = s;
}

void FakeProvider::SeedRoleAssignment(RoleAssignmentState ra) { assignments_[ra.id] = ra; }

const KeyState* FakeProvider::FindKey(const std::string& vault, const std::string& name) const {
  auto it = keys_.find(Lower(vault + "/" + name));
  return it == keys_.end() ? nullptr : &it->second;
}

const StorageAccountState* FakeProvider::FindStorage(const std::string& name) const {
  auto it = storage_.find(Lower(name));
  return it == storage_.end() ? nullptr : &it->second;
}

void FakeProvider::FailOn(const std::string& op, Status status, int times) {
  faults_[op] = Fault{std::move(status), times};
}

std::vector<std::string> FakeProvider::WriteCalls() const {
  std::vector<std::string> out;
  for (const auto& c : calls_)
    if (c.rfind("Get", 0) != 0 && c.rfind("List", 0) != 0) out.push_back(c);
  return out;
}

Status FakeProvider::Call(const std::string& op, const std::string& object) {
  calls_.push_back(op + " " + object);
  auto it = faults_.find(op);
  if (it == faults_.end() || it->second.times == 0) return Status::Ok();
  if (it->second.times > 0) --it->second.times;
  return it->second.status;
}

std::string FakeProvider::NextVersion() {
  unsigned n = static_cast<unsigned>(++counter_);
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016x%016x", 0xabcdef00u + n, n);
  return buf;
}

std::string FakeProvider::NextEtag() { return "etag-" + std::to_string(++counter_); }

void FakeProvider::AddVersion(KeyState& k, const KeyState& a) {
  KeyVersionState v;
  v.version = NextVersion();
  v.enabled = a.enabled;
  v.not_before = a.not_before;
  v.expires = a.expires;
  v.created = v.updated = Now() + counter_;
  v.key_ops = a.key_ops;
  v.tags = a.tags;
  k.versions.push_back(v);
  k.kid = VaultUri(k.vault) + "/keys/" + k.name + "/" + v.version;
}

Result<std::optional<VaultState>> FakeProvider::GetVault(const std::string& subscription,
                                                         const std::string& resource_group,
                                                         const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("GetVault", name));
  auto it = vaults_.find(Lower(name));
  if (it == vaults_.end() || !EqualsIgnoreCase(it->second.subscription, subscription) ||
      !EqualsIgnoreCase(it->second.resource_group, resource_group))
    return std::optional<VaultState>();
  return std::optional<VaultState>(it->second);
}

Result<std::vector<VaultState>> FakeProvider::ListVaults(const std::string& subscription) {
  CMK_RETURN_IF_ERROR(Call("ListVaults", subscription));
  std::vector<VaultState> out;
  for (const auto& [n, v] : vaults_)
    if (EqualsIgnoreCase(v.subscription, subscription)) out.push_back(v);
  return out;
}

Result<VaultState> FakeProvider::PutVault(const VaultState& desired) {
  CMK_RETURN_IF_ERROR(Call("PutVault", desired.name));
  std::string key = Lower(desired.name);
  if (deleted_vaults_.count(key))
    return Conflict("vault " + desired.name + " is soft-deleted; recover or purge it first");
  auto it = vaults_.find(key);
  if (it != vaults_.end() && it->second.purge_protection && !desired.purge_protection)
    return Conflict("purge protection cannot be disabled");
  VaultState v = desired;
  v.id = VaultArmId(v.subscription, v.resource_group, v.name);
  v.vault_uri = VaultUri(v.name);
  v.etag = NextEtag();
  vaults_[key] = v;
  return v;
}

Status FakeProvider::DeleteVault(const VaultState& vault) {
  CMK_RETURN_IF_ERROR(Call("DeleteVault", vault.name));
  std::string key = Lower(vault.name);
  if (!vaults_.erase(key)) return NotFound("vault " + vault.name + " does not exist");
  deleted_vaults_[key] = true;
  for (auto it = keys_.begin(); it != keys_.end();)
    it = it->first.rfind(key + "/", 0) == 0 ? keys_.erase(it) : std::next(it);
  return Status::Ok();
}

Result<std::optional<KeyState>> FakeProvider::GetKey(const std::string& vault,
                                                     const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("GetKey", vault + "/" + name));
  const KeyState* k = FindKey(vault, name);
  return k ? std::optional<KeyState>(*k) : std::optional<KeyState>();
}

Result<std::vector<std::string>> FakeProvider::ListKeys(const std::string& vault) {
  CMK_RETURN_IF_ERROR(Call("ListKeys", vault));
  std::vector<std::string> out;
  for (const auto& [id, k] : keys_)
    if (EqualsIgnoreCase(k.vault, vault)) out.push_back(k.name);
  return out;
}

Result<KeyState> FakeProvider::CreateKey(const KeyState& desired) {
  CMK_RETURN_IF_ERROR(Call("CreateKey", desired.vault + "/" + desired.name));
  if (!vaults_.count(Lower(desired.vault))) return NotFound("vault " + desired.vault + " does not exist");
  std::string id = Lower(desired.vault + "/" + desired.name);
  if (deleted_vaults_.count("key:" + id))
    return Conflict("key " + desired.name + " is soft-deleted; recover or purge it first");
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    KeyState k = desired;
    k.versions.clear();
    k.rotation_policy.reset();
    AddVersion(k, desired);
    keys_[id] = k;
    return k;
  }
  AddVersion(it->second, it->second);
  return it->second;
}

Result<KeyState> FakeProvider::UpdateKey(const KeyState& desired) {
  CMK_RETURN_IF_ERROR(Call("UpdateKey", desired.vault + "/" + desired.name));
  auto it = keys_.find(Lower(desired.vault + "/" + desired.name));
  if (it == keys_.end()) return NotFound("key " + desired.name + " does not exist");
  KeyState& k = it->second;
  k.enabled = desired.enabled;
  k.not_before = desired.not_before;
  k.expires = desired.expires;
  k.key_ops = desired.key_ops;
  k.tags = desired.tags;
  KeyVersionState& v = k.versions.back();
  v.enabled = k.enabled;
  v.not_before = k.not_before;
  v.expires = k.expires;
  v.key_ops = k.key_ops;
  v.tags = k.tags;
  v.updated = Now() + ++counter_;
  return k;
}

Status FakeProvider::UpdateKeyVersion(const std::string& vault, const std::string& name,
                                      const KeyVersionState& attributes) {
  CMK_RETURN_IF_ERROR(Call("UpdateKeyVersion", vault + "/" + name));
  auto it = keys_.find(Lower(vault + "/" + name));
  if (it == keys_.end()) return NotFound("key " + name + " does not exist");
  for (auto& v : it->second.versions)
    if (v.version == attributes.version) {
      v.enabled = attributes.enabled;
      v.expires = attributes.expires;
      return Status::Ok();
    }
  return NotFound("version " + attributes.version + " of key " + name + " does not exist");
}

Result<KeyState> FakeProvider::RotateKey(const std::string& vault, const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("RotateKey", vault + "/" + name));
  auto it = keys_.find(Lower(vault + "/" + name));
  if (it == keys_.end()) return NotFound("key " + name + " does not exist");
  AddVersion(it->second, it->second);
  return it->second;
}

Status FakeProvider::PutRotationPolicy(const std::string& vault, const std::string& name,
                                       const RotationPolicyState& policy) {
  CMK_RETURN_IF_ERROR(Call("PutRotationPolicy", vault + "/" + name));
  auto it = keys_.find(Lower(vault + "/" + name));
  if (it == keys_.end()) return NotFound("key " + name + " does not exist");
  RotationPolicyState p = policy;
  p.updated = Now() + ++counter_;
  it->second.rotation_policy = p;
  return Status::Ok();
}

Status FakeProvider::DeleteKey(const std::string& vault, const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("DeleteKey", vault + "/" + name));
  std::string id = Lower(vault + "/" + name);
  if (!keys_.erase(id)) return NotFound("key " + name + " does not exist");
  deleted_vaults_["key:" + id] = true;
  return Status::Ok();
}

Result<PublicKey> FakeProvider::GetPublicKey(const std::string&, const std::string&,
                                             const std::string&) {
  return Unavailable("FakeProvider has no key material");
}

Result<Bytes> FakeProvider::WrapKey(const std::string&, const std::string&, const std::string&,
                                    const std::string&, const Bytes&) {
  return Unavailable("FakeProvider has no key material");
}

Result<Bytes> FakeProvider::UnwrapKey(const std::string&, const std::string&, const std::string&,
                                      const std::string&, const Bytes&) {
  return Unavailable("FakeProvider has no key material");
}

Result<std::optional<IdentityState>> FakeProvider::GetIdentity(const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("GetIdentity", name));
  auto it = identities_.find(Lower(IdentityArmId(subscription, resource_group, name)));
  return it == identities_.end() ? std::optional<IdentityState>()
                                 : std::optional<IdentityState>(it->second);
}

Result<std::vector<IdentityState>> FakeProvider::ListIdentities(const std::string& subscription) {
  CMK_RETURN_IF_ERROR(Call("ListIdentities", subscription));
  std::vector<IdentityState> out;
  for (const auto& [id, i] : identities_)
    if (EqualsIgnoreCase(i.subscription, subscription)) out.push_back(i);
  return out;
}

Result<IdentityState> FakeProvider::PutIdentity(const IdentityState& desired) {
  CMK_RETURN_IF_ERROR(Call("PutIdentity", desired.name));
  std::string id = IdentityArmId(desired.subscription, desired.resource_group, desired.name);
  auto it = identities_.find(Lower(id));
  IdentityState i = desired;
  i.id = id;
  if (it != identities_.end()) {
    i.principal_id = it->second.principal_id;
    i.client_id = it->second.client_id;
    i.tenant_id = it->second.tenant_id;
  } else {
    ++counter_;
    i.principal_id = DeterministicGuid("principal|" + id + "|" + std::to_string(counter_));
    i.client_id = DeterministicGuid("client|" + id + "|" + std::to_string(counter_));
    i.tenant_id = "tenant";
  }
  identities_[Lower(id)] = i;
  return i;
}

Status FakeProvider::DeleteIdentity(const IdentityState& identity) {
  CMK_RETURN_IF_ERROR(Call("DeleteIdentity", identity.name));
  std::string id = IdentityArmId(identity.subscription, identity.resource_group, identity.name);
  if (!identities_.erase(Lower(id))) return NotFound("identity " + identity.name + " does not exist");
  return Status::Ok();
}

Result<std::vector<RoleAssignmentState>> FakeProvider::ListRoleAssignments(const std::string& scope) {
  CMK_RETURN_IF_ERROR(Call("ListRoleAssignments", scope));
  std::vector<RoleAssignmentState> out;
  for (const auto& [id, ra] : assignments_)
    if (UnderScope(ra.scope, scope)) out.push_back(ra);
  return out;
}

Result<RoleAssignmentState> FakeProvider::PutRoleAssignment(const RoleAssignmentState& desired) {
  CMK_RETURN_IF_ERROR(Call("PutRoleAssignment", desired.name));
  if (desired.principal_id.empty()) return InvalidArgument("principalId is required");
  RoleAssignmentState ra = desired;
  if (ra.id.empty())
    ra.id = DeterministicGuid(ra.scope + "|" + ra.role_definition_id + "|" + ra.principal_id);
  for (const auto& [id, other] : assignments_)
    if (id != ra.id && EqualsIgnoreCase(other.scope, ra.scope) &&
        EqualsIgnoreCase(other.role_definition_id, ra.role_definition_id) &&
        EqualsIgnoreCase(other.principal_id, ra.principal_id))
      return Conflict("RoleAssignmentExists: the role assignment already exists as " + id);
  ra.principal.identity.clear();
  ra.principal.storage_account.clear();
  ra.principal.object_id.clear();
  assignments_[ra.id] = ra;
  return ra;
}

Status FakeProvider::DeleteRoleAssignment(const RoleAssignmentState& assignment) {
  CMK_RETURN_IF_ERROR(Call("DeleteRoleAssignment", assignment.name));
  if (!assignments_.erase(assignment.id))
    return NotFound("role assignment " + assignment.id + " does not exist");
  return Status::Ok();
}

Result<std::optional<StorageAccountState>> FakeProvider::GetStorageAccount(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("GetStorageAccount", name));
  const StorageAccountState* s = FindStorage(name);
  if (!s || !EqualsIgnoreCase(s->subscription, subscription) ||
      !EqualsIgnoreCase(s->resource_group, resource_group))
    return std::optional<StorageAccountState>();
  return std::optional<StorageAccountState>(*s);
}

Result<std::vector<StorageAccountState>> FakeProvider::ListStorageAccounts(
    const std::string& subscription) {
  CMK_RETURN_IF_ERROR(Call("ListStorageAccounts", subscription));
  std::vector<StorageAccountState> out;
  for (const auto& [n, s] : storage_)
    if (EqualsIgnoreCase(s.subscription, subscription)) out.push_back(s);
  return out;
}

Result<StorageAccountState> FakeProvider::EnableSystemIdentity(const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name) {
  CMK_RETURN_IF_ERROR(Call("EnableSystemIdentity", name));
  auto it = storage_.find(Lower(name));
  if (it == storage_.end()) return NotFound("storage account " + name + " does not exist");
  if (it->second.system_principal_id.empty())
    it->second.system_principal_id = DeterministicGuid("system|" + it->second.id);
  return it->second;
}

Result<StorageAccountState> FakeProvider::UpdateStorageEncryption(
    const std::string& subscription, const std::string& resource_group, const std::string& name,
    const EncryptionState& encryption) {
  CMK_RETURN_IF_ERROR(Call("UpdateStorageEncryption", name));
  auto it = storage_.find(Lower(name));
  if (it == storage_.end()) return NotFound("storage account " + name + " does not exist");
  StorageAccountState& s = it->second;
  if (encryption.user_assigned_identity.empty() && s.system_principal_id.empty())
    return FailedPrecondition("storage account " + name + " has no system-assigned identity");
  s.encryption = encryption;
  s.encryption.current_versioned_key_id.clear();
  s.encryption.last_key_rotation_timestamp.clear();
  if (!encryption.user_assigned_identity.empty()) {
    bool known = false;
    for (const auto& u : s.user_assigned_identities) known |= EqualsIgnoreCase(u, encryption.user_assigned_identity);
    if (!known) s.user_assigned_identities.push_back(encryption.user_assigned_identity);
  }
  for (const auto& [id, k] : keys_)
    if (EqualsIgnoreCase(k.name, encryption.key_name) &&
        SameUri(VaultUri(k.vault), encryption.key_vault_uri))
      s.encryption.current_versioned_key_id =
          encryption.key_version.empty() ? k.kid
                                         : VaultUri(k.vault) + "/keys/" + k.name + "/" + encryption.key_version;
  return s;
}

}  // namespace cmk
