#include "engine/diff/diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/diff/diff_context.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"
#include "scenario.h"
#include "test_util.h"

namespace cmk {
namespace {

using ::testing::ElementsAre;


Plan PlanOf(const DesiredState& d, const LiveState& l, DiffOptions o = {}) {
  return Diff(d, l, o, kTarget);
}

DesiredState OnlyVault(VaultState v = Vault("bank-kv")) {
  DesiredState d;
  d.subscriptions = {kSub};
  d.vaults["vault/" + v.name] = At(v, 3);
  return d;
}

VaultState LiveVault(VaultState v = Vault("bank-kv")) {
  v.tags["managed-by"] = "cmkctl";
  v.id = VaultArmId(v.subscription, v.resource_group, v.name);
  v.etag = "e1";
  return v;
}

LiveState WithVault(VaultState v) {
  LiveState l;
  l.vaults["vault/" + v.name] = v;
  return l;
}

// --- Vaults ---------------------------------------------------------------

TEST(DiffVault, AbsentIsCreateWithOwnershipTag) {
  Plan p = PlanOf(OnlyVault(), {});
  const Change* c = FindChange(p, "vault/bank-kv");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kCreate);
  EXPECT_EQ(c->risk, Risk::kLow);
  EXPECT_EQ(c->reason, std::string("not found in rg-bank (subscription ") + kSub + ")");
  EXPECT_EQ(std::get<PutVault>(c->request).vault.tags.at("managed-by"), "cmkctl");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(c->before));
  EXPECT_EQ(c->reason_code, ChangeReason::kMissing);
  EXPECT_EQ(c->owner, "platform-security");
  EXPECT_EQ(c->source, "manifests/bank.yaml:3:1");
  EXPECT_FALSE(p.HasErrors());
}

TEST(DiffVault, MatchingLiveIsNoOp) {
  Plan p = PlanOf(OnlyVault(), WithVault(LiveVault()));
  EXPECT_EQ(FindChange(p, "vault/bank-kv")->action, Action::kNoOp);
  EXPECT_FALSE(p.HasChanges());
}

TEST(DiffVault, LocationCaseIsNotAChange) {
  VaultState live = LiveVault();
  live.location = "WestEurope";
  EXPECT_FALSE(PlanOf(OnlyVault(), WithVault(live)).HasChanges());
}

TEST(DiffVault, TagDifferenceIsLowRiskUpdate) {
  VaultState live = LiveVault();
  live.tags["env"] = "dev";
  live.tags["extra"] = "x";
  Plan p = PlanOf(OnlyVault(), WithVault(live));
  const Change* c = FindChange(p, "vault/bank-kv");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->risk, Risk::kLow);
  EXPECT_THAT(Paths(*c), ElementsAre("tags.env", "tags.extra"));
  EXPECT_EQ(c->fields[0].before, "dev");
  EXPECT_EQ(c->fields[0].after, "prod");
  EXPECT_TRUE(c->fields[1].after.is_null());
  EXPECT_EQ(c->reason, "tags.env, tags.extra differ");
}

TEST(DiffVault, UnownedLiveVaultIsAdopted) {
  VaultState live = LiveVault();
  live.tags.erase("managed-by");
  Plan p = PlanOf(OnlyVault(), WithVault(live));
  const Change* c = FindChange(p, "vault/bank-kv");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->risk, Risk::kMedium);
  EXPECT_EQ(c->reason, "adopt: add managed-by tag");
}

TEST(DiffVault, SoftDeleteRetentionIsAnError) {
  VaultState want = Vault("bank-kv");
  want.soft_delete_retention_days = 30;
  Plan p = PlanOf(OnlyVault(want), WithVault(LiveVault()));
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].message,
            "vault/bank-kv: softDeleteRetentionDays is fixed when a vault is created (live 90, "
            "manifest 30)");
  EXPECT_EQ(p.errors[0].address, "vault/bank-kv");
  EXPECT_EQ(p.errors[0].source, "manifests/bank.yaml:3:1");
}

