// LoadManifests end to end: valid manifests resolve into exactly the
// expected DesiredState; each rule has a positive and a negative case
// (more negatives are in tests/malformed/).
#include <filesystem>
#include <fstream>
#include <set>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "manifest/graph.h"
#include "manifest/loader.h"
#include "manifest/roles.h"
#include "manifest/yaml_tree.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSub = "00000000-0000-0000-0000-000000000001";
constexpr const char* kSub2 = "00000000-0000-0000-0000-000000000002";

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cmk_manifest_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // Loads one manifest text (as m.yaml) and returns the result.
  LoadResult LoadText(const std::string& text) { return LoadManifests({Write("m.yaml", text)}); }

  static std::string Messages(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.Render();
    return out;
  }
  static bool HasError(const LoadResult& r, const std::string& fragment) {
    for (const auto& d : r.diagnostics)
      if (d.severity == Severity::kError && d.message.find(fragment) != std::string::npos)
        return true;
    return false;
  }

  fs::path root_;
};

std::string Vault(const std::string& name, const std::string& extra = "  purgeProtection: true\n") {
  return "apiVersion: cmkctl/v1\nkind: Vault\nmetadata:\n  name: " + name +
         "\n  owner: team-a\nspec:\n  subscription: " + kSub +
         "\n  resourceGroup: rg-a\n  location: westeurope\n" + extra;
}
std::string Key(const std::string& name, const std::string& spec) {
  return "apiVersion: cmkctl/v1\nkind: Key\nmetadata:\n  name: " + name +
         "\n  owner: team-a\nspec:\n" + spec;
}
std::string Policy(const std::string& name, const std::string& spec) {
  return "apiVersion: cmkctl/v1\nkind: RotationPolicy\nmetadata:\n  name: " + name +
         "\n  owner: team-a\nspec:\n" + spec;
}

const char* kDefaults = R"(apiVersion: cmkctl/v1
kind: Defaults
metadata:
  name: bank
  owner: team-treasury
spec:
  subscription: 00000000-0000-0000-0000-000000000001
  resourceGroup: rg-bank
  location: westeurope
  tags:
    env: prod
    cost-center: treasury
)";

const char* kVaults = R"(# two documents and an empty one
apiVersion: cmkctl/v1
kind: Vault
metadata:
  name: bank-kv
  owner: team-treasury
  labels:
    tier: gold
spec:
  sku: premium
  softDeleteRetentionDays: 30
  purgeProtection: true
  networkAcls:
    defaultAction: Deny
    bypass: AzureServices
    ipRules: [203.0.113.0/24, 198.51.100.7]
  tags:
    cost-center: bank-ops
---
---
apiVersion: cmkctl/v1
kind: Vault
metadata:
  name: other-kv
  owner: team-other
spec:
  subscription: 00000000-0000-0000-0000-000000000002
  resourceGroup: rg-other
  location: northeurope
  rbacAuthorization: false
)";

const char* kKeys = R"(apiVersion: cmkctl/v1
kind: RotationPolicy
metadata:
  name: yearly
  owner: team-treasury
spec:
  rotateAfterCreate: P1Y
  notifyBeforeExpiry: P30D
  expiryTime: P2Y
---
apiVersion: cmkctl/v1
kind: Key
metadata:
  name: bank-cmk
  owner: team-treasury
spec:
  vault: bank-kv
  type: RSA-HSM
  size: 3072
  operations: [wrapKey, unwrapKey, decrypt, encrypt]
  expiry: 2027-01-01T00:00:00Z
  notBefore: "2026-01-01T00:00:00Z"
  rotationPolicy: yearly
  tags:
    env: test
---
apiVersion: cmkctl/v1
kind: Key
metadata:
  name: signing
  owner: team-treasury
spec:
  vault: other-kv
  type: EC
  enabled: false
)";

const char* kAccess = R"(apiVersion: cmkctl/v1
kind: Identity
metadata:
  name: bank-storage-id
  owner: team-treasury
spec:
  location: eastus2
---
apiVersion: cmkctl/v1
kind: RoleAssignment
metadata:
  name: bank-storage-crypto
  owner: team-treasury
spec:
  principal:
    identity: bank-storage-id
  role: Key Vault Crypto Service Encryption User
  scope:
    key: bank-cmk
---
apiVersion: cmkctl/v1
kind: RoleAssignment
metadata:
  name: auditor
  owner: team-security
spec:
  principal:
    objectId: 6F1C2A34-5B6D-4E7F-8A9B-0C1D2E3F4A5B
  role: 21090545-7CA7-4776-B22C-E363652D74D2
  scope:
    vault: bank-kv
---
apiVersion: cmkctl/v1
kind: StorageCmkBinding
metadata:
  name: bankdata01
  owner: team-treasury
spec:
  storageAccount: bankdata01
  resourceGroup: rg-data
  key: bank-cmk
  identity:
    userAssigned: bank-storage-id
---
apiVersion: cmkctl/v1
kind: RoleAssignment
metadata:
  name: bankdata02-crypto
  owner: team-treasury
spec:
  principal:
    storageAccount: bankdata02
  role: Key Vault Crypto Service Encryption User
  scope:
    vault: bank-kv
---
apiVersion: cmkctl/v1
kind: StorageCmkBinding
metadata:
  name: bankdata02
  owner: team-treasury
spec:
  storageAccount: bankdata02
  key: bank-cmk
  identity: system
  keyVersion: 0123456789ABCDEF0123456789ABCDEF
)";

const char* kHooks = R"(apiVersion: cmkctl/v1
kind: Hook
metadata:
  name: notify
  owner: team-treasury
spec:
  phase: post
  selector:
    kinds: [Key, StorageCmkBinding]
    names: [bank-cmk]
    actions: [rotate, bind]
  script: hooks/notify.lua
  rollbackScript: hooks/undo.lua
  timeout: PT2M
  onFailure: rollback
  env: [TEAMS_WEBHOOK]
---
apiVersion: cmkctl/v1
kind: Hook
metadata:
  name: gate
  owner: team-treasury
spec:
  phase: pre
  script: hooks/notify.lua
  timeout: 45
)";

