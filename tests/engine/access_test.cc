// The access analysis and the plan rules built on it: a consumer that cannot
// use its key version is an `inaccessible` finding; a plan after which a
// consumer that can use it now no longer could is refused. The sandbox's own
// verdict (StorageInaccessibleCause, computed by the sandbox from its store)
// is the independent oracle the analysis is checked against.
#include "engine/access/access.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/apply/apply.h"
#include "engine/diff/diff.h"
#include "engine/plan/render.h"
#include "engine/read/live_reader.h"
#include "model/arm_id.h"
#include "scenario.h"
#include "test_cloud.h"
#include "test_util.h"

namespace cmk {
namespace {

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
    Plan first = PlanNow(BankDesired());
    ASSERT_FALSE(first.HasErrors()) << RenderText(first);
    ApplyResult r = Apply(first, cloud_, nullptr);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(Oracle("bankdata01"), std::nullopt);
    ASSERT_EQ(Oracle("archive01"), std::nullopt);
  }
  Plan PlanNow(const DesiredState& d, DiffOptions o = {}) {
    o.now = cloud_.Now();
    return PlanAgainst(cloud_, d, o);
  }
  std::optional<std::string> Oracle(const std::string& account) {
    auto cause = cloud_.cloud().StorageInaccessibleCause(kSub, kRg, account);
    EXPECT_TRUE(cause.ok()) << cause.status().ToString();
    return cause.ok() ? *cause : std::optional<std::string>("(oracle failed)");
  }
  static std::vector<const Finding*> Inaccessible(const Plan& p) {
    std::vector<const Finding*> out;
    for (const auto& k : p.keys)
      for (const auto& f : k.findings)
        if (f.kind == "inaccessible") out.push_back(&f);
    return out;
  }
  TestCloud cloud_;
};

// Hole 2: a grant removed behind cmkctl's back shows up in the plan, with the
// cause in the sandbox's own words.
TEST_F(AccessTest, AnOutOfBandRemovalIsAnInaccessibleFinding) {
  EXPECT_TRUE(Inaccessible(PlanNow(BankDesired())).empty());
  const std::string id = BankDesired().role_assignments["role-assignment/archive-crypto"].value.id;
  ASSERT_TRUE(cloud_.cloud().DeleteRoleAssignment(id).ok());
  std::optional<std::string> oracle = Oracle("archive01");
  ASSERT_TRUE(oracle.has_value());
  Plan p = PlanNow(BankDesired());
  std::vector<const Finding*> found = Inaccessible(p);
  ASSERT_EQ(found.size(), 1u) << RenderText(p);
  EXPECT_EQ(found[0]->subject, "storage/archive01");
  EXPECT_NE(found[0]->message.find(*oracle), std::string::npos) << found[0]->message << " vs " << *oracle;
  EXPECT_NE(RenderText(p).find("storage/archive01 cannot use its key"), std::string::npos);
}

// A grant inherited from the resource group reaches the key, as in Azure:
// the read covers the vault's resource group and subscription.
TEST_F(AccessTest, AGrantAtTheResourceGroupCounts) {
  std::string principal = cloud_.FindStorage("archive01")->system_principal_id;
  RoleAssignmentState above = Assignment("archive-rg", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg,
                                         PrincipalRef{});
  above.principal_id = principal;
  ASSERT_TRUE(cloud_.cloud().PutRoleAssignment(above).ok());
  const std::string id = BankDesired().role_assignments["role-assignment/archive-crypto"].value.id;
  ASSERT_TRUE(cloud_.cloud().DeleteRoleAssignment(id).ok());
  ASSERT_EQ(Oracle("archive01"), std::nullopt);
  DesiredState d = BankDesired();
  d.role_assignments.erase("role-assignment/archive-crypto");
  Plan p = PlanNow(d);
  EXPECT_TRUE(Inaccessible(p).empty()) << RenderText(p);
  EXPECT_FALSE(p.HasErrors()) << RenderText(p);
}