TEST(DiffVault, DisablingPurgeProtectionIsAnError) {
  VaultState want = Vault("bank-kv");
  want.purge_protection = false;
  Plan p = PlanOf(OnlyVault(want), WithVault(LiveVault()));
  EXPECT_TRUE(HasMessage(p.errors, "purge protection cannot be disabled once enabled"));
}

TEST(DiffVault, EnablingPurgeProtectionIsAllowed) {
  VaultState live = LiveVault();
  live.purge_protection = false;
  Plan p = PlanOf(OnlyVault(), WithVault(live));
  EXPECT_FALSE(p.HasErrors());
  EXPECT_EQ(FindChange(p, "vault/bank-kv")->risk, Risk::kMedium);
}

TEST(DiffVault, MovingIsAReplaceAndAlwaysAnError) {
  VaultState want = Vault("bank-kv");
  want.location = "northeurope";
  DiffOptions o;
  o.allow_destroy = true;
  Plan p = PlanOf(OnlyVault(want), WithVault(LiveVault()), o);
  const Change* c = FindChange(p, "vault/bank-kv");
  EXPECT_EQ(c->action, Action::kReplace);
  EXPECT_EQ(c->reason, "replace: location westeurope\u2192northeurope forces a new vault");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("cmkctl never purges"), std::string::npos);
}

TEST(DiffVault, DisablingRbacOrDenyingNetworkIsHighRisk) {
  VaultState want = Vault("bank-kv");
  want.rbac_authorization = false;
  EXPECT_EQ(FindChange(PlanOf(OnlyVault(want), WithVault(LiveVault())), "vault/bank-kv")->risk,
            Risk::kHigh);
  VaultState deny = Vault("bank-kv");
  deny.network_acls.default_action = "Deny";
  Plan p = PlanOf(OnlyVault(deny), WithVault(LiveVault()));
  EXPECT_EQ(FindChange(p, "vault/bank-kv")->risk, Risk::kHigh);
  EXPECT_THAT(Paths(*FindChange(p, "vault/bank-kv")), ElementsAre("networkAcls.defaultAction"));
}

// --- Keys -----------------------------------------------------------------

DesiredState VaultAndKey(KeyState k) {
  DesiredState d = OnlyVault();
  d.keys["key/" + k.name] = At(k, 20);
  return d;
}

KeyState LiveKey(KeyState k = Key("bank-kv", "bank-cmk")) {
  k.tags["managed-by"] = "cmkctl";
  KeyVersionState v;
  v.version = "0123456789abcdef0123456789abcdef";
  k.versions = {v};
  return k;
}

LiveState VaultKeyLive(KeyState k) {
  LiveState l = WithVault(LiveVault());
  l.keys[k.vault + "/" + k.name] = k;
  return l;
}

TEST(DiffKey, AbsentIsCreateThenRotationPolicyCreate) {
  KeyState k = Key("bank-kv", "bank-cmk");
  k.rotation_policy = RotationPolicyState{"P1Y", std::nullopt, std::nullopt, "P2Y"};
  Plan p = PlanOf(VaultAndKey(k), WithVault(LiveVault()));
  const Change* key = FindChange(p, "key/bank-cmk");
  const Change* rp = FindChange(p, "key/bank-cmk/rotation-policy");
  ASSERT_TRUE(key && rp);
  EXPECT_EQ(key->action, Action::kCreate);
  EXPECT_EQ(key->reason, "not found in vault bank-kv");
  EXPECT_FALSE(std::get<CreateKey>(key->request).key.rotation_policy);
  EXPECT_THAT(key->depends_on, ElementsAre("vault/bank-kv"));
  EXPECT_EQ(rp->action, Action::kCreate);
  EXPECT_EQ(rp->kind, Kind::kRotationPolicy);
  EXPECT_THAT(rp->depends_on, ElementsAre("key/bank-cmk"));
  EXPECT_EQ(std::get<PutRotationPolicy>(rp->request).policy.rotate_after_create, "P1Y");
  EXPECT_LT(IndexOf(p, "key/bank-cmk"), IndexOf(p, "key/bank-cmk/rotation-policy"));
  EXPECT_TRUE(p.warnings.empty());
}