TEST_F(ManifestTest, BankDirectoryResolvesIntoExactDesiredState) {
  Write("bank/defaults.yaml", kDefaults);
  Write("bank/vaults.yml", kVaults);
  Write("bank/keys.yaml", kKeys);
  Write("bank/access.yaml", kAccess);
  Write("bank/hooks.yaml", kHooks);
  Write("bank/hooks/notify.lua", "return true\n");
  Write("bank/hooks/undo.lua", "return true\n");
  Write("bank/sandbox-seed.yaml", "this: is: not: a manifest\n");
  Write("bank/README.md", "not yaml");
  Write("bank/nested/ignored.yaml", "kind: Nonsense\n");
  std::string dir = (root_ / "bank").string();
  LoadResult r = LoadManifests({dir});
  ASSERT_TRUE(r.ok()) << Messages(r);
  ASSERT_EQ(r.files.size(), 5u);
  EXPECT_EQ(fs::path(r.files[0]).filename(), "access.yaml");
  EXPECT_EQ(fs::path(r.files[4]).filename(), "vaults.yml");
  // The one warning: key/signing has no rotation policy.
  ASSERT_EQ(r.diagnostics.size(), 1u) << Messages(r);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(r.diagnostics[0].address, "key/signing");

  const DesiredState& d = r.desired;
  EXPECT_EQ(d.subscriptions, (std::vector<std::string>{kSub, kSub2}));

  ASSERT_EQ(d.vaults.size(), 2u);
  const auto& bank = d.vaults.at("vault/bank-kv");
  EXPECT_EQ(bank.owner, "team-treasury");
  EXPECT_EQ(bank.labels, (Tags{{"tier", "gold"}}));
  EXPECT_EQ(bank.loc.file, (root_ / "bank/vaults.yml").string());
  EXPECT_EQ(bank.loc.line, 3);
  EXPECT_EQ(bank.loc.col, 7);
  EXPECT_EQ(bank.value.name, "bank-kv");
  EXPECT_EQ(bank.value.subscription, kSub);
  EXPECT_EQ(bank.value.resource_group, "rg-bank");
  EXPECT_EQ(bank.value.location, "westeurope");
  EXPECT_EQ(bank.value.sku, "premium");
  EXPECT_EQ(bank.value.soft_delete_retention_days, 30);
  EXPECT_TRUE(bank.value.purge_protection);
  EXPECT_TRUE(bank.value.rbac_authorization);
  EXPECT_EQ(bank.value.network_acls.default_action, "Deny");
  EXPECT_EQ(bank.value.network_acls.ip_rules,
            (std::vector<std::string>{"198.51.100.7", "203.0.113.0/24"}));
  EXPECT_EQ(bank.value.tags, (Tags{{"cost-center", "bank-ops"},
                                   {"env", "prod"},
                                   {"managed-by", "cmkctl"}}));
  const auto& other = d.vaults.at("vault/other-kv").value;
  EXPECT_EQ(other.subscription, kSub2);
  EXPECT_EQ(other.resource_group, "rg-other");
  EXPECT_EQ(other.location, "northeurope");
  EXPECT_EQ(other.sku, "standard");
  EXPECT_EQ(other.soft_delete_retention_days, 90);
  EXPECT_FALSE(other.purge_protection);
  EXPECT_FALSE(other.rbac_authorization);
  EXPECT_EQ(other.network_acls, NetworkAcls());

  ASSERT_EQ(d.keys.size(), 2u);
  const KeyState& key = d.keys.at("key/bank-cmk").value;
  EXPECT_EQ(key.vault, "bank-kv");
  EXPECT_EQ(key.name, "bank-cmk");
  EXPECT_EQ(key.kty, "RSA-HSM");
  EXPECT_EQ(key.key_size, 3072);
  EXPECT_EQ(key.curve, "");
  EXPECT_EQ(key.key_ops, (std::vector<std::string>{"decrypt", "encrypt", "unwrapKey", "wrapKey"}));
  EXPECT_TRUE(key.enabled);
  EXPECT_EQ(key.expires, 1798761600);
  EXPECT_EQ(key.not_before, 1767225600);
  EXPECT_EQ(key.tags, (Tags{{"cost-center", "treasury"}, {"env", "test"}, {"managed-by", "cmkctl"}}));
  ASSERT_TRUE(key.rotation_policy.has_value());
  RotationPolicyState policy;
  policy.rotate_after_create = "P1Y";
  policy.notify_before_expiry = "P30D";
  policy.expiry_time = "P2Y";
  EXPECT_EQ(*key.rotation_policy, policy);
  const KeyState& ec = d.keys.at("key/signing").value;
  EXPECT_EQ(ec.vault, "other-kv");
  EXPECT_EQ(ec.kty, "EC");
  EXPECT_EQ(ec.key_size, 0);
  EXPECT_EQ(ec.curve, "P-256");
  EXPECT_EQ(ec.key_ops, (std::vector<std::string>{"sign", "verify"}));
  EXPECT_FALSE(ec.enabled);
  EXPECT_FALSE(ec.rotation_policy.has_value());

  const IdentityState& id = d.identities.at("identity/bank-storage-id").value;
  EXPECT_EQ(id.subscription, kSub);
  EXPECT_EQ(id.resource_group, "rg-bank");
  EXPECT_EQ(id.location, "eastus2");
  EXPECT_EQ(id.tags, (Tags{{"cost-center", "treasury"}, {"env", "prod"}, {"managed-by", "cmkctl"}}));

  ASSERT_EQ(d.role_assignments.size(), 3u);
  const RoleAssignmentState& ra = d.role_assignments.at("role-assignment/bank-storage-crypto").value;
  std::string key_scope = KeyArmId(kSub, "rg-bank", "bank-kv", "bank-cmk");
  EXPECT_EQ(ra.name, "bank-storage-crypto");
  EXPECT_EQ(ra.scope, key_scope);
  EXPECT_EQ(ra.role_definition_id, "e147488a-f6f5-4113-8e2d-b22465e65bf6");
  EXPECT_EQ(ra.principal.identity, "bank-storage-id");
  EXPECT_EQ(ra.principal_id, "");
  EXPECT_EQ(ra.description, "managed-by=cmkctl name=bank-storage-crypto");
  EXPECT_EQ(ra.id, DeterministicGuid(key_scope + "|e147488a-f6f5-4113-8e2d-b22465e65bf6|"
                                                 "identity:bank-storage-id"));
  const RoleAssignmentState& auditor = d.role_assignments.at("role-assignment/auditor").value;
  std::string vault_scope = VaultArmId(kSub, "rg-bank", "bank-kv");
  EXPECT_EQ(auditor.scope, vault_scope);
  EXPECT_EQ(auditor.role_definition_id, "21090545-7ca7-4776-b22c-e363652d74d2");
  EXPECT_EQ(auditor.principal.object_id, "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(auditor.principal_id, "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(auditor.id, DeterministicGuid(vault_scope + "|21090545-7ca7-4776-b22c-e363652d74d2|"
                                                        "objectId:6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b"));
  EXPECT_EQ(d.role_assignments.at("role-assignment/bankdata02-crypto").value.principal.consumer,
            "bankdata02");

  const BindingState& b1 = d.bindings.at("binding/bankdata01").value;
  EXPECT_EQ(b1.name, "bankdata01");
  EXPECT_EQ(b1.consumer, "bankdata01");
  EXPECT_EQ(b1.subscription, kSub);
  EXPECT_EQ(b1.resource_group, "rg-data");
  EXPECT_EQ(b1.vault, "bank-kv");
  EXPECT_EQ(b1.key, "bank-cmk");
  EXPECT_EQ(b1.key_version, "");
  EXPECT_EQ(b1.identity, IdentityArmId(kSub, "rg-bank", "bank-storage-id"));
  EXPECT_EQ(b1.identity_name, "bank-storage-id");
  const BindingState& b2 = d.bindings.at("binding/bankdata02").value;
  EXPECT_EQ(b2.resource_group, "rg-bank");
  EXPECT_EQ(b2.key_version, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(b2.identity, "");
  EXPECT_EQ(b2.identity_name, "");

  ASSERT_EQ(d.hooks.size(), 2u);
  const HookSpec& h = d.hooks.at("hook/notify").value;
  EXPECT_EQ(h.name, "notify");
  EXPECT_EQ(h.phase, "post");
  EXPECT_EQ(h.kinds, (std::vector<std::string>{"Key", "StorageCmkBinding"}));
  EXPECT_EQ(h.names, (std::vector<std::string>{"bank-cmk"}));
  EXPECT_EQ(h.actions, (std::vector<std::string>{"rotate", "bind"}));
  EXPECT_EQ(h.script, fs::absolute(root_ / "bank/hooks/notify.lua").lexically_normal().string());
  EXPECT_EQ(h.rollback_script,
            fs::absolute(root_ / "bank/hooks/undo.lua").lexically_normal().string());
  EXPECT_EQ(h.timeout_seconds, 120);
  EXPECT_EQ(h.on_failure, "rollback");
  EXPECT_EQ(h.env, (std::vector<std::string>{"TEAMS_WEBHOOK"}));
  const HookSpec& gate = d.hooks.at("hook/gate").value;
  EXPECT_EQ(gate.timeout_seconds, 45);
  EXPECT_EQ(gate.on_failure, "halt");
  EXPECT_TRUE(gate.kinds.empty());
}

TEST_F(ManifestTest, DefaultsApplyOnlyToTheirDirectory) {
  Write("a/defaults.yaml", kDefaults);
  std::string other = Write("b/vault.yaml", "apiVersion: cmkctl/v1\nkind: Vault\nmetadata:\n"
                                            "  name: lonely-kv\n  owner: me\nspec:\n  sku: standard\n");
  LoadResult r = LoadManifests({(root_ / "a").string(), other});
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r, "missing required field 'subscription' in spec"));
  EXPECT_TRUE(HasError(r, "missing required field 'location' in spec"));
  // A single file argument: its own directory's Defaults in the same load apply.
  LoadResult ok = LoadManifests({(root_ / "a").string(),
                                 Write("a/vault.yaml", Vault("kv-one").substr(0, 0) +
                                                           "apiVersion: cmkctl/v1\nkind: Vault\n"
                                                           "metadata:\n  name: kv-two\n"
                                                           "  owner: me\nspec: {}\n")});
  EXPECT_TRUE(ok.ok()) << Messages(ok);
  EXPECT_EQ(ok.desired.vaults.at("vault/kv-two").value.resource_group, "rg-bank");
}