// On a vault with access policies (rbacAuthorization off) an access policy
// is what lets a consumer in, and cmkctl judges it from what it reads, as the
// sandbox does: a policy removed out of band is a finding; a plan that turns
// RBAC on without the grants is refused.
TEST_F(AccessTest, AccessPolicyVaultsAreJudgedByTheirPolicies) {
  std::string archive = cloud_.FindStorage("archive01")->system_principal_id;
  auto uami = cloud_.cloud().GetIdentity(kSub, kRg, "bank-uami");  // bankdata01 reaches the key as it
  ASSERT_TRUE(uami.ok() && uami->has_value());
  std::string data = (*uami)->principal_id;
  auto vault = cloud_.cloud().GetVaultByName("bank-kv");
  ASSERT_TRUE(vault.ok() && vault->has_value());
  VaultState v = **vault;
  v.rbac_authorization = false;
  v.access_policies = {{"tenant", archive, {"get", "wrapKey", "unwrapKey"}}, {"tenant", data, {"all"}}};
  ASSERT_TRUE(cloud_.cloud().PutVault(v).ok());
  ASSERT_EQ(Oracle("archive01"), std::nullopt);
  ASSERT_EQ(Oracle("bankdata01"), std::nullopt);
  DesiredState d = BankDesired();
  d.vaults["vault/bank-kv"].value.rbac_authorization = false;
  // The role assignments do not count here: removing them changes nothing.
  for (const auto& [address, ra] : d.role_assignments) (void)cloud_.cloud().DeleteRoleAssignment(ra.value.id);
  d.role_assignments.clear();
  ASSERT_EQ(Oracle("archive01"), std::nullopt);
  Plan clean = PlanNow(d);
  EXPECT_TRUE(Inaccessible(clean).empty()) << RenderText(clean);
  EXPECT_FALSE(clean.HasErrors()) << RenderText(clean);
  // A plan that updates the vault (a tag) keeps its policies: still fine.
  d.vaults["vault/bank-kv"].value.tags["team"] = "treasury";
  Plan tagged = PlanNow(d);
  EXPECT_FALSE(tagged.HasErrors()) << RenderText(tagged);
  ASSERT_TRUE(Apply(tagged, cloud_, nullptr).status.ok());
  ASSERT_EQ(Oracle("archive01"), std::nullopt) << "cmkctl never writes access policies";

  // Out of band: archive01's policy loses unwrapKey.
  vault = cloud_.cloud().GetVaultByName("bank-kv");
  v = **vault;
  v.access_policies[0].keys = {"get", "wrapKey"};
  ASSERT_TRUE(cloud_.cloud().PutVault(v).ok());
  std::optional<std::string> oracle = Oracle("archive01");
  ASSERT_TRUE(oracle.has_value());
  EXPECT_NE(oracle->find("no access policy grants"), std::string::npos) << *oracle;
  Plan p = PlanNow(d);
  std::vector<const Finding*> found = Inaccessible(p);
  ASSERT_EQ(found.size(), 1u) << RenderText(p);
  EXPECT_EQ(found[0]->subject, "storage/archive01");
  EXPECT_NE(found[0]->message.find(*oracle), std::string::npos) << found[0]->message << " vs " << *oracle;

  // Turning RBAC on without role assignments would cut bankdata01 off.
  d.vaults["vault/bank-kv"].value.rbac_authorization = true;
  Plan rbac = PlanNow(d);
  EXPECT_TRUE(HasMessage(rbac.errors, "would cut storage/bankdata01 off the key version it uses")) << RenderText(rbac);
}