TEST(DiffKey, ShapeChangeIsReplaceAndAlwaysAnError) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.kty = "EC";
  want.key_size = 0;
  want.curve = "P-256";
  KeyState live = LiveKey();
  live.kty = "RSA";
  DiffOptions o;
  o.allow_destroy = true;
  Plan p = PlanOf(VaultAndKey(want), VaultKeyLive(live), o);
  const Change* c = FindChange(p, "key/bank-cmk");
  EXPECT_EQ(c->action, Action::kReplace);
  EXPECT_EQ(c->reason, "replace: kty RSA\u2192EC, keySize 3072\u2192(none), curve (none)\u2192P-256 forces a new key");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("declare a key with a new name"), std::string::npos);
}

TEST(DiffKey, HsmFlavourIsAChange) {
  KeyState live = LiveKey();
  live.kty = "RSA";
  Plan p = PlanOf(VaultAndKey(Key("bank-kv", "bank-cmk")), VaultKeyLive(live));
  EXPECT_EQ(FindChange(p, "key/bank-cmk")->action, Action::kReplace);
  EXPECT_TRUE(p.HasErrors());
}

TEST(DiffKey, AttributesAreUpdates) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.key_ops = {"wrapKey", "unwrapKey", "encrypt"};
  want.expires = 1800000000;
  Plan p = PlanOf(VaultAndKey(want), VaultKeyLive(LiveKey()));
  const Change* c = FindChange(p, "key/bank-cmk");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->risk, Risk::kLow);
  EXPECT_THAT(Paths(*c), ElementsAre("expires", "keyOps"));
  EXPECT_FALSE(p.HasErrors());
}

TEST(DiffKey, KeyOpsOrderDoesNotMatter) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.key_ops = {"wrapKey", "unwrapKey"};
  want.rotation_policy = RotationPolicyState{"P1Y", {}, {}, "P2Y"};
  KeyState live = LiveKey();
  live.rotation_policy = RotationPolicyState{"P1Y", {}, {}, "P2Y"};
  live.rotation_policy->updated = 1234;  // live only: ignored
  EXPECT_FALSE(PlanOf(VaultAndKey(want), VaultKeyLive(live)).HasChanges());
}

TEST(DiffKey, RemovingAnExpiryIsAnError) {
  KeyState live = LiveKey();
  live.expires = 1800000000;
  Plan p = PlanOf(VaultAndKey(Key("bank-kv", "bank-cmk")), VaultKeyLive(live));
  EXPECT_TRUE(HasMessage(p.errors, "key/bank-cmk: an expiry cannot be removed once set"));
}

TEST(DiffKey, DisablingIsHighRisk) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.enabled = false;
  Plan p = PlanOf(VaultAndKey(want), VaultKeyLive(LiveKey()));
  const Change* c = FindChange(p, "key/bank-cmk");
  EXPECT_EQ(c->risk, Risk::kHigh);
  EXPECT_NE(c->reason.find("consumers lose access to the current version"), std::string::npos);
}

TEST(DiffKey, UnownedKeyIsAdopted) {
  KeyState live = LiveKey();
  live.tags.erase("managed-by");
  Plan p = PlanOf(VaultAndKey(Key("bank-kv", "bank-cmk")), VaultKeyLive(live));
  const Change* c = FindChange(p, "key/bank-cmk");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason, "adopt: add managed-by tag");
  EXPECT_EQ(c->risk, Risk::kMedium);
}

TEST(DiffKey, RotationPolicyDifferenceIsUpdate) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.rotation_policy = RotationPolicyState{"P1Y", {}, "P30D", "P2Y"};
  KeyState live = LiveKey();
  live.rotation_policy = RotationPolicyState{"P18M", {}, {}, "P2Y"};
  Plan p = PlanOf(VaultAndKey(want), VaultKeyLive(live));
  const Change* rp = FindChange(p, "key/bank-cmk/rotation-policy");
  ASSERT_NE(rp, nullptr);
  EXPECT_EQ(rp->action, Action::kUpdate);
  EXPECT_THAT(Paths(*rp), ElementsAre("policy.notifyBeforeExpiry", "policy.rotateAfterCreate"));
  EXPECT_EQ(FindChange(p, "key/bank-cmk")->action, Action::kNoOp);
}