TEST_F(ManifestTest, ResourceFieldWinsOverDefault) {
  LoadResult r = LoadText(std::string(kDefaults) + "---\n" +
                          Vault("kv-one", "  tags:\n    env: dev\n    extra: x\n"));
  ASSERT_TRUE(r.ok()) << Messages(r);
  const VaultState& v = r.desired.vaults.at("vault/kv-one").value;
  EXPECT_EQ(v.resource_group, "rg-a");
  EXPECT_EQ(v.tags, (Tags{{"cost-center", "treasury"}, {"env", "dev"}, {"extra", "x"},
                          {"managed-by", "cmkctl"}}));
}

TEST_F(ManifestTest, PlainYesIsAStringWhereAStringIsExpected) {
  LoadResult r = LoadText(
      "apiVersion: cmkctl/v1\nkind: Vault\nmetadata:\n  name: kv-yes\n  owner: no\n  labels:\n"
      "    reviewed: yes\n    paged: on\nspec:\n  subscription: s1\n  resourceGroup: rg\n"
      "  location: westeurope\n  purgeProtection: false\n");
  ASSERT_TRUE(r.ok()) << Messages(r);
  const auto& v = r.desired.vaults.at("vault/kv-yes");
  EXPECT_EQ(v.owner, "no");
  EXPECT_EQ(v.labels, (Tags{{"paged", "on"}, {"reviewed", "yes"}}));
  EXPECT_FALSE(v.value.purge_protection);
}

