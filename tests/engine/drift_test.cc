// Drift: every difference between the manifests, the live estate and the
// safety rules, classified expected / risky / unobservable; a read that
// degrades instead of failing; changes resting on what was not read are
// withheld, never guessed; shards cover every subscription once.
#include "engine/drift/drift.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/apply/apply.h"
#include "engine/diff/diff.h"
#include "engine/plan/render.h"
#include "engine/read/live_reader.h"
#include "scenario.h"
#include "test_cloud.h"
#include "test_util.h"

namespace cmk {
namespace {

class DriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
    DiffOptions o;
    o.now = cloud_.Now();
    Plan first = PlanAgainst(cloud_, BankDesired(), o);
    ASSERT_FALSE(first.HasErrors()) << RenderText(first);
    ASSERT_TRUE(Apply(first, cloud_, nullptr).status.ok());
  }
  // A drift run as `cmkctl drift` makes it: a degraded read, Diff, classify.
  DriftReport DriftNow(const DesiredState& d = BankDesired()) {
    ReadOptions read;
    read.degrade = true;
    Result<LiveState> live = ReadLive(cloud_, BuildQuery(d), read);
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    DiffOptions o;
    o.now = cloud_.Now();
    last_plan_ = Diff(d, *live, o, cloud_.Target());
    return ClassifyDrift(d, *live, last_plan_, o.now);
  }
  static const DriftItem* Find(const DriftReport& r, DriftClass c, const std::string& kind,
                               const std::string& address) {
    for (const auto& i : r.items)
      if (i.klass == c && i.kind == kind && i.address == address) return &i;
    return nullptr;
  }
  static std::string Show(const DriftReport& r) { return RenderDriftText(r); }
  TestCloud cloud_;
  Plan last_plan_;
};

TEST_F(DriftTest, NothingMovedIsNoDrift) {
  DriftReport r = DriftNow();
  EXPECT_TRUE(r.Empty()) << Show(r);
  EXPECT_NE(Show(r).find("none."), std::string::npos);
}

TEST_F(DriftTest, OutOfBandChangesAreRiskyWithTheirManifestLocation) {
  // A grant removed and the firewall closed behind cmkctl's back.
  const std::string id = BankDesired().role_assignments["role-assignment/archive-crypto"].value.id;
  ASSERT_TRUE(cloud_.cloud().DeleteRoleAssignment(id).ok());
  auto vault = cloud_.cloud().GetVaultByName("bank-kv");
  ASSERT_TRUE(vault.ok() && vault->has_value());
  VaultState v = **vault;
  v.tags["env"] = "edited-by-hand";
  ASSERT_TRUE(cloud_.cloud().PutVault(v).ok());

  DriftReport r = DriftNow();
  const DriftItem* grant = Find(r, DriftClass::kRisky, "grant", "role-assignment/archive-crypto");
  ASSERT_NE(grant, nullptr) << Show(r);
  EXPECT_EQ(grant->source, "manifests/bank.yaml:" +
                               std::to_string(BankDesired().role_assignments["role-assignment/archive-crypto"].loc.line) +
                               ":1");
  const DriftItem* cut = Find(r, DriftClass::kRisky, "inaccessible", "storage/archive01");
  ASSERT_NE(cut, nullptr) << Show(r);
  EXPECT_NE(cut->message.find("cannot use its key"), std::string::npos);
  const DriftItem* tag = Find(r, DriftClass::kRisky, "differs", "vault/bank-kv");
  ASSERT_NE(tag, nullptr) << Show(r);
  EXPECT_NE(tag->message.find("tags.env"), std::string::npos) << tag->message;
  EXPECT_EQ(r.Count(DriftClass::kExpected), 0u) << Show(r);
  EXPECT_EQ(r.Count(DriftClass::kUnobservable), 0u) << Show(r);
}