TEST(DiffKey, RotationPolicyMissingLiveIsCreate) {
  KeyState want = Key("bank-kv", "bank-cmk");
  want.rotation_policy = RotationPolicyState{"P1Y", {}, {}, "P2Y"};
  Plan p = PlanOf(VaultAndKey(want), VaultKeyLive(LiveKey()));
  EXPECT_EQ(FindChange(p, "key/bank-cmk/rotation-policy")->action, Action::kCreate);
}

TEST(DiffKey, NoPolicyAnywhereWarnsButLivePolicyIsLeftAlone) {
  Plan none = PlanOf(VaultAndKey(Key("bank-kv", "bank-cmk")), VaultKeyLive(LiveKey()));
  ASSERT_EQ(none.warnings.size(), 1u);
  EXPECT_EQ(none.warnings[0].message, "key/bank-cmk: no rotation policy in manifests");
  KeyState live = LiveKey();
  live.rotation_policy = RotationPolicyState{"P1Y", {}, {}, "P2Y"};
  Plan left = PlanOf(VaultAndKey(Key("bank-kv", "bank-cmk")), VaultKeyLive(live));
  EXPECT_TRUE(left.warnings.empty());
  EXPECT_EQ(FindChange(left, "key/bank-cmk/rotation-policy"), nullptr);
  EXPECT_FALSE(left.HasChanges());
}

// --- Identities -----------------------------------------------------------

DesiredState OnlyIdentity(IdentityState i = Identity("bank-uami")) {
  DesiredState d;
  d.identities["identity/" + i.name] = At(i, 40);
  return d;
}

LiveState LiveIdentity(IdentityState i = Identity("bank-uami")) {
  i.tags["managed-by"] = "cmkctl";
  i.principal_id = "p-1";
  LiveState l;
  l.identities["identity/" + i.name] = i;
  return l;
}

TEST(DiffIdentity, CreateUpdateNoOp) {
  EXPECT_EQ(FindChange(PlanOf(OnlyIdentity(), {}), "identity/bank-uami")->action, Action::kCreate);
  EXPECT_FALSE(PlanOf(OnlyIdentity(), LiveIdentity()).HasChanges());
  IdentityState want = Identity("bank-uami");
  want.tags["team"] = "treasury";
  Plan p = PlanOf(OnlyIdentity(want), LiveIdentity());
  const Change* c = FindChange(p, "identity/bank-uami");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->reason, "tags.team differs");
}

TEST(DiffIdentity, MoveNeedsAllowDestroy) {
  IdentityState want = Identity("bank-uami");
  want.location = "northeurope";
  Plan refused = PlanOf(OnlyIdentity(want), LiveIdentity());
  EXPECT_EQ(FindChange(refused, "identity/bank-uami")->action, Action::kReplace);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_NE(refused.errors[0].message.find("role assignments for it must be recreated"),
            std::string::npos);
  EXPECT_NE(refused.errors[0].message.find("--allow-destroy"), std::string::npos);
  DiffOptions o;
  o.allow_destroy = true;
  Plan allowed = PlanOf(OnlyIdentity(want), LiveIdentity(), o);
  EXPECT_FALSE(allowed.HasErrors());
  EXPECT_EQ(FindChange(allowed, "identity/bank-uami")->action, Action::kReplace);
}

// --- Role assignments -----------------------------------------------------

DesiredState IdentityAndAssignment(PrincipalRef principal) {
  DesiredState d = VaultAndKey(Key("bank-kv", "bank-cmk"));
  d.identities["identity/bank-uami"] = At(Identity("bank-uami"), 40);
  d.role_assignments["role-assignment/ra"] = At(Assignment("ra", BankKeyScope(), principal), 50);
  return d;
}

LiveState IdentityKeyLive() {
  LiveState l = VaultKeyLive(LiveKey());
  l.identities = LiveIdentity().identities;
  return l;
}