// Hole 1: pruning the grant a bound account depends on is refused, and
// deleting a role assignment needs --allow-destroy in the first place.
TEST_F(AccessTest, PruningAGrantInUseIsAPlanError) {
  DesiredState d = BankDesired();
  d.role_assignments.erase("role-assignment/archive-crypto");
  DiffOptions o;
  o.prune = true;
  Plan without_consent = PlanNow(d, o);
  EXPECT_TRUE(HasMessage(without_consent.errors, "pass --allow-destroy")) << RenderText(without_consent);
  o.allow_destroy = true;
  Plan p = PlanNow(d, o);
  ASSERT_TRUE(p.HasErrors());
  EXPECT_TRUE(HasMessage(p.errors, "would cut storage/archive01 off the key version it uses")) << RenderText(p);
  EXPECT_FALSE(HasMessage(p.errors, "storage/bankdata01"));
  EXPECT_FALSE(Apply(p, cloud_, nullptr).status.ok());
  EXPECT_EQ(Oracle("archive01"), std::nullopt);
}

// Hole 5: each manifest edit that would cut both accounts off is a plan
// error naming them.
TEST_F(AccessTest, ManifestEditsThatCutConsumersOffAreRefused) {
  struct Edit {
    std::string what;
    std::function<void(DesiredState&)> apply;
    std::string cause;
  };
  const int64_t now = cloud_.Now();
  std::vector<Edit> edits = {
      {"expiry in the past", [&](DesiredState& d) { d.keys["key/bank-cmk"].value.expires = now - 86400; },
       "expired at"},
      {"notBefore in 2030", [&](DesiredState& d) { d.keys["key/bank-cmk"].value.not_before = 1893456000; },
       "is not valid before 2030-01-01T00:00:00Z"},
      {"bypass None behind Deny",
       [&](DesiredState& d) {
         d.vaults["vault/bank-kv"].value.network_acls.default_action = "Deny";
         d.vaults["vault/bank-kv"].value.network_acls.bypass = "None";
       },
       "does not let trusted Azure services through"},
      {"operations encrypt, decrypt",
       [&](DesiredState& d) { d.keys["key/bank-cmk"].value.key_ops = {"decrypt", "encrypt"}; },
       "does not permit wrapKey and unwrapKey"},
      {"enabled: false", [&](DesiredState& d) { d.keys["key/bank-cmk"].value.enabled = false; },
       "is disabled"},
  };
  for (const Edit& e : edits) {
    DesiredState d = BankDesired();
    e.apply(d);
    Plan p = PlanNow(d);
    for (const char* account : {"storage/bankdata01", "storage/archive01"})
      EXPECT_TRUE(HasMessage(p.errors, std::string("would cut ") + account)) << e.what << "\n" << RenderText(p);
    EXPECT_TRUE(HasMessage(p.errors, e.cause)) << e.what << "\n" << RenderText(p);
  }
}

// Hole 4: a soft-deleted key is recovered, never created over (which Azure
// refuses): the plan says recover, apply brings every version back as it
// was, and the consumers reach their key again.
TEST_F(AccessTest, ASoftDeletedKeyIsRecoveredByApply) {
  auto versions = [&] {
    std::vector<std::string> out;
    std::optional<KeyState> k = cloud_.FindKey("bank-kv", "bank-cmk");
    if (k)
      for (const auto& v : k->versions) out.push_back(v.version);
    return out;
  };
  std::vector<std::string> versions_before = versions();
  ASSERT_TRUE(cloud_.cloud().DeleteKey("bank-kv", "bank-cmk").ok());
  ASSERT_TRUE(Oracle("archive01").has_value());
  Plan p = PlanNow(BankDesired());
  ASSERT_FALSE(p.HasErrors()) << RenderText(p);
  const Change* c = FindChange(p, "key/bank-cmk");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kRecover) << RenderText(p);
  EXPECT_EQ(c->reason_code, ChangeReason::kRecover);
  EXPECT_NE(c->reason.find("purge scheduled"), std::string::npos) << c->reason;
  EXPECT_EQ(p.Summary().recover, 1);
  EXPECT_EQ(p.Summary().create, 0) << RenderText(p);
  EXPECT_NE(RenderText(p).find("recover"), std::string::npos);
  ApplyResult r = Apply(p, cloud_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_FALSE(versions_before.empty());
  EXPECT_EQ(versions(), versions_before);
  EXPECT_EQ(Oracle("archive01"), std::nullopt);
  EXPECT_EQ(Oracle("bankdata01"), std::nullopt);
  Plan next = PlanNow(BankDesired());
  EXPECT_FALSE(next.HasChanges()) << RenderText(next);
}

