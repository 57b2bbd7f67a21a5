#include "engine/read/live_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/diff/diff.h"
#include "model/codec.h"
#include "test_cloud.h"
#include "scenario.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

using ::testing::ElementsAre;

TEST(BuildQuery, NamesEverythingDiffNeeds) {
  DesiredState d = BankDesired();
  RoleAssignmentState orphan = Assignment("orphan", BankKeyScope(), PrincipalRef{"", "orphan01", ""});
  d.role_assignments["role-assignment/orphan"] = At(orphan, 1);
  LiveQuery q = BuildQuery(d);
  EXPECT_THAT(q.subscriptions, ElementsAre(kSub));
  EXPECT_EQ(q.vaults.at("vault/bank-kv"), (ArmRef{kSub, kRg, "bank-kv"}));
  EXPECT_EQ(q.keys.at("key/bank-cmk"), (KeyRef{"bank-kv", "bank-cmk"}));
  EXPECT_EQ(q.identities.at("identity/bank-uami"), (ArmRef{kSub, kRg, "bank-uami"}));
  EXPECT_EQ(q.consumers.size(), 2u);
  EXPECT_EQ(q.consumers.count("storage/orphan01"), 0u);
  // Key-scoped assignments are listed through their vault's scope.
  EXPECT_THAT(q.role_assignment_scopes, ElementsAre(VaultArmId(kSub, kRg, "bank-kv")));
  EXPECT_FALSE(q.include_prune_candidates);
  EXPECT_EQ(FromJson<LiveQuery>(ToJson(q)), q);
}

class ReadLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VaultState v = Vault("bank-kv");
    v.tags["managed-by"] = "cmkctl";
    cloud_.SeedVault(v);
    VaultState gone = Vault("gone-kv");
    gone.tags["managed-by"] = "cmkctl";
    cloud_.SeedVault(gone);
    cloud_.SeedVault(Vault("their-kv"));
    KeyState k = Key("gone-kv", "gone-cmk");
    k.tags["managed-by"] = "cmkctl";
    cloud_.SeedKey(k);
    cloud_.SeedKey(Key("gone-kv", "hand-made"));
    cloud_.SeedKey(Key("their-kv", "theirs"));
    IdentityState i = Identity("old-uami");
    i.tags["managed-by"] = "cmkctl";
    cloud_.SeedIdentity(i);
    cloud_.SeedIdentity(Identity("their-uami"));
    RoleAssignmentState owned = Assignment("gone-ra", KeyArmId(kSub, kRg, "gone-kv", "gone-cmk"), {});
    owned.principal_id = DeterministicGuid("a principal");
    owned.description = "managed-by=cmkctl role-assignment/gone-ra";
    cloud_.SeedRoleAssignment(owned);
    RoleAssignmentState foreign = owned;
    foreign.id = DeterministicGuid("foreign");
    foreign.description = "";
    cloud_.SeedRoleAssignment(foreign);
    cloud_.SeedStorageAccount(Account("bankdata01"));
  }
  TestCloud cloud_;
};

TEST_F(ReadLiveTest, QueriedObjectsOnly) {
  Result<LiveState> live = ReadLive(cloud_, BuildQuery(BankDesired()), false);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->vaults.size(), 1u);
  EXPECT_EQ(live->vaults.count("vault/bank-kv"), 1u);
  EXPECT_TRUE(live->keys.empty());
  EXPECT_EQ(live->consumers.count("storage/bankdata01"), 1u);
  EXPECT_EQ(live->consumers.count("storage/archive01"), 0u);
  EXPECT_TRUE(live->role_assignments.empty());
}

TEST_F(ReadLiveTest, PruneCandidatesKeepOnlyOwnedObjects) {
  LiveQuery q = BuildQuery(BankDesired());
  q.include_prune_candidates = true;
  Result<LiveState> live = ReadLive(cloud_, q, true);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->vaults.count("vault/gone-kv"), 1u);
  EXPECT_EQ(live->vaults.count("vault/their-kv"), 0u);
  EXPECT_EQ(live->keys.count("gone-kv/gone-cmk"), 1u);
  EXPECT_EQ(live->keys.count("gone-kv/hand-made"), 0u);
  EXPECT_EQ(live->keys.count("their-kv/theirs"), 0u);
  EXPECT_EQ(live->identities.count("identity/old-uami"), 1u);
  EXPECT_EQ(live->identities.count("identity/their-uami"), 0u);
  ASSERT_EQ(live->role_assignments.size(), 1u);
  EXPECT_EQ(live->role_assignments.begin()->second.name, "gone-ra");
  std::map<std::string, std::string> fp = Fingerprints(q, *live);
  EXPECT_EQ(fp.count("vault/gone-kv"), 1u);
  EXPECT_EQ(fp.count("key/gone-cmk"), 1u);
  EXPECT_EQ(fp.count("identity/old-uami"), 1u);
  EXPECT_EQ(fp.count(RoleAssignmentsAddress(VaultArmId(kSub, kRg, "gone-kv"))), 1u);
}