TEST(DiffRoleAssignment, ExistingByIdIsNoOp) {
  DesiredState d = IdentityAndAssignment({"bank-uami", "", ""});
  LiveState l = IdentityKeyLive();
  RoleAssignmentState live = d.role_assignments["role-assignment/ra"].value;
  live.principal_id = "p-1";
  live.description = "managed-by=cmkctl role-assignment/ra";
  l.role_assignments[live.id] = live;
  Plan p = PlanOf(d, l);
  const Change* c = FindChange(p, "role-assignment/ra");
  EXPECT_EQ(c->action, Action::kNoOp);
}

TEST(DiffRoleAssignment, ExistingOutsideCmkctlIsNoOpWithReason) {
  DesiredState d = IdentityAndAssignment({"bank-uami", "", ""});
  LiveState l = IdentityKeyLive();
  RoleAssignmentState other;
  other.id = "99999999-0000-0000-0000-000000000000";
  other.scope = Lower(BankKeyScope());
  other.role_definition_id = std::string("/subscriptions/") + kSub +
                             "/providers/Microsoft.Authorization/roleDefinitions/E147488A-F6F5-4113-8E2D-B22465E65BF6";
  other.principal_id = "P-1";
  l.role_assignments[other.id] = other;
  Plan p = PlanOf(d, l);
  const Change* c = FindChange(p, "role-assignment/ra");
  EXPECT_EQ(c->action, Action::kNoOp);
  EXPECT_EQ(c->reason, "exists as 99999999-0000-0000-0000-000000000000, created outside cmkctl");
}

TEST(DiffRoleAssignment, KnownPrincipalCreate) {
  Plan p = PlanOf(IdentityAndAssignment({"bank-uami", "", ""}), IdentityKeyLive());
  const Change* c = FindChange(p, "role-assignment/ra");
  EXPECT_EQ(c->action, Action::kCreate);
  EXPECT_EQ(c->risk, Risk::kMedium);
  const GrantRole& grant = std::get<GrantRole>(c->request);
  EXPECT_EQ(grant.assignment.principal_id, "p-1");
  EXPECT_EQ(grant.assignment.description.rfind("managed-by=cmkctl", 0), 0u);
  EXPECT_THAT(c->depends_on, ElementsAre("identity/bank-uami", "key/bank-cmk"));
}

TEST(DiffRoleAssignment, PrincipalKnownAfterApply) {
  Plan p = PlanOf(IdentityAndAssignment({"bank-uami", "", ""}), VaultKeyLive(LiveKey()));
  const Change* c = FindChange(p, "role-assignment/ra");
  EXPECT_EQ(c->action, Action::kCreate);
  const GrantRole& grant = std::get<GrantRole>(c->request);
  EXPECT_TRUE(grant.assignment.principal_id.empty());
  EXPECT_NE(c->reason.find("principal known after apply"), std::string::npos);
  ASSERT_TRUE(grant.principal.identity);
  EXPECT_EQ(grant.principal.identity->name, "bank-uami");
  EXPECT_LT(IndexOf(p, "identity/bank-uami"), IndexOf(p, "role-assignment/ra"));
}

TEST(DiffRoleAssignment, LiteralObjectId) {
  Plan p = PlanOf(IdentityAndAssignment({"", "", "0b1e0000-0000-0000-0000-000000000000"}),
               IdentityKeyLive());
  EXPECT_EQ(std::get<GrantRole>(FindChange(p, "role-assignment/ra")->request).assignment.principal_id,
            "0b1e0000-0000-0000-0000-000000000000");
}

TEST(DiffRoleAssignment, StoragePrincipalWithoutBindingIsAnError) {
  Plan p = PlanOf(IdentityAndAssignment({"", "orphan01", ""}), IdentityKeyLive());
  EXPECT_TRUE(HasMessage(p.errors, "storage account orphan01 is not named by any StorageCmkBinding"));
  EXPECT_EQ(FindChange(p, "role-assignment/ra"), nullptr);
}

// --- Bindings -------------------------------------------------------------