TEST_F(ManifestTest, AmbiguousBooleanIsAnError) {
  LoadResult r = LoadText(Vault("kv-one", "  purgeProtection: Yes\n"));
  EXPECT_TRUE(HasError(r, "ambiguous YAML 1.1 boolean 'Yes': write true or false"));
  LoadResult bool_for_string = LoadText(Vault("kv-one").replace(
      Vault("kv-one").find("owner: team-a"), 13, "owner: true"));
  EXPECT_TRUE(HasError(bool_for_string, "expected a string, got the boolean true"));
}

TEST_F(ManifestTest, KeySizesAndCurves) {
  std::string vaults = Vault("std-kv") + "---\n" + Vault("prem-kv", "  sku: premium\n");
  LoadResult ok = LoadText(vaults + "---\n" + Key("r", "  vault: std-kv\n  type: RSA\n") +
                           "---\n" + Key("r4", "  vault: std-kv\n  type: RSA\n  size: 4096\n") +
                           "---\n" + Key("o", "  vault: prem-kv\n  type: oct-HSM\n") + "---\n" +
                           Key("o128", "  vault: prem-kv\n  type: oct-HSM\n  size: 128\n") +
                           "---\n" + Key("e", "  vault: prem-kv\n  type: EC-HSM\n  curve: P-521\n"));
  ASSERT_TRUE(ok.ok()) << Messages(ok);
  EXPECT_EQ(ok.desired.keys.at("key/r").value.key_size, 2048);
  EXPECT_EQ(ok.desired.keys.at("key/r4").value.key_size, 4096);
  EXPECT_EQ(ok.desired.keys.at("key/o").value.key_size, 256);
  EXPECT_EQ(ok.desired.keys.at("key/o128").value.key_size, 128);
  EXPECT_EQ(ok.desired.keys.at("key/e").value.curve, "P-521");
  EXPECT_EQ(ok.desired.keys.at("key/e").value.key_size, 0);

  EXPECT_TRUE(HasError(LoadText(vaults + "---\n" +
                                Key("o", "  vault: prem-kv\n  type: oct-HSM\n  size: 2048\n")),
                       "size 2048 is not an oct-HSM key size"));
  EXPECT_TRUE(HasError(LoadText(vaults + "---\n" +
                                Key("o", "  vault: std-kv\n  type: oct-HSM\n")),
                       "key type oct-HSM needs a premium vault"));
  EXPECT_TRUE(HasError(LoadText(vaults + "---\n" +
                                Key("r", "  vault: std-kv\n  type: RSA\n  curve: P-256\n")),
                       "curve is not allowed for RSA keys"));
  EXPECT_TRUE(HasError(LoadText(vaults + "---\n" + Key("r", "  vault: std-kv\n  type: AES\n")),
                       "spec.type: 'AES' is not one of"));
}

TEST_F(ManifestTest, RotationPolicyRules) {
  std::string vault = Vault("kv-one") + "---\n";
  auto load = [&](const std::string& spec) {
    return LoadText(vault + Policy("p", spec) + "---\n" +
                    Key("k", "  vault: kv-one\n  type: RSA\n  rotationPolicy: p\n"));
  };
  for (const char* spec : {"  rotateAfterCreate: P7D\n",
                           "  rotateBeforeExpiry: P7D\n  expiryTime: P28D\n",
                           "  notifyBeforeExpiry: P30D\n  expiryTime: P1Y\n",
                           "  rotateAfterCreate: P18M\n  notifyBeforeExpiry: P1M\n  expiryTime: P2Y\n"}) {
    LoadResult r = load(spec);
    EXPECT_TRUE(r.ok()) << spec << Messages(r);
  }
  EXPECT_TRUE(HasError(load("  rotateAfterCreate: P6D\n"), "shorter than the Key Vault minimum of P7D"));
  EXPECT_TRUE(HasError(load("  rotateBeforeExpiry: PT144H\n  expiryTime: P1Y\n"),
                       "shorter than the Key Vault minimum of P7D"));
  EXPECT_TRUE(HasError(load("  rotateAfterCreate: P7D\n  expiryTime: P27D\n"),
                       "shorter than the Key Vault minimum of P28D"));
  EXPECT_TRUE(load("  rotateAfterCreate: P7D\n  expiryTime: P4W\n").ok());
  EXPECT_TRUE(HasError(load("  notifyBeforeExpiry: P30D\n"), "needs expiryTime"));
  EXPECT_TRUE(HasError(load("  rotateAfterCreate: P1Y\n  rotateBeforeExpiry: P30D\n  expiryTime: P2Y\n"),
                       "are exclusive"));
  EXPECT_TRUE(HasError(load("  expiryTime: P2Y\n"), "at least one action"));
  EXPECT_TRUE(HasError(load("  notifyBeforeExpiry: P1Y\n  expiryTime: P1Y\n"),
                       "must be shorter than expiryTime"));
  // Versions expiring before they rotate load, with a warning.
  LoadResult warn = load("  rotateAfterCreate: P90D\n  expiryTime: P60D\n");
  EXPECT_TRUE(warn.ok());
  bool warned = false;
  for (const auto& dg : warn.diagnostics)
    warned = warned || (dg.severity == Severity::kWarning &&
                        dg.message.find("expire") != std::string::npos);
  EXPECT_TRUE(warned) << Messages(warn);
}

TEST_F(ManifestTest, PurgeProtectionRequiredOnlyForBoundVaults) {
  std::string rest = "---\n" + Key("k", "  vault: kv-one\n  type: RSA\n") +
                     "---\napiVersion: cmkctl/v1\nkind: StorageCmkBinding\nmetadata:\n  name: b\n"
                     "  owner: me\nspec:\n  storageAccount: acct01\n  subscription: s\n"
                     "  resourceGroup: rg\n  key: k\n";
  EXPECT_TRUE(LoadText(Vault("kv-one") + rest).ok());
  EXPECT_TRUE(HasError(LoadText(Vault("kv-one", "  purgeProtection: false\n") + rest),
                       "require purge protection"));
  // Without a binding the same vault is fine.
  EXPECT_TRUE(LoadText(Vault("kv-one", "  purgeProtection: false\n")).ok());
}