TEST_F(DriftTest, APolicyRotationAndItsAdoptionAreExpectedAHandMadeVersionIsRisky) {
  // The bank key's policy rotates a year after creation; the consumers that
  // follow the key adopt the new version within a day.
  ASSERT_TRUE(cloud_.cloud().AdvanceClockBy("P1Y").ok());
  ASSERT_TRUE(cloud_.cloud().AdvanceClock(3600).ok());
  DriftReport rotated = DriftNow();
  EXPECT_EQ(rotated.Count(DriftClass::kRisky), 0u) << Show(rotated);
  EXPECT_EQ(Find(rotated, DriftClass::kRisky, "unmanaged-version", "key/bank-cmk"), nullptr) << Show(rotated);
  bool adopting = false;
  for (const auto& i : rotated.items) adopting |= i.klass == DriftClass::kExpected && i.kind == "adoption";
  EXPECT_TRUE(adopting) << Show(rotated);

  // Two days later everyone has moved; then someone rotates by hand.
  ASSERT_TRUE(cloud_.cloud().AdvanceClockBy("P2D").ok());
  ASSERT_TRUE(cloud_.cloud().RotateKey("bank-kv", "bank-cmk").ok());
  DriftReport hand = DriftNow();
  const DriftItem* made = Find(hand, DriftClass::kRisky, "unmanaged-version", "key/bank-cmk");
  ASSERT_NE(made, nullptr) << Show(hand);
  EXPECT_NE(made->message.find("neither by cmkctl nor on the rotation policy"), std::string::npos);
}

TEST_F(DriftTest, WhatCannotBeReadIsUnobservableAndItsChangesAreWithheld) {
  // The key's vault host does not answer; the rest of the estate does.
  cloud_.FailOn("GetKey", Unavailable("bank-kv.vault.azure.net: Connection timed out after 5000 ms"));
  DesiredState d = BankDesired();
  d.vaults["vault/bank-kv"].value.tags["team"] = "treasury";  // a change that can be planned
  // Without degrading, the read fails as a whole.
  EXPECT_FALSE(ReadLive(cloud_, BuildQuery(d), false).ok());

  DriftReport r = DriftNow(d);
  const DriftItem* unread = Find(r, DriftClass::kUnobservable, "not-read", "key/bank-cmk");
  ASSERT_NE(unread, nullptr) << Show(r);
  EXPECT_NE(unread->message.find("Connection timed out"), std::string::npos);
  // The key looks absent, but nothing creates it and nothing rests on a guess.
  EXPECT_EQ(FindChange(last_plan_, "key/bank-cmk"), nullptr) << RenderText(last_plan_);
  std::set<std::string> withheld;
  for (const auto& w : last_plan_.withheld) withheld.insert(w.address);
  EXPECT_TRUE(withheld.count("key/bank-cmk")) << RenderText(last_plan_);
  EXPECT_TRUE(withheld.count("binding/bankdata")) << RenderText(last_plan_);
  for (const auto& c : last_plan_.changes)
    EXPECT_FALSE(c.address.rfind("binding/", 0) == 0 && c.action != Action::kNoOp) << c.address;
  // Its consumers are not judged on a guess either ("key not found").
  EXPECT_EQ(Find(r, DriftClass::kRisky, "inaccessible", "storage/bankdata01"), nullptr) << Show(r);
  // What could be read is still reported.
  EXPECT_NE(Find(r, DriftClass::kRisky, "differs", "vault/bank-kv"), nullptr) << Show(r);
  EXPECT_NE(RenderText(last_plan_).find("Not read (1)"), std::string::npos) << RenderText(last_plan_);
  // The fingerprint says it was not seen, so a saved plan never passes for fresh.
  EXPECT_EQ(last_plan_.fingerprints.at("key/bank-cmk"), "unobservable");
}