TEST(DiffBinding, MissingStorageAccountIsAnError) {
  DesiredState d = BankDesired();
  LiveState l;
  Plan p = PlanOf(d, l);
  EXPECT_TRUE(HasMessage(p.errors, std::string("storage/bankdata01: not found in subscription ") +
                                       kSub + ", resource group rg-bank; cmkctl never creates "
                                              "storage accounts"));
}

TEST(DiffBinding, BindRepinAndNoOp) {
  DesiredState d = BankDesired();
  LiveState l = RichLive();
  Plan p = PlanOf(d, l);
  const Change* bind = FindChange(p, "binding/bankdata");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->action, Action::kUpdate);
  EXPECT_EQ(bind->risk, Risk::kHigh);
  EXPECT_EQ(bind->reason, "bind: Microsoft.Storage \u2192 key bank-cmk (auto)");
  EXPECT_EQ(bind->reason_code, ChangeReason::kBind);
  EXPECT_EQ(std::get<ConsumerEncryption>(bind->before).encryption.key_source, "Microsoft.Storage");
  const UpdateConsumerEncryption& update = std::get<UpdateConsumerEncryption>(bind->request);
  EXPECT_EQ(update.encryption.key_vault_uri, "https://bank-kv.vault.azure.net");
  EXPECT_EQ(update.consumer.name, "bankdata01");

  ConsumerState& acct = l.consumers["storage/bankdata01"];
  acct.encryption.key_source = "Microsoft.KeyVault";
  acct.encryption.key_vault_uri = "https://BANK-KV.vault.azure.net/";
  acct.encryption.key_name = "bank-cmk";
  acct.encryption.key_version = "0123456789abcdef0123456789abcdef";
  acct.encryption.user_assigned_identity = IdentityArmId(kSub, kRg, "bank-uami");
  Plan p2 = PlanOf(d, l);
  const Change* repin = FindChange(p2, "binding/bankdata");
  EXPECT_EQ(repin->reason, "repin: keyVersion 01234567\u2026 \u2192 auto");
  EXPECT_THAT(Paths(*repin), ElementsAre("encryption.keyVersion"));
  acct.encryption.key_version.clear();
  acct.encryption.current_versioned_key_id = "https://bank-kv.vault.azure.net/keys/bank-cmk/abc";
  EXPECT_EQ(FindChange(PlanOf(d, l), "binding/bankdata")->action, Action::kNoOp);
}

TEST(DiffBinding, SystemIdentityIsEnabledFirst) {
  Plan p = PlanOf(BankDesired(), RichLive());
  const Change* sid = FindChange(p, "storage/archive01/identity");
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid->action, Action::kCreate);
  EXPECT_EQ(sid->kind, Kind::kStorageCmkBinding);
  const Change* ra = FindChange(p, "role-assignment/archive-crypto");
  EXPECT_THAT(ra->depends_on, ElementsAre("key/bank-cmk", "storage/archive01/identity"));
  EXPECT_NE(ra->reason.find("principal known after apply"), std::string::npos);
  const Change* b = FindChange(p, "binding/archive");
  EXPECT_THAT(b->depends_on, ElementsAre("key/bank-cmk", "role-assignment/archive-crypto",
                                         "storage/archive01/identity"));
  EXPECT_THAT(FindChange(p, "binding/bankdata")->depends_on,
              ElementsAre("identity/bank-uami", "key/bank-cmk", "role-assignment/bank-uami-crypto"));
}

// --- Prune ----------------------------------------------------------------

LiveState PruneLive() {
  LiveState l = WithVault(LiveVault());
  VaultState gone = LiveVault(Vault("gone-kv"));
  l.vaults["vault/gone-kv"] = gone;
  KeyState k = LiveKey(Key("gone-kv", "gone-cmk"));
  l.keys["gone-kv/gone-cmk"] = k;
  IdentityState i = LiveIdentity(Identity("gone-uami")).identities["identity/gone-uami"];
  l.identities["identity/gone-uami"] = i;
  RoleAssignmentState ra = Assignment("gone-ra", KeyArmId(kSub, kRg, "gone-kv", "gone-cmk"), {});
  ra.principal_id = "p-1";
  ra.description = "managed-by=cmkctl role-assignment/gone-ra";
  l.role_assignments[ra.id] = ra;
  RoleAssignmentState foreign = ra;
  foreign.id = "foreign";
  foreign.name = "";
  foreign.description = "made by hand";
  l.role_assignments[foreign.id] = foreign;
  VaultState unowned = Vault("their-kv");
  l.vaults["vault/their-kv"] = unowned;
  return l;
}