TEST_F(ManifestTest, DuplicateNamesAcrossFilesPointAtTheFirst) {
  std::string a = Write("a.yaml", Vault("kv-one"));
  std::string b = Write("b.yaml", Vault("kv-one"));
  LoadResult r = LoadManifests({b, a});
  ASSERT_EQ(r.files, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(HasError(r, "duplicate Vault 'kv-one' (first defined at " + a + ":4:9)"))
      << Messages(r);
  // Same name, different kinds: fine.
  EXPECT_TRUE(LoadText(Vault("shared-name") + "---\n" +
                       Key("shared-name", "  vault: shared-name\n  type: RSA\n")).ok());
}

TEST_F(ManifestTest, ErrorsAreCollectedAcrossDocumentsAndFiles) {
  std::string a = Write("a.yaml", Vault("kv-one", "  sku: gold\n") + "---\n" +
                                      Vault("kv-two", "  softDeleteRetentionDays: 3\n"));
  std::string b = Write("b.yaml", Key("k", "  vault: nowhere\n  type: RSA\n"));
  LoadResult r = LoadManifests({a, b});
  int errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError;
  EXPECT_EQ(errors, 3) << Messages(r);
  // Sorted by file, line, column.
  for (size_t i = 1; i < r.diagnostics.size(); ++i) {
    const auto& p = r.diagnostics[i - 1].loc;
    const auto& q = r.diagnostics[i].loc;
    EXPECT_LE(std::tie(p.file, p.line, p.col), std::tie(q.file, q.line, q.col));
  }
}

TEST_F(ManifestTest, MissingPathAndSizeLimits) {
  LoadResult missing = LoadManifests({(root_ / "nope.yaml").string()});
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.diagnostics.at(0).Render(),
            (root_ / "nope.yaml").string() + ": error: no such file or directory\n");
  std::string a = Write("a.yaml", Vault("kv-one"));
  std::string b = Write("b.yaml", Vault("kv-two"));
  LoadOptions options;
  options.max_total_bytes = fs::file_size(a) + 10;
  LoadResult r = LoadManifests({a, b}, options);
  EXPECT_TRUE(HasError(r, "-byte limit for one load")) << Messages(r);
  EXPECT_EQ(r.desired.vaults.count("vault/kv-one"), 1u);
  options = LoadOptions();
  options.max_depth = 1;  // the document mapping itself is level 1
  EXPECT_TRUE(HasError(LoadManifests({a}, options), "nesting deeper than 1 levels"));
}

// The document limit is per file: a load may hold any number of files'
// documents (an estate of 10,000 resources is about 9,400 documents), while a
// single runaway file is refused where it is.
// The limit counts documents, per file: empty documents (a run of `---`) are
// skipped as the docs say, and do not count.
TEST_F(ManifestTest, DocumentLimitIsPerFileAndCountsOnlyDocuments) {
  std::string empties;
  for (int i = 0; i < 12000; ++i) empties += "---\n";
  std::string a = Write("a.yaml", Vault("kv-one") + empties);
  LoadResult one = LoadManifests({a});
  EXPECT_TRUE(one.ok()) << Messages(one);
  EXPECT_EQ(one.desired.vaults.size(), 1u);

  LoadOptions options;
  options.max_file_documents = 2;
  std::string b = Write("b.yaml", Vault("kv-two") + "---\n" + Vault("kv-three") + "---\n" + Vault("kv-four"));
  LoadResult runaway = LoadManifests({a, b}, options);
  EXPECT_FALSE(runaway.ok());
  EXPECT_TRUE(HasError(runaway, "more than 2 documents in one file")) << Messages(runaway);
  EXPECT_EQ(runaway.diagnostics.at(0).loc.file, b);
  EXPECT_EQ(runaway.desired.vaults.count("vault/kv-one"), 1u);  // the other file still loads
}

TEST_F(ManifestTest, EmptyFilesAndDocumentsAreSkipped) {
  LoadResult r = LoadManifests({Write("empty.yaml", ""), Write("c.yaml", "# just a comment\n---\n")});
  EXPECT_TRUE(r.ok()) << Messages(r);
  EXPECT_EQ(r.files.size(), 2u);
  EXPECT_TRUE(r.desired.vaults.empty());
}