// A soft-deleted vault is recovered with its keys; as in Azure its role
// assignments were deleted with it, so the same plan grants them again.
TEST_F(AccessTest, ASoftDeletedVaultIsRecoveredByApply) {
  std::string version = cloud_.FindKey("bank-kv", "bank-cmk")->versions.back().version;
  ASSERT_TRUE(cloud_.cloud().DeleteVault(kSub, kRg, "bank-kv").ok());
  auto grants = cloud_.cloud().ListRoleAssignments(BankKeyScope());
  ASSERT_TRUE(grants.ok());
  EXPECT_TRUE(grants->empty()) << "Azure deletes a vault's role assignments with it";
  Plan p = PlanNow(BankDesired());
  ASSERT_FALSE(p.HasErrors()) << RenderText(p);
  ASSERT_NE(FindChange(p, "vault/bank-kv"), nullptr);
  EXPECT_EQ(FindChange(p, "vault/bank-kv")->action, Action::kRecover) << RenderText(p);
  const Change* key = FindChange(p, "key/bank-cmk");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->action, Action::kNoOp) << "creating over a recovered key would rotate it\n" << RenderText(p);
  EXPECT_TRUE(HasMessage(p.warnings, "its vault is recovered by this plan")) << RenderText(p);
  EXPECT_EQ(FindChange(p, "role-assignment/archive-crypto")->action, Action::kCreate) << RenderText(p);
  ApplyResult r = Apply(p, cloud_, nullptr);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(cloud_.FindKey("bank-kv", "bank-cmk").has_value());
  EXPECT_EQ(cloud_.FindKey("bank-kv", "bank-cmk")->versions.back().version, version);
  EXPECT_EQ(Oracle("archive01"), std::nullopt);
  EXPECT_EQ(Oracle("bankdata01"), std::nullopt);
  Plan next = PlanNow(BankDesired());
  EXPECT_FALSE(next.HasErrors()) << RenderText(next);
  EXPECT_FALSE(next.HasChanges()) << RenderText(next);
}

// A binding to be changed into a vault being recovered waits for the next
// plan: Storage refuses a key it cannot read, and which keys come back with
// the vault cannot be read before it is back.
TEST_F(AccessTest, ABindingIntoARecoveringVaultWaitsForTheNextPlan) {
  ASSERT_TRUE(cloud_.cloud().DeleteVault(kSub, kRg, "bank-kv").ok());
  DesiredState d = BankDesired();
  d.bindings["binding/archive"].value.key = "archive-cmk";
  Plan p = PlanNow(d);
  EXPECT_FALSE(p.HasErrors()) << RenderText(p);
  const Change* b = FindChange(p, "binding/archive");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->action, Action::kNoOp) << RenderText(p);
  EXPECT_EQ(b->reason_code, ChangeReason::kRecover) << RenderText(p);
  EXPECT_TRUE(HasMessage(p.warnings, "binding/archive: its vault is recovered by this plan")) << RenderText(p);
}