TEST(DiffPrune, WithoutPruneOnlyWarns) {
  Plan p = PlanOf(OnlyVault(), PruneLive());
  EXPECT_FALSE(p.HasChanges());
  EXPECT_TRUE(HasMessage(p.warnings, "vault/gone-kv is managed by cmkctl but absent from the manifests (use --prune to delete it)"));
  EXPECT_TRUE(HasMessage(p.warnings, "key/gone-cmk is managed"));
  EXPECT_TRUE(HasMessage(p.warnings, "identity/gone-uami is managed"));
  EXPECT_TRUE(HasMessage(p.warnings, "role-assignment/gone-ra is managed"));
  EXPECT_FALSE(HasMessage(p.warnings, "their-kv"));
  EXPECT_FALSE(HasMessage(p.warnings, "foreign"));
}

TEST(DiffPrune, PruneWithoutAllowDestroyRefusesVaultsAndKeys) {
  DiffOptions o;
  o.prune = true;
  Plan p = PlanOf(OnlyVault(), PruneLive(), o);
  EXPECT_TRUE(HasMessage(p.errors, "deleting key/gone-cmk is destructive: it makes data wrapped "
                                   "with its versions unreadable once purged; pass "
                                   "--allow-destroy to plan it"));
  EXPECT_TRUE(HasMessage(p.errors, "deleting vault/gone-kv is destructive"));
  EXPECT_FALSE(HasMessage(p.errors, "identity/gone-uami"));
  const Change* c = FindChange(p, "identity/gone-uami");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kDelete);
  EXPECT_EQ(c->owner, "unknown");
  EXPECT_EQ(c->source, "");
  EXPECT_EQ(c->risk, Risk::kHigh);
  EXPECT_EQ(c->reason_code, ChangeReason::kPrune);
  EXPECT_EQ(std::get<DeleteIdentity>(c->request).identity.name, "gone-uami");
  EXPECT_EQ(std::get<IdentityState>(c->before).name, "gone-uami");
}

TEST(DiffPrune, DeletesComeLastInReverseDependencyOrder) {
  DiffOptions o;
  o.prune = true;
  o.allow_destroy = true;
  DesiredState d = OnlyVault();
  d.keys["key/new"] = At(Key("bank-kv", "new"), 9);
  Plan p = PlanOf(d, PruneLive(), o);
  EXPECT_FALSE(p.HasErrors());
  std::vector<std::string> order;
  for (const auto& c : p.changes)
    if (c.action != Action::kNoOp) order.push_back(c.address);
  EXPECT_THAT(order, ElementsAre("key/new", "role-assignment/gone-ra", "key/gone-cmk",
                                 "identity/gone-uami", "vault/gone-kv"));
  EXPECT_THAT(FindChange(p, "vault/gone-kv")->depends_on, ElementsAre("key/gone-cmk", "role-assignment/gone-ra"));
  EXPECT_EQ(FindChange(p, "role-assignment/foreign"), nullptr);
}

// --- Order and hooks ------------------------------------------------------

TEST(DiffOrder, DependenciesThenTiers) {
  Plan p = PlanOf(BankDesired(), RichLive());
  std::vector<std::string> order;
  for (const auto& c : p.changes) order.push_back(c.address);
  EXPECT_THAT(order, ElementsAre("vault/bank-kv", "identity/bank-uami", "storage/archive01/identity",
                                 "key/bank-cmk", "key/bank-cmk/rotation-policy",
                                 "role-assignment/archive-crypto",
                                 "role-assignment/bank-uami-crypto", "binding/archive",
                                 "binding/bankdata"));
  // Every dependency precedes its dependent.
  for (size_t i = 0; i < p.changes.size(); ++i)
    for (const auto& d : p.changes[i].depends_on) EXPECT_LT(IndexOf(p, d), i) << d;
}