TEST_F(ManifestTest, KeyWithoutRotationPolicyWarns) {
  LoadResult r = LoadText(Vault("kv-one") + "---\n" + Key("k", "  vault: kv-one\n  type: RSA\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].message, "no rotation policy: this key will never rotate on its own");
}

TEST_F(ManifestTest, HookChecks) {
  Write("hooks/h.lua", "return true\n");
  auto hook = [](const std::string& spec) {
    return "apiVersion: cmkctl/v1\nkind: Hook\nmetadata:\n  name: h\n  owner: me\nspec:\n" + spec;
  };
  EXPECT_TRUE(LoadText(hook("  phase: pre\n  script: hooks/h.lua\n  onFailure: warn\n")).ok());
  EXPECT_TRUE(HasError(LoadText(hook("  phase: post\n  script: hooks\n")), "is not a regular file"));
  EXPECT_TRUE(HasError(LoadText(hook("  phase: post\n  script: hooks/h.lua\n  timeout: 601\n")),
                       "out of range"));
  EXPECT_TRUE(LoadText(hook("  phase: post\n  script: hooks/h.lua\n  timeout: PT10M\n")).ok());
  EXPECT_TRUE(HasError(LoadText(hook("  phase: post\n  script: hooks/h.lua\n  timeout: soon\n")),
                       "malformed ISO-8601 duration"));
  EXPECT_TRUE(HasError(LoadText(hook("  phase: mid\n  script: hooks/h.lua\n")), "'mid' is not one of"));
  EXPECT_TRUE(HasError(LoadText(hook("  phase: pre\n  script: hooks/h.lua\n"
                                     "  selector:\n    kinds: [Keys]\n")),
                       "did you mean 'Key'"));
  EXPECT_TRUE(HasError(LoadText(hook("  phase: pre\n  script: hooks/h.lua\n  env: [\"1BAD\"]\n")),
                       "not an environment variable name"));
}

TEST_F(ManifestTest, RenderMatchesNinjaStyle) {
  LoadResult r = LoadText(Vault("kv-one") + "---\n" +
                          Key("bank-cmk", "    vault: kv-one\n    type: RSA\n    size: 1024\n"));
  ASSERT_FALSE(r.ok());
  const Diagnostic* size = nullptr;
  for (const auto& d : r.diagnostics)
    if (d.severity == Severity::kError) size = &d;
  ASSERT_NE(size, nullptr);
  std::string file = (root_ / "m.yaml").string();
  EXPECT_EQ(size->Render(), file + ":20:11: error: key/bank-cmk: size 1024 is not an RSA key size "
                                   "(2048, 3072, 4096)\n  size: 1024\n        ^\n");
  Diagnostic bare{Severity::kWarning, {}, "", "plain", ""};
  EXPECT_EQ(bare.Render(), "warning: plain\n");
}

TEST(RolesTest, NameAndIdTable) {
  EXPECT_EQ(RoleIdForName("Key Vault Crypto Officer"), "14b46e9e-c2b7-41b4-b07b-48a6ebf60603");
  EXPECT_EQ(RoleIdForName("Key Vault Crypto Service Encryption User"),
            "e147488a-f6f5-4113-8e2d-b22465e65bf6");
  EXPECT_FALSE(RoleIdForName("key vault reader").has_value());
  EXPECT_EQ(RoleDisplayName("00482A5A-887F-4FB3-B363-3B7FE8E74483"), "Key Vault Administrator");
  EXPECT_EQ(RoleDisplayName("12338af0-0e69-4776-bea7-57ae8d297424"), "Key Vault Crypto User");
  EXPECT_EQ(RoleDisplayName("11111111-2222-3333-4444-555555555555"),
            "11111111-2222-3333-4444-555555555555");
}

TEST(GraphTest, FindsCyclesAndAcceptsDags) {
  std::map<std::string, std::vector<std::string>> dag = {
      {"binding/b", {"key/k", "identity/i"}}, {"key/k", {"vault/v", "rotation-policy/p"}}};
  EXPECT_FALSE(FindCycle(dag).has_value());
  std::map<std::string, std::vector<std::string>> cyclic = {
      {"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}, {"d", {"a"}}};
  auto cycle = FindCycle(cyclic);
  ASSERT_TRUE(cycle.has_value());
  EXPECT_EQ(*cycle, (std::vector<std::string>{"a", "b", "c", "a"}));
  EXPECT_EQ(*FindCycle({{"x", {"x"}}}), (std::vector<std::string>{"x", "x"}));
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {

TEST_F(ManifestTest, RotationBlockResolvesPolicyGenerationAndRetire) {
  LoadResult r = LoadText(Vault("kv-one") + "---\n" + Policy("yearly", "  rotateAfterCreate: P1Y\n") +
                          "---\n" +
                          Key("k", "  vault: kv-one\n  type: RSA\n  rotation:\n    policy: yearly\n"
                                   "    generation: 3\n    retire:\n      adoptionWindow: PT24H\n"
                                   "      maxEnabledVersions: 2\n      action: expire\n"));
  ASSERT_TRUE(r.ok()) << Messages(r);
  const KeyState& k = r.desired.keys.at("key/k").value;
  ASSERT_TRUE(k.rotation_policy.has_value());
  EXPECT_EQ(*k.rotation_policy->rotate_after_create, "P1Y");
  EXPECT_EQ(k.rotation_generation, 3);
  ASSERT_TRUE(k.retire.has_value());
  EXPECT_EQ(k.retire->adoption_window, "PT24H");
  EXPECT_EQ(k.retire->max_enabled_versions, 2);
  EXPECT_EQ(k.retire->action, "expire");
  EXPECT_EQ(FromJson<RetireSpec>(ToJson(*k.retire)), *k.retire);
}

TEST_F(ManifestTest, RotationBlockDefaultsAndErrors) {
  LoadResult ok = LoadText(Vault("kv-one") + "---\n" + Policy("yearly", "  rotateAfterCreate: P1Y\n") +
                           "---\n" +
                           Key("k", "  vault: kv-one\n  type: RSA\n  rotationPolicy: yearly\n"
                                    "  rotation:\n    retire: {}\n"));
  ASSERT_TRUE(ok.ok()) << Messages(ok);
  EXPECT_EQ(ok.desired.keys.at("key/k").value.retire->adoption_window, "P1D");
  EXPECT_EQ(ok.desired.keys.at("key/k").value.retire->action, "disable");
  LoadResult bad = LoadText(
      Vault("kv-one") + "---\n" + Policy("yearly", "  rotateAfterCreate: P1Y\n") + "---\n" +
      Key("k", "  vault: kv-one\n  type: RSA\n  rotationPolicy: yearly\n  rotation:\n"
               "    policy: yearly\n    generation: -1\n    retire:\n      action: delete\n"
               "      maxEnabledVersions: 0\n      adoptionWindow: 24h\n      grace: P1D\n"));
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(HasError(bad, "name the same thing")) << Messages(bad);
  EXPECT_TRUE(HasError(bad, "generation must be 0 or more")) << Messages(bad);
  EXPECT_TRUE(HasError(bad, "maxEnabledVersions must be 1 or more")) << Messages(bad);
  EXPECT_TRUE(HasError(bad, "spec.rotation.retire.adoptionWindow")) << Messages(bad);
  EXPECT_TRUE(HasError(bad, "grace")) << Messages(bad);
}

// Hardening: text at the door is printable UTF-8. A 0xFF byte in an owner
// once reached nlohmann-json and aborted `plan --format json`.
TEST_F(ManifestTest, InvalidUtf8IsAnErrorAtItsPosition) {
  std::string text = Vault("kv-one");
  text.replace(text.find("team-a"), 6, "te\xFF" "am");
  LoadResult r = LoadText(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << Messages(r);
  EXPECT_EQ(r.diagnostics[0].loc.line, 5);
  EXPECT_EQ(r.diagnostics[0].loc.col, 12);
  EXPECT_NE(r.diagnostics[0].message.find("byte 0xFF is not valid UTF-8"), std::string::npos)
      << Messages(r);
  // The rendered line does not echo the raw byte.
  EXPECT_EQ(Messages(r).find('\xFF'), std::string::npos);
}

TEST_F(ManifestTest, ControlCharactersAreErrorsRawOrEscaped) {
  std::string raw = Vault("kv-one");
  raw.replace(raw.find("team-a"), 6, "te\x1b[31mam");
  EXPECT_TRUE(HasError(LoadText(raw), "control character U+001B")) << Messages(LoadText(raw));
  // The same through a YAML escape, and a NUL.
  std::string escaped = Vault("kv-one");
  escaped.replace(escaped.find("team-a"), 6, "\"te\\e[31mam\"");
  EXPECT_TRUE(HasError(LoadText(escaped), "control character U+001B")) << Messages(LoadText(escaped));
  std::string nul = Vault("kv-one");
  nul.replace(nul.find("team-a"), 6, "\"te\\0am\"");
  EXPECT_TRUE(HasError(LoadText(nul), "control character U+0000")) << Messages(LoadText(nul));
  // Printable UTF-8 is fine, and CRLF line ends too.
  std::string fine = Vault("kv-one");
  fine.replace(fine.find("team-a"), 6, "\"équipe-ü\"");
  LoadResult ok = LoadText(fine);
  EXPECT_TRUE(ok.ok()) << Messages(ok);
  EXPECT_EQ(ok.desired.vaults.at("vault/kv-one").owner, "équipe-ü");
}

TEST_F(ManifestTest, NullIsNeverTheDefault) {
  for (const std::string& spec : {"  size: ~\n", "  size:\n", "  operations: null\n"}) {
    LoadResult r = LoadText(Vault("kv-one") + "---\n" + Key("k", "  vault: kv-one\n  type: RSA\n" + spec));
    EXPECT_TRUE(HasError(r, "no value (null): give a value, or remove the field")) << spec << Messages(r);
  }
  LoadResult v = LoadText(Vault("kv-one", "  purgeProtection: true\n  softDeleteRetentionDays: ~\n"));
  EXPECT_TRUE(HasError(v, "spec.softDeleteRetentionDays: no value (null)")) << Messages(v);
}

TEST_F(ManifestTest, IntegersAreCheckedInTheirRealWidth) {
  LoadResult r = LoadText(Vault("kv-one") + "---\n" + Policy("yearly", "  rotateAfterCreate: P1Y\n") +
                          "---\n" +
                          Key("k", "  vault: kv-one\n  type: RSA\n  rotationPolicy: yearly\n"
                                   "  rotation:\n    retire:\n      maxEnabledVersions: 4294967297\n"));
  EXPECT_TRUE(HasError(r, "4294967297 is out of range")) << Messages(r);
  LoadResult huge = LoadText(Vault("kv-one", "  purgeProtection: true\n  softDeleteRetentionDays: "
                                             "000000000000000000000000000000000000090\n"));
  EXPECT_TRUE(huge.ok()) << "leading zeros are still the number 90\n" << Messages(huge);
  LoadResult neg = LoadText(Vault("kv-one", "  purgeProtection: true\n  softDeleteRetentionDays: "
                                            "-99999999999999999999\n"));
  EXPECT_TRUE(HasError(neg, "is out of range")) << Messages(neg);
}

TEST_F(ManifestTest, BlankOwnersLabelKeysOddAddressesAndDatesAreErrors) {
  std::string blank = Vault("kv-one");
  blank.replace(blank.find("team-a"), 6, "\"   \"");
  EXPECT_TRUE(HasError(LoadText(blank), "metadata.owner must not be blank"));
  std::string label = Vault("kv-one");
  label.replace(label.find("  owner: team-a\n"), 16, "  owner: team-a\n  labels:\n    \"\": x\n");
  EXPECT_TRUE(HasError(LoadText(label), "a label key must not be blank")) << Messages(LoadText(label));
  LoadResult ip = LoadText(Vault("kv-one", "  purgeProtection: true\n  networkAcls:\n    ipRules: [01.02.03.04]\n"));
  EXPECT_FALSE(ip.ok()) << Messages(ip);
  LoadResult ip_ok = LoadText(Vault("kv-one", "  purgeProtection: true\n  networkAcls:\n    ipRules: [10.0.0.0/8]\n"));
  EXPECT_TRUE(ip_ok.ok()) << Messages(ip_ok);
  LoadResult year0 = LoadText(Vault("kv-one") + "---\n" +
                              Key("k", "  vault: kv-one\n  type: RSA\n  expiry: \"0000-01-01T00:00:00Z\"\n"));
  EXPECT_TRUE(HasError(year0, "outside the range a vault accepts")) << Messages(year0);
}

TEST_F(ManifestTest, AManifestThatIsNotARegularFileIsNamed) {
  Write("ok.yaml", Vault("kv-one"));
  fs::create_symlink(root_ / "missing.yaml", root_ / "dangling.yaml");
  fs::create_symlink("/dev/zero", root_ / "zero.yaml");
  ASSERT_EQ(::mkfifo((root_ / "fifo.yaml").c_str(), 0600), 0);
  LoadResult r = LoadManifests({root_.string()});
  EXPECT_FALSE(r.ok());
  std::set<std::string> named;
  for (const auto& d : r.diagnostics) named.insert(fs::path(d.loc.file).filename().string());
  EXPECT_EQ(named, (std::set<std::string>{"dangling.yaml", "fifo.yaml", "zero.yaml"})) << Messages(r);
  EXPECT_EQ(r.desired.vaults.size(), 1u);
}

// A message quotes what it is about, but never at any length, and a flood of
// errors is rendered with a count of the rest.
TEST_F(ManifestTest, MessagesAndErrorFloodsAreBounded) {
  std::string long_name(3 << 20, 'a');
  LoadResult r = LoadText(Vault(long_name));
  ASSERT_FALSE(r.ok());
  for (const auto& d : r.diagnostics) EXPECT_LT(d.message.size(), 1200u);
  std::string ops = "  operations: [";
  for (int i = 0; i < 5000; ++i) ops += std::string(i ? ", " : "") + "bogus" + std::to_string(i);
  ops += "]\n";
  LoadResult flood = LoadText(Vault("kv-one") + "---\n" + Key("k", "  vault: kv-one\n  type: RSA\n" + ops));
  ASSERT_GT(flood.diagnostics.size(), kMaxShownDiagnostics);
  std::string shown = RenderAll(flood.diagnostics);
  EXPECT_NE(shown.find("more error(s)"), std::string::npos);
  EXPECT_LT(shown.size(), 200u * 1500u);
}

// Found by the fuzzer: on this input yaml-cpp yields empty documents
// forever; once empty documents stopped counting towards the limit, loading
// never returned. It is an error now.
TEST_F(ManifestTest, AParserThatStopsMakingProgressIsAnError) {
  LoadResult r = LoadText("- apiVersion: cmkctl/v1\n, kind: Vault\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r, "invalid YAML")) << Messages(r);
}

TEST_F(ManifestTest, MappingAndListSizesAreLimited) {
  LoadOptions options;
  std::string labels = "  labels:\n";
  for (int i = 0; i < 30; ++i) labels += "    l" + std::to_string(i) + ": v\n";
  std::string text = Vault("kv-one");
  text.replace(text.find("  owner: team-a\n"), 16, "  owner: team-a\n" + labels);
  YamlParseOptions yaml;
  yaml.max_entries = 20;
  DiagnosticList diags;
  std::vector<YamlNode> docs = ParseYaml(text, "m.yaml", yaml, diags);
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.items().size(), 1u) << "reported once per mapping";
  EXPECT_NE(diags.items()[0].message.find("more than 20 entries in one mapping"), std::string::npos);
  LoadResult full = LoadText(text);
  EXPECT_TRUE(full.ok()) << Messages(full);
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {

// A vault, an RSA key and a user-assigned identity, then `rest`.
std::string ConsumerEstate(const std::string& rest) {
  return Vault("bank-kv") + "---\n" + Key("cmk", "  vault: bank-kv\n  type: RSA\n  size: 2048\n") +
         "---\napiVersion: cmkctl/v1\nkind: Identity\nmetadata:\n  name: uami\n  owner: team-a\nspec:\n"
         "  subscription: " + kSub + "\n  resourceGroup: rg-a\n  location: westeurope\n---\n" + rest;
}
std::string BindingDoc(const std::string& kind, const std::string& name, const std::string& spec) {
  return "apiVersion: cmkctl/v1\nkind: " + kind + "\nmetadata:\n  name: " + name +
         "\n  owner: team-db\nspec:\n  subscription: " + std::string(kSub) + "\n  resourceGroup: rg-db\n" + spec;
}

TEST_F(ManifestTest, SqlTdeAndDiskEncryptionSetBindingsAreConsumersOfTheirKind) {
  LoadResult r = LoadText(ConsumerEstate(
      BindingDoc("SqlTdeBinding", "tde", "  sqlServer: bank-sql-01\n  key: cmk\n  identity:\n    userAssigned: uami\n") +
      "---\n" + BindingDoc("DiskEncryptionSetBinding", "disks", "  diskEncryptionSet: Bank_DES-01\n  key: cmk\n") +
      "---\napiVersion: cmkctl/v1\nkind: RoleAssignment\nmetadata:\n  name: des-crypto\n  owner: team-a\n"
      "spec:\n  principal:\n    diskEncryptionSet: Bank_DES-01\n  role: Key Vault Crypto Service Encryption User\n"
      "  scope:\n    key: cmk\n"));
  ASSERT_TRUE(r.ok()) << Messages(r);
  const BindingState& tde = r.desired.bindings.at("binding/tde").value;
  EXPECT_EQ(tde.consumer_kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(tde.consumer, "bank-sql-01");
  EXPECT_EQ(tde.vault, "bank-kv");
  EXPECT_EQ(tde.identity, IdentityArmId(kSub, "rg-a", "uami"));
  const BindingState& disks = r.desired.bindings.at("binding/disks").value;
  EXPECT_EQ(disks.consumer_kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(disks.consumer, "Bank_DES-01");
  EXPECT_EQ(disks.identity, "");  // system-assigned
  const RoleAssignmentState& ra = r.desired.role_assignments.at("role-assignment/des-crypto").value;
  EXPECT_EQ(ra.principal.consumer_kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(ra.principal.consumer, "Bank_DES-01");
  // The GUID names the principal by its kind's member.
  EXPECT_EQ(ra.id, DeterministicGuid(KeyArmId(kSub, "rg-a", "bank-kv", "cmk") +
                                     "|e147488a-f6f5-4113-8e2d-b22465e65bf6|diskEncryptionSet:Bank_DES-01"));
  // Neither identity has a grant on the key for the SQL server: a warning says so.
  EXPECT_NE(Messages(r).find("no RoleAssignment in these manifests grants identity 'uami'"), std::string::npos)
      << Messages(r);
}

TEST_F(ManifestTest, ConsumerNamesFollowTheirKindsRulesWithLocations) {
  LoadResult r = LoadText(ConsumerEstate(
      BindingDoc("SqlTdeBinding", "tde", "  sqlServer: Bank_SQL\n  key: cmk\n") + "---\n" +
      BindingDoc("DiskEncryptionSetBinding", "disks", "  diskEncryptionSet: des.01\n  key: cmk\n") + "---\n" +
      BindingDoc("SqlTdeBinding", "wrong", "  storageAccount: bankdata01\n  key: cmk\n")));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r, "spec.sqlServer: 'Bank_SQL' is not a SQL server name")) << Messages(r);
  EXPECT_TRUE(HasError(r, "spec.diskEncryptionSet: 'des.01' is not a disk encryption set name")) << Messages(r);
  EXPECT_TRUE(HasError(r, "storageAccount")) << Messages(r);
  EXPECT_NE(Messages(r).find("m.yaml:"), std::string::npos);
}

TEST_F(ManifestTest, BindingNamesAreSharedByEveryBindingKind) {
  LoadResult r = LoadText(ConsumerEstate(
      BindingDoc("StorageCmkBinding", "data", "  storageAccount: bankdata01\n  key: cmk\n") + "---\n" +
      BindingDoc("SqlTdeBinding", "data", "  sqlServer: bank-sql-01\n  key: cmk\n")));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r, "a SqlTdeBinding named 'data' takes the address binding/data of the StorageCmkBinding"))
      << Messages(r);
}

}  // namespace
}  // namespace cmk