// What a deleted object cannot change is a plan error, never a purge.
TEST_F(AccessTest, ADeletedObjectThatDiffersFromTheManifestIsAPlanError) {
  ASSERT_TRUE(cloud_.cloud().DeleteKey("bank-kv", "bank-cmk").ok());
  DesiredState d = BankDesired();
  d.keys["key/bank-cmk"].value.kty = "EC";
  d.keys["key/bank-cmk"].value.key_size = 0;
  d.keys["key/bank-cmk"].value.curve = "P-256";
  Plan p = PlanNow(d);
  EXPECT_TRUE(HasMessage(p.errors, "key/bank-cmk: the soft-deleted key is RSA")) << RenderText(p);
  ASSERT_TRUE(cloud_.cloud().DeleteVault(kSub, kRg, "bank-kv").ok());
  d = BankDesired();
  d.vaults["vault/bank-kv"].value.location = "northeurope";
  p = PlanNow(d);
  EXPECT_TRUE(HasMessage(p.errors, "vault/bank-kv: the soft-deleted vault is in westeurope")) << RenderText(p);
}

// Repointing the binding in the same plan lifts the refusal: Azure judges the
// new binding when it is written.
TEST_F(AccessTest, RepointingTheBindingFirstIsAllowed) {
  DesiredState d = BankDesired();
  KeyState other = Key("bank-kv", "archive-cmk");
  d.keys["key/archive-cmk"] = At(other, 25);
  RoleAssignmentState grant = Assignment("archive-crypto", KeyArmId(kSub, kRg, "bank-kv", "archive-cmk"),
                                         PrincipalRef{"", "archive01", ""});
  d.role_assignments["role-assignment/archive-crypto"] = At(grant, 60);
  d.bindings["binding/archive"].value.key = "archive-cmk";
  DiffOptions o;
  o.prune = true;
  o.allow_destroy = true;
  Plan p = PlanNow(d, o);
  EXPECT_FALSE(HasMessage(p.errors, "would cut storage/archive01")) << RenderText(p);
}

// Hole 3: what Azure Storage refuses is a plan error with every reason, and
// nothing is applied (before: three changes applied, then KeyVaultAccessDenied).
TEST(StoragePreflight, AnEcKeyBehindAClosedFirewallIsRefusedAtPlanTime) {
  TestCloud cloud;
  cloud.SeedStorageAccount(Account("bankdata01"));
  cloud.SeedStorageAccount(Account("archive01"));
  DesiredState d = BankDesired();
  KeyState& key = d.keys["key/bank-cmk"].value;
  key.kty = "EC-HSM";
  key.key_size = 0;
  key.curve = "P-256";
  d.vaults["vault/bank-kv"].value.network_acls.default_action = "Deny";
  d.vaults["vault/bank-kv"].value.network_acls.bypass = "None";
  DiffOptions o;
  o.now = cloud.Now();
  Plan p = PlanAgainst(cloud, d, o);
  for (const char* binding : {"binding/bankdata", "binding/archive"}) {
    const PlanMessage* m = nullptr;
    for (const auto& e : p.errors)
      if (e.address == binding) m = &e;
    ASSERT_NE(m, nullptr) << binding << "\n" << RenderText(p);
    EXPECT_NE(m->message.find("Storage accepts only RSA and RSA-HSM keys"), std::string::npos) << m->message;
    EXPECT_NE(m->message.find("set networkAcls.bypass: AzureServices"), std::string::npos) << m->message;
  }
  cloud.ClearCalls();
  EXPECT_FALSE(Apply(p, cloud, nullptr).status.ok());
  EXPECT_TRUE(cloud.WriteCalls().empty());

  // Fixed (RSA, trusted services let through): the same plan is clean.
  d = BankDesired();
  d.vaults["vault/bank-kv"].value.network_acls.default_action = "Deny";
  Plan fixed = PlanAgainst(cloud, d, o);
  EXPECT_FALSE(fixed.HasErrors()) << RenderText(fixed);
  EXPECT_TRUE(Apply(fixed, cloud, nullptr).status.ok());
}

