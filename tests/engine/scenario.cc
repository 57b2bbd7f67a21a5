#include "scenario.h"
#include "model/arm_id.h"

namespace cmk {

VaultState Vault(const std::string& name) {
  VaultState v;
  v.name = name;
  v.subscription = kSub;
  v.resource_group = kRg;
  v.location = "westeurope";
  v.sku = "premium";  // the keys are RSA-HSM
  v.purge_protection = true;
  v.tags = {{"env", "prod"}};
  return v;
}

KeyState Key(const std::string& vault, const std::string& name) {
  KeyState k;
  k.vault = vault;
  k.name = name;
  k.kty = "RSA-HSM";
  k.key_size = 3072;
  k.key_ops = {"unwrapKey", "wrapKey"};
  k.tags = {{"env", "prod"}};
  return k;
}

IdentityState Identity(const std::string& name) {
  IdentityState i;
  i.name = name;
  i.subscription = kSub;
  i.resource_group = kRg;
  i.location = "westeurope";
  return i;
}

RoleAssignmentState Assignment(const std::string& name, const std::string& scope,
                               PrincipalRef principal) {
  RoleAssignmentState ra;
  ra.name = name;
  ra.id = DeterministicGuid("role-assignment/" + name);
  ra.scope = scope;
  ra.role_definition_id = kCryptoUser;
  ra.principal = std::move(principal);
  return ra;
}

BindingState Binding(const std::string& name, const std::string& account, const std::string& key,
                     const std::string& identity_name) {
  BindingState b;
  b.name = name;
  b.consumer = account;
  b.subscription = kSub;
  b.resource_group = kRg;
  b.vault = "bank-kv";
  b.key = key;
  if (!identity_name.empty()) {
    b.identity_name = identity_name;
    b.identity = IdentityArmId(kSub, kRg, identity_name);
  }
  return b;
}

ConsumerState Account(const std::string& name) {
  ConsumerState s;
  s.name = name;
  s.subscription = kSub;
  s.resource_group = kRg;
  s.location = "westeurope";
  s.id = StorageArmId(kSub, kRg, name);
  return s;
}

std::string BankKeyScope() { return KeyArmId(kSub, kRg, "bank-kv", "bank-cmk"); }

DesiredState BankDesired() {
  DesiredState d;
  d.subscriptions = {kSub};
  d.vaults["vault/bank-kv"] = At(Vault("bank-kv"), 1);
  KeyState k = Key("bank-kv", "bank-cmk");
  k.rotation_policy = RotationPolicyState{"P1Y", std::nullopt, "P30D", "P2Y"};
  d.keys["key/bank-cmk"] = At(k, 20, "treasury");
  d.identities["identity/bank-uami"] = At(Identity("bank-uami"), 40);
  d.role_assignments["role-assignment/bank-uami-crypto"] =
      At(Assignment("bank-uami-crypto", BankKeyScope(), PrincipalRef{"bank-uami", "", ""}), 50);
  d.role_assignments["role-assignment/archive-crypto"] =
      At(Assignment("archive-crypto", BankKeyScope(), PrincipalRef{"", "archive01", ""}), 60);
  d.bindings["binding/bankdata"] = At(Binding("bankdata", "bankdata01", "bank-cmk", "bank-uami"), 70, "data-platform");
  d.bindings["binding/archive"] = At(Binding("archive", "archive01", "bank-cmk", ""), 80, "data-platform");
  HookSpec h;
  h.name = "notify";
  h.phase = "post";
  h.kinds = {"StorageCmkBinding"};
  h.actions = {"bind"};
  h.script = "/hooks/notify.lua";
  d.hooks["hook/notify"] = At(h, 90);
  HookSpec audit;
  audit.name = "audit-keys";
  audit.phase = "pre";
  audit.kinds = {"Key", "RotationPolicy"};
  audit.script = "/hooks/audit.lua";
  d.hooks["hook/audit-keys"] = At(audit, 100);
  return d;
}

DesiredState RichDesired() {
  DesiredState d = BankDesired();
  VaultState legacy = Vault("legacy-kv");
  legacy.soft_delete_retention_days = 30;
  d.vaults["vault/legacy-kv"] = At(legacy, 110, "legacy-team");
  d.keys["key/legacy-cmk"] = At(Key("legacy-kv", "legacy-cmk"), 120, "legacy-team");
  return d;
}

LiveState RichLive() {
  LiveState l;
  VaultState v = Vault("bank-kv");
  v.tags = {{"env", "dev"}, {"managed-by", "cmkctl"}};
  v.id = VaultArmId(kSub, kRg, "bank-kv");
  v.vault_uri = "https://bank-kv.vault.azure.net";
  v.etag = "etag-1";
  l.vaults["vault/bank-kv"] = v;
  VaultState legacy = Vault("legacy-kv");
  legacy.etag = "etag-2";
  l.vaults["vault/legacy-kv"] = legacy;  // no ownership tag: adopted; retention 90 vs 30
  KeyState lk = Key("legacy-kv", "legacy-cmk");
  lk.tags = {{"env", "prod"}, {"managed-by", "cmkctl"}};
  lk.expires = 1798761600;
  KeyVersionState ver;
  ver.version = "0123456789abcdef0123456789abcdef";
  ver.created = 1690000000;
  lk.versions = {ver};
  lk.kid = "https://legacy-kv.vault.azure.net/keys/legacy-cmk/" + ver.version;
  l.keys["legacy-kv/legacy-cmk"] = lk;
  IdentityState i = Identity("bank-uami");
  i.tags = {{"managed-by", "cmkctl"}};
  i.id = IdentityArmId(kSub, kRg, "bank-uami");
  i.principal_id = "aaaaaaaa-0000-0000-0000-000000000001";
  l.identities["identity/bank-uami"] = i;
  IdentityState old = Identity("old-uami");
  old.tags = {{"managed-by", "cmkctl"}};
  old.principal_id = "aaaaaaaa-0000-0000-0000-000000000002";
  l.identities["identity/old-uami"] = old;
  l.consumers["storage/bankdata01"] = Account("bankdata01");
  l.consumers["storage/archive01"] = Account("archive01");
  return l;
}

}  // namespace cmk