// Records the batched key reads, then answers them as every provider does by default.
class BatchRecordingProvider : public TestCloud {
 public:
  std::vector<Result<std::optional<KeyState>>> GetKeys(const std::vector<KeyRef>& keys) override {
    std::string joined;
    for (const auto& k : keys) joined += (joined.empty() ? "" : ",") + k.vault + "/" + k.name;
    batches.push_back(joined);
    return Provider::GetKeys(keys);
  }
  std::vector<std::string> batches;
};

TEST(ReadLiveBatches, AllKeysAreReadInOneCallGroupedByVault) {
  BatchRecordingProvider p;
  p.SeedVault(Vault("bank-kv"));
  p.SeedVault(Vault("other-kv"));
  p.SeedKey(Key("bank-kv", "bank-cmk"));
  p.SeedKey(Key("bank-kv", "bank-cmk2"));
  p.SeedKey(Key("other-kv", "third"));
  DesiredState d = BankDesired();
  d.keys["key/bank-cmk2"] = At(Key("bank-kv", "bank-cmk2"), 30);
  d.keys["key/third"] = At(Key("other-kv", "third"), 40);
  d.keys["key/not-yet"] = At(Key("other-kv", "not-yet"), 50);
  Result<LiveState> live = ReadLive(p, BuildQuery(d), false);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_THAT(p.batches,
              ElementsAre("bank-kv/bank-cmk,bank-kv/bank-cmk2,other-kv/not-yet,other-kv/third"));
  EXPECT_EQ(live->keys.count("bank-kv/bank-cmk"), 1u);
  EXPECT_EQ(live->keys.count("bank-kv/bank-cmk2"), 1u);
  EXPECT_EQ(live->keys.count("other-kv/third"), 1u);
  EXPECT_EQ(live->keys.count("other-kv/not-yet"), 0u);
  // The default GetKeys goes through GetKey: one call per key.
  EXPECT_EQ(std::count(p.calls().begin(), p.calls().end(), "GetKey bank-kv/bank-cmk"), 1);
}

TEST_F(ReadLiveTest, ProviderErrorsNameTheObject) {
  cloud_.FailOn("GetKey", Unavailable("throttled"));
  Result<LiveState> live = ReadLive(cloud_, BuildQuery(BankDesired()), false);
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(live.status().message(), "reading key/bank-cmk (vault bank-kv): throttled");
  cloud_.FailOn("GetKey", Status::Ok(), 0);
  // Storage accounts are listed per subscription; a forbidden list falls
  // back to one GET per account, whose error names the account.
  cloud_.FailOn("ListConsumers", PermissionDenied("403"));
  cloud_.FailOn("GetConsumer", PermissionDenied("403"));
  live = ReadLive(cloud_, BuildQuery(BankDesired()), false);
  EXPECT_EQ(live.status().message(),
            std::string("reading storage/archive01 (subscription ") + kSub +
                ", resource group rg-bank): 403");
}

TEST(Fingerprints, AbsentStableAndMoving) {
  DesiredState d = BankDesired();
  LiveQuery q = BuildQuery(d);
  LiveState live = RichLive();
  auto a = Fingerprints(q, live);
  EXPECT_EQ(a.at("key/bank-cmk"), "absent");
  EXPECT_EQ(a.at("vault/bank-kv").size(), 16u);
  EXPECT_EQ(a, Fingerprints(q, live));
  live.vaults["vault/bank-kv"].etag = "etag-2";
  EXPECT_NE(a.at("vault/bank-kv"), Fingerprints(q, live).at("vault/bank-kv"));
}

TEST(CheckFresh, NamesEveryMove) {
  DesiredState d = BankDesired();
  LiveState before = RichLive();
  before.identities.erase("identity/bank-uami");
  before.keys["bank-kv/bank-cmk"] = Key("bank-kv", "bank-cmk");
  Plan plan = Diff(d, before, {}, {"sandbox", ".cmkctl/"});
  EXPECT_TRUE(CheckFresh(plan, Fingerprints(plan.query, before)).ok());

  LiveState after = RichLive();  // has identity/bank-uami
  after.vaults.erase("vault/bank-kv");
  KeyState k = Key("bank-kv", "bank-cmk");
  KeyVersionState v;
  v.version = "0123456789abcdef0123456789abcdef";
  k.versions.push_back(v);
  after.keys["bank-kv/bank-cmk"] = k;
  Status s = CheckFresh(plan, Fingerprints(plan.query, after));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "saved plan is stale: identity/bank-uami appeared; key/bank-cmk changed since the "
            "plan was computed; vault/bank-kv was deleted. Run plan again.");
}