// The preflight and the analysis are one for every consumer kind; the kind
// brings its own facts (key sizes, the service named in the reason).
TEST(ConsumerPreflight, EachKindIsJudgedByItsOwnServicesRules) {
  LiveState live;
  VaultState vault = Vault("bank-kv");
  vault.purge_protection = true;
  live.vaults["vault/bank-kv"] = vault;
  KeyState key = Key("bank-kv", "bank-cmk");
  key.key_size = 4096;
  KeyVersionState v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.key_ops = {"wrapKey", "unwrapKey"};
  key.versions = {v};
  live.keys["bank-kv/bank-cmk"] = key;
  auto consumer = [&](ConsumerKind kind, const std::string& name) {
    ConsumerState c = Account(name);
    c.kind = kind;
    c.system_principal_id = "7f000000-0000-0000-0000-0000000000" + std::to_string(10 + int(kind));
    c.encryption.key_source = "Microsoft.Keyvault";
    c.encryption.key_vault_uri = VaultUri("bank-kv");
    c.encryption.key_name = "bank-cmk";
    c.encryption.current_versioned_key_id = VaultUri("bank-kv") + "/keys/bank-cmk/" + v.version;
    RoleAssignmentState ra = Assignment(name + "-crypto", BankKeyScope(), PrincipalRef{});
    ra.id = name + "-crypto";
    ra.principal_id = c.system_principal_id;
    live.role_assignments[ra.id] = ra;
    live.consumers[ConsumerAddress(kind, name)] = c;
    return c;
  };
  ConsumerState sql = consumer(ConsumerKind::kSqlServer, "bank-sql");
  ConsumerState des = consumer(ConsumerKind::kDiskEncryptionSet, "bank-des");
  ConsumerState storage = consumer(ConsumerKind::kStorage, "bankdata01");
  ConsumerPreflight preflight(live, 1798761600);
  std::vector<std::string> sql_problems = preflight.Problems(sql);
  ASSERT_EQ(sql_problems.size(), 1u);
  EXPECT_EQ(sql_problems[0], "key 'bank-cmk' has 4096 bits: Azure SQL Database accepts 2048 or 3072");
  EXPECT_TRUE(preflight.Problems(des).empty());
  EXPECT_TRUE(preflight.Problems(storage).empty());
  // SQL takes vault + key names of at most 94 characters; the others have no such rule.
  const std::string long_name(88, 'k');
  live.keys["bank-kv/" + long_name] = key;
  live.keys["bank-kv/" + long_name].name = long_name;
  live.keys["bank-kv/" + long_name].key_size = 2048;
  {
    ConsumerPreflight long_preflight(live, 1798761600);
    ConsumerState long_sql = sql, long_des = des;
    long_sql.encryption.key_name = long_des.encryption.key_name = long_name;
    std::vector<std::string> p = long_preflight.Problems(long_sql);
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p[0].find("95 characters together: Azure SQL Database takes at most 94"), std::string::npos) << p[0];
    for (const auto& d : long_preflight.Problems(long_des))
      EXPECT_EQ(d.find("characters together"), std::string::npos) << d;
  }

  // The version disabled out of band: every kind is cut off alike, by address.
  live.keys["bank-kv/bank-cmk"].versions[0].enabled = false;
  LiveQuery q;
  q.vaults["vault/bank-kv"] = ArmRef{kSub, kRg, "bank-kv"};
  std::vector<ConsumerAccess> access = AnalyseAccess(live, q, 1798761600);
  ASSERT_EQ(access.size(), 3u);
  EXPECT_EQ(access[0].consumer, "des/bank-des");
  EXPECT_EQ(access[1].consumer, "sql/bank-sql");
  EXPECT_EQ(access[2].consumer, "storage/bankdata01");
  for (const auto& a : access) {
    ASSERT_TRUE(a.cause.has_value()) << a.consumer;
    EXPECT_NE(a.cause->find("is disabled"), std::string::npos) << *a.cause;
  }
  // A set without its identity, and a vault shutting trusted services out.
  live.consumers["des/bank-des"].system_principal_id.clear();
  live.keys["bank-kv/bank-cmk"].versions[0].enabled = true;
  access = AnalyseAccess(live, q, 1798761600);
  EXPECT_EQ(access[0].cause, std::optional<std::string>("the disk encryption set's system-assigned identity is off"));
  live.vaults["vault/bank-kv"].network_acls = NetworkAcls{"Deny", "None", {}, {}};
  ConsumerPreflight closed(live, 1798761600);
  std::vector<std::string> des_problems = closed.Problems(des);
  ASSERT_FALSE(des_problems.empty());
  EXPECT_NE(des_problems[0].find("trusted Azure services (Azure Disk Storage)"), std::string::npos) << des_problems[0];
}