TEST_F(DriftTest, RetirementsWaitWhileSomeConsumersCannotBeListed) {
  DesiredState d = BankDesired();
  d.keys["key/bank-cmk"].value.retire = RetireSpec{};
  ASSERT_TRUE(cloud_.cloud().AdvanceClockBy("P1Y").ok());
  ASSERT_TRUE(cloud_.cloud().AdvanceClockBy("P3D").ok());
  DriftReport due = DriftNow(d);
  std::string retiring;
  for (const auto& c : last_plan_.changes)
    if (c.action == Action::kDisableVersion) retiring = c.address;
  ASSERT_FALSE(retiring.empty()) << RenderText(last_plan_);
  EXPECT_NE(Find(due, DriftClass::kExpected, "retirement-due", retiring), nullptr) << Show(due);
  cloud_.FailOn("ListConsumers", Unavailable("management.azure.com: 503 after 4 attempts"));
  DriftReport blind = DriftNow(d);
  for (const auto& c : last_plan_.changes) EXPECT_NE(c.action, Action::kDisableVersion) << c.address;
  bool withheld = false;
  for (const auto& w : last_plan_.withheld)
    withheld |= w.action == Action::kDisableVersion && w.reason.find("consumers:") != std::string::npos;
  EXPECT_TRUE(withheld) << RenderText(last_plan_);
  EXPECT_GT(blind.Count(DriftClass::kUnobservable), 0u);
}

TEST(DriftScopeTest, ShardsCoverEverySubscriptionExactlyOnce) {
  EXPECT_FALSE(ParseShard("4/4").ok());
  EXPECT_FALSE(ParseShard("a/4").ok());
  EXPECT_FALSE(ParseShard("1").ok());
  EXPECT_FALSE(ParseShard("0/0").ok());
  ASSERT_TRUE(ParseShard("3/4").ok());
  std::vector<std::string> subs;
  for (int i = 0; i < 40; ++i) subs.push_back("0000000" + std::to_string(i) + "-aaaa-bbbb-cccc-dddddddddddd");
  std::map<std::string, int> seen;
  std::set<int> used;
  for (int shard = 0; shard < 4; ++shard) {
    DriftScope s = *ParseShard(std::to_string(shard) + "/4");
    for (const auto& sub : subs)
      if (InScope(s, sub)) {
        ++seen[sub];
        used.insert(shard);
      }
  }
  for (const auto& sub : subs) EXPECT_EQ(seen[sub], 1) << sub;
  EXPECT_EQ(used.size(), 4u) << "40 subscriptions spread over every shard";
  // Case does not move a subscription to another shard.
  EXPECT_EQ(ShardOf("ABC-Def", 7), ShardOf("abc-def", 7));

  DesiredState d = BankDesired();
  DriftScope only;
  only.subscriptions = {"22222222-2222-2222-2222-222222222222"};
  DesiredState none = RestrictDesired(d, only);
  EXPECT_TRUE(none.vaults.empty() && none.keys.empty() && none.bindings.empty() && none.role_assignments.empty());
  only.subscriptions = {std::string(kSub)};
  DesiredState all = RestrictDesired(d, only);
  EXPECT_EQ(all.keys.size(), d.keys.size());
  EXPECT_EQ(all.bindings.size(), d.bindings.size());
  EXPECT_EQ(all.role_assignments.size(), d.role_assignments.size());
}

TEST(DriftRenderTest, MarkdownFitsAComment) {
  DriftReport r;
  r.target = kTarget;
  for (int i = 0; i < 5000; ++i)
    r.items.push_back(DriftItem{DriftClass::kRisky, "differs", "key/k" + std::to_string(i),
                                "update: tags.env differs (a long explanation of what moved)", "m.yaml:1:1"});
  std::string md = RenderDriftMarkdown(r);
  EXPECT_LT(md.size(), 65000u);
  EXPECT_NE(md.find("more items are left out"), std::string::npos);
  Json j = DriftToJson(r);
  EXPECT_EQ(j["counts"]["risky"], 5000);
  EXPECT_EQ(j["items"].size(), 5000u);
  EXPECT_EQ(DriftSummary(r, 5)["exit_code"], 5);
}

}  // namespace
}  // namespace cmk