TEST(CheckFresh, RoleAssignmentScopesAreWatched) {
  DesiredState d = BankDesired();
  LiveState live = RichLive();
  Plan plan = Diff(d, live, {}, {"sandbox", ".cmkctl/"});
  RoleAssignmentState ra = Assignment("x", BankKeyScope(), {});
  ra.principal_id = "p";
  live.role_assignments[ra.id] = ra;
  Status s = CheckFresh(plan, Fingerprints(plan.query, live));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("role-assignments:" + VaultArmId(kSub, kRg, "bank-kv") + " changed"),
            std::string::npos);
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {


// Several storage accounts or identities in one subscription are read with
// one list call (ARM throttles per request); one or two with GETs. The
// answer is the same either way, absent objects included.
TEST(ReadLiveBatching, ASubscriptionNamingSeveralObjectsIsListedOnce) {
  TestCloud cloud;
  for (const char* name : {"acct01", "acct02", "acct03"}) cloud.SeedStorageAccount(Account(name));
  cloud.SeedIdentity(Identity("uami-a"));
  LiveQuery q;
  for (const char* name : {"acct01", "acct02", "acct03", "missing04"})
    q.consumers[std::string("storage/") + name] = ConsumerRef{ConsumerKind::kStorage, kSub, kRg, name};
  q.identities["identity/uami-a"] = ArmRef{kSub, kRg, "uami-a"};
  q.identities["identity/uami-gone"] = ArmRef{kSub, kRg, "uami-gone"};

  Result<LiveState> listed = ReadLive(cloud, q, false);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->consumers.size(), 3u);
  EXPECT_EQ(listed->consumers.count("storage/missing04"), 0u);
  EXPECT_EQ(listed->identities.size(), 1u);
  int lists = 0, gets = 0, identity_gets = 0;
  for (const auto& c : cloud.calls()) {
    lists += c.rfind("ListConsumers", 0) == 0;
    gets += c.rfind("GetConsumer", 0) == 0;
    identity_gets += c.rfind("GetIdentity", 0) == 0;
  }
  EXPECT_EQ(lists, 1);
  EXPECT_EQ(gets, 0);
  EXPECT_EQ(identity_gets, 2);  // two identities: GETs

  // The same objects one at a time give the same state.
  cloud.ClearCalls();
  LiveState one_by_one;
  for (const auto& [address, ref] : q.consumers) {
    LiveQuery single;
    single.consumers[address] = ref;
    Result<LiveState> l = ReadLive(cloud, single, false);
    ASSERT_TRUE(l.ok());
    for (auto& [a, s] : l->consumers) one_by_one.consumers[a] = s;
  }
  EXPECT_EQ(ToJson(one_by_one.consumers), ToJson(listed->consumers));
}

// Vaults and role-assignment scopes follow the same rule: three or more in a
// subscription cost one list, and the answer is the one that GETs and
// per-scope lists give. A list the caller may not run falls back to them.
TEST(ReadLiveBatching, VaultsAndRoleScopesOfASubscriptionAreListedOnce) {
  TestCloud cloud;
  std::vector<std::string> scopes;
  LiveQuery q;
  for (const char* name : {"kv-a", "kv-b", "kv-c"}) {
    cloud.SeedVault(Vault(name));
    q.vaults[std::string("vault/") + name] = ArmRef{kSub, kRg, name};
    scopes.push_back(VaultArmId(kSub, kRg, name));
    PrincipalRef who;
    who.object_id = "00000000-0000-0000-0000-00000000000a";
    cloud.SeedRoleAssignment(Assignment(std::string("on-") + name, scopes.back(), who));
    cloud.SeedRoleAssignment(
        Assignment(std::string("on-key-of-") + name, scopes.back() + "/keys/k", who));
  }
  q.vaults["vault/kv-missing"] = ArmRef{kSub, kRg, "kv-missing"};
  PrincipalRef who;
  who.object_id = "00000000-0000-0000-0000-00000000000b";
  cloud.SeedVault(Vault("kv-other"));  // not queried: neither it nor its grants are read
  cloud.SeedRoleAssignment(Assignment("on-other", VaultArmId(kSub, kRg, "kv-other"), who));
  cloud.SeedRoleAssignment(Assignment("on-group", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg, who));
  q.role_assignment_scopes = scopes;

  Result<LiveState> listed = ReadLive(cloud, q, false);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->vaults.size(), 3u);
  EXPECT_EQ(listed->role_assignments.size(), 6u);  // at and below the three vaults only
  int vault_lists = 0, vault_gets = 0, role_lists = 0;
  for (const auto& c : cloud.calls()) {
    vault_lists += c.rfind("ListVaults", 0) == 0;
    vault_gets += c.rfind("GetVault", 0) == 0;
    role_lists += c.rfind("ListRoleAssignments", 0) == 0;
  }
  EXPECT_EQ(vault_lists, 1);
  EXPECT_EQ(vault_gets, 0);
  EXPECT_EQ(role_lists, 1);

  // Forbidden at the subscription: one list per scope, the same answer.
  cloud.ClearCalls();
  cloud.FailOn("ListRoleAssignments", PermissionDenied("403"), 1);
  cloud.FailOn("ListVaults", PermissionDenied("403"), 1);
  Result<LiveState> fallback = ReadLive(cloud, q, false);
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(ToJson(fallback->role_assignments), ToJson(listed->role_assignments));
  EXPECT_EQ(ToJson(fallback->vaults), ToJson(listed->vaults));
  role_lists = 0;
  for (const auto& c : cloud.calls()) role_lists += c.rfind("ListRoleAssignments", 0) == 0;
  EXPECT_EQ(role_lists, 1 + 3);
}

}  // namespace
}  // namespace cmk