TEST(DiffOrder, CyclesAreReportedNotLooped) {
  DesiredState d;
  LiveState l;
  DiffOptions o;
  Plan p;
  DiffContext ctx{d, l, o, p, DiffIndex::Build(d, l), {}, {}, {}, {}};
  Change a;
  a.address = "key/a";
  a.kind = Kind::kKey;
  a.depends_on = {"key/b"};
  Change b = a;
  b.address = "key/b";
  b.depends_on = {"key/a"};
  ctx.Add(a, "a");
  ctx.Add(b, "b");
  OrderChanges(ctx);
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_TRUE(HasMessage(p.errors, "dependency cycle among: key/a, key/b"));
}

TEST(DiffRoleAssignment, ReplacedIdentityReplacesItsAssignments) {
  DesiredState d = IdentityAndAssignment({"bank-uami", "", ""});
  d.identities["identity/bank-uami"].value.location = "northeurope";
  LiveState l = IdentityKeyLive();
  RoleAssignmentState live = d.role_assignments["role-assignment/ra"].value;
  live.principal_id = "p-1";
  l.role_assignments[live.id] = live;
  DiffOptions o;
  o.allow_destroy = true;
  Plan p = PlanOf(d, l, o);
  EXPECT_FALSE(p.HasErrors());
  const Change* c = FindChange(p, "role-assignment/ra");
  EXPECT_EQ(c->action, Action::kReplace);
  EXPECT_TRUE(std::get<GrantRole>(c->request).assignment.principal_id.empty());
  EXPECT_LT(IndexOf(p, "identity/bank-uami"), IndexOf(p, "role-assignment/ra"));
}

TEST(DiffHooks, SelectedByKindNameAndAction) {
  DesiredState d = BankDesired();
  HookSpec only_archive;
  only_archive.name = "archive-only";
  only_archive.names = {"archive"};
  d.hooks["hook/archive-only"] = At(only_archive, 120);
  HookSpec creates;
  creates.name = "on-create";
  creates.actions = {"create"};
  d.hooks["hook/on-create"] = At(creates, 130);
  Plan p = PlanOf(d, RichLive());
  EXPECT_THAT(FindChange(p, "binding/bankdata")->hooks, ElementsAre("notify"));
  // storage/archive01/identity is the binding "archive"'s, but not a "bind" action.
  EXPECT_THAT(FindChange(p, "storage/archive01/identity")->hooks,
              ElementsAre("archive-only", "on-create"));
  EXPECT_THAT(FindChange(p, "binding/archive")->hooks, ElementsAre("archive-only", "notify"));
  EXPECT_THAT(FindChange(p, "key/bank-cmk")->hooks, ElementsAre("audit-keys", "on-create"));
  EXPECT_THAT(FindChange(p, "key/bank-cmk/rotation-policy")->hooks,
              ElementsAre("audit-keys", "on-create"));
  EXPECT_THAT(FindChange(p, "vault/bank-kv")->hooks, ElementsAre());
}

TEST(DiffDeterminism, SameInputsSameBytes) {
  Plan a = PlanOf(RichDesired(), RichLive());
  Plan b = PlanOf(RichDesired(), RichLive());
  EXPECT_EQ(RenderText(a), RenderText(b));
  EXPECT_EQ(RenderMarkdown(a), RenderMarkdown(b));
  EXPECT_EQ(PlanToJsonText(a), PlanToJsonText(b));
}

TEST(DiffPlan, CarriesQueryAndFingerprints) {
  Plan p = PlanOf(BankDesired(), RichLive());
  EXPECT_EQ(p.target.ToString(), "sandbox: .cmkctl/");
  EXPECT_EQ(p.query.vaults.count("vault/bank-kv"), 1u);
  EXPECT_EQ(p.fingerprints.at("key/bank-cmk"), "absent");
  EXPECT_EQ(p.fingerprints.at("vault/bank-kv").size(), 16u);
  EXPECT_EQ(p.query.consumers.count("storage/archive01"), 1u);
}

}  // namespace
}  // namespace cmk