// The property the analysis exists for: over random change sequences, after
// every apply, no consumer that could use its key before is cut off.
TEST(AccessProperty, NoApplyCutsAConsumerOff) {
  int sequences = 0, applies = 0, refused = 0;
  for (uint32_t seed = 1; seed <= 60; ++seed, ++sequences) {
    std::mt19937 rng(seed);
    TestCloud cloud;
    cloud.SeedStorageAccount(Account("bankdata01"));
    cloud.SeedStorageAccount(Account("archive01"));
    DesiredState d = BankDesired();
    auto plan = [&](const DesiredState& desired, DiffOptions o) {
      o.now = cloud.Now();
      return PlanAgainst(cloud, desired, o);
    };
    ASSERT_TRUE(Apply(plan(d, {}), cloud, nullptr).status.ok());
    for (int step = 0; step < 8; ++step) {
      DesiredState next = d;
      DiffOptions o;
      switch (rng() % 8) {
        case 0: next.role_assignments.erase("role-assignment/archive-crypto"); break;
        case 1: next.role_assignments.erase("role-assignment/bank-uami-crypto"); break;
        case 2: next.keys["key/bank-cmk"].value.enabled = rng() % 2; break;
        case 3:
          next.vaults["vault/bank-kv"].value.network_acls.default_action = rng() % 2 ? "Deny" : "Allow";
          next.vaults["vault/bank-kv"].value.network_acls.bypass = rng() % 2 ? "None" : "AzureServices";
          break;
        case 4: next.keys["key/bank-cmk"].value.expires = cloud.Now() + (int64_t(rng() % 3) - 1) * 86400 * 30; break;
        case 5: ASSERT_TRUE(cloud.cloud().AdvanceClockBy(rng() % 2 ? "P1M" : "P6M").ok()); break;
        case 6: next.keys["key/bank-cmk"].value.rotation_generation = int64_t(step + 1); break;
        case 7: next.bindings.erase("binding/bankdata"); break;
      }
      o.prune = o.allow_destroy = rng() % 2;
      std::map<std::string, bool> usable;
      for (const char* a : {"bankdata01", "archive01"})
        usable[a] = !cloud.cloud().StorageInaccessibleCause(kSub, kRg, a).value().has_value();
      Plan p = plan(next, o);
      if (p.HasErrors()) {
        ++refused;
        continue;  // apply refuses a plan with errors; the manifests stay as they were
      }
      ApplyResult r = Apply(p, cloud, nullptr);
      ++applies;
      if (r.status.ok()) d = next;
      for (const auto& [a, was] : usable) {
        auto now = cloud.cloud().StorageInaccessibleCause(kSub, kRg, a).value();
        EXPECT_FALSE(was && now.has_value())
            << "seed " << seed << " step " << step << ": apply cut " << a << " off: " << *now << "\n"
            << RenderText(p);
      }
    }
  }
  std::printf("access property: %d sequences, %d applies, %d plans refused\n", sequences, applies, refused);
  EXPECT_GT(refused, 0);
  EXPECT_GT(applies, refused);
}

}  // namespace
}  // namespace cmk
