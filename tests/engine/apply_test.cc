#include "engine/apply/apply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"
#include "test_cloud.h"
#include "scenario.h"
#include "test_util.h"

namespace cmk {
namespace {

using ::testing::ElementsAre;

class ChangeEventRecorder : public ApplyObserver {
 public:
  void OnChangeStart(const Change& c) override { events.push_back("start " + c.address); }
  void OnChangeDone(const Change& c, const Status& s) override {
    events.push_back((s.ok() ? "done " : "fail ") + c.address);
  }
  std::vector<std::string> events;
};

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
  }
  Plan PlanNow(const DesiredState& d, DiffOptions o = {}) { return PlanAgainst(cloud_, d, o); }
  static std::map<std::string, Outcome> Outcomes(const ApplyResult& r) {
    return {r.outcomes.begin(), r.outcomes.end()};
  }
  TestCloud cloud_;
};

TEST_F(ApplyTest, CallsFollowThePlanOrder) {
  Plan p = PlanNow(BankDesired());
  ASSERT_FALSE(p.HasErrors());
  cloud_.ClearCalls();
  ChangeEventRecorder rec;
  ApplyResult r = Apply(p, cloud_, &rec);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_THAT(cloud_.WriteCalls(),
              ElementsAre("PutVault bank-kv", "PutIdentity bank-uami",
                          "EnableSystemIdentity archive01", "CreateKey bank-kv/bank-cmk",
                          "PutRotationPolicy bank-kv/bank-cmk", "PutRoleAssignment archive-crypto",
                          "PutRoleAssignment bank-uami-crypto", "UpdateConsumerEncryption archive01",
                          "UpdateConsumerEncryption bankdata01"));
  EXPECT_EQ(rec.events.size(), 18u);
  EXPECT_EQ(rec.events[0], "start vault/bank-kv");
  EXPECT_EQ(rec.events[1], "done vault/bank-kv");
  for (const auto& [address, outcome] : r.outcomes) EXPECT_EQ(outcome, Outcome::kApplied) << address;
  // Principals unknown at plan time were resolved at apply time.
  auto archive = cloud_.FindStorage("archive01");
  ASSERT_FALSE(archive->system_principal_id.empty());
  EXPECT_EQ(archive->encryption.key_source, "Microsoft.Keyvault");
}

TEST_F(ApplyTest, ConvergesAndSecondApplyIsANoOp) {
  Plan first = PlanNow(BankDesired());
  // Apply needs only the saved plan.
  Result<Plan> saved = PlanFromJson(PlanToJsonText(first));
  ASSERT_TRUE(saved.ok());
  ASSERT_TRUE(Apply(*saved, cloud_, nullptr).status.ok());
  Plan second = PlanNow(BankDesired());
  EXPECT_FALSE(second.HasChanges()) << RenderText(second);
  EXPECT_FALSE(second.HasErrors());
  cloud_.ClearCalls();
  ApplyResult again = Apply(second, cloud_, nullptr);
  EXPECT_TRUE(again.status.ok());
  EXPECT_TRUE(again.outcomes.empty());
  EXPECT_TRUE(cloud_.WriteCalls().empty());
}

TEST_F(ApplyTest, FailureSkipsDependentsAndStops) {
  Plan p = PlanNow(BankDesired());
  cloud_.FailOn("PutIdentity", Unavailable("throttled"));
  ApplyResult r = Apply(p, cloud_, nullptr);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("identity/bank-uami: failed: unavailable: throttled"),
            std::string::npos);
  auto o = Outcomes(r);
  EXPECT_EQ(o["vault/bank-kv"], Outcome::kApplied);
  EXPECT_EQ(o["identity/bank-uami"], Outcome::kFailed);
  EXPECT_EQ(o["storage/archive01/identity"], Outcome::kNotAttempted);
  EXPECT_EQ(o["key/bank-cmk"], Outcome::kNotAttempted);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/archive"], Outcome::kNotAttempted);
  EXPECT_FALSE(cloud_.FindKey("bank-kv", "bank-cmk"));
}

TEST_F(ApplyTest, KeepGoingRunsIndependentChanges) {
  Plan p = PlanNow(BankDesired());
  cloud_.FailOn("PutIdentity", Unavailable("throttled"));
  ApplyOptions opts;
  opts.keep_going = true;
  ApplyResult r = Apply(p, cloud_, nullptr, opts);
  ASSERT_FALSE(r.status.ok());
  auto o = Outcomes(r);
  EXPECT_EQ(o["identity/bank-uami"], Outcome::kFailed);
  EXPECT_EQ(o["storage/archive01/identity"], Outcome::kApplied);
  EXPECT_EQ(o["key/bank-cmk"], Outcome::kApplied);
  EXPECT_EQ(o["key/bank-cmk/rotation-policy"], Outcome::kApplied);
  EXPECT_EQ(o["role-assignment/archive-crypto"], Outcome::kApplied);
  EXPECT_EQ(o["binding/archive"], Outcome::kApplied);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_THAT(r.messages,
              ElementsAre("identity/bank-uami: failed: unavailable: throttled",
                          "role-assignment/bank-uami-crypto: skipped: depends on identity/bank-uami, which failed",
                          "binding/bankdata: skipped: depends on identity/bank-uami, which failed"));
}

TEST_F(ApplyTest, RetryAfterCrashCreatesNoSecondVersion) {
  Plan p = PlanNow(BankDesired());
  cloud_.FailOn("PutRotationPolicy", Unavailable("connection reset"), 1);
  ApplyResult crashed = Apply(p, cloud_, nullptr);
  ASSERT_FALSE(crashed.status.ok());
  ASSERT_TRUE(cloud_.FindKey("bank-kv", "bank-cmk"));
  ASSERT_EQ(cloud_.FindKey("bank-kv", "bank-cmk")->versions.size(), 1u);
  cloud_.ClearCalls();
  ApplyResult retried = Apply(p, cloud_, nullptr);  // the same saved plan
  ASSERT_TRUE(retried.status.ok()) << retried.status.ToString();
  EXPECT_EQ(cloud_.FindKey("bank-kv", "bank-cmk")->versions.size(), 1u);
  for (const auto& c : cloud_.calls()) EXPECT_NE(c.rfind("CreateKey", 0), 0u) << c;
  EXPECT_FALSE(PlanNow(BankDesired()).HasChanges());
}

TEST_F(ApplyTest, RefusesPlansWithErrors) {
  DesiredState d = BankDesired();
  d.bindings["binding/missing"] = At(Binding("missing", "nosuch01", "bank-cmk", ""), 5);
  Plan p = PlanNow(d);
  ASSERT_TRUE(p.HasErrors());
  cloud_.ClearCalls();
  ApplyResult r = Apply(p, cloud_, nullptr);
  EXPECT_EQ(r.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r.outcomes.empty());
  EXPECT_TRUE(cloud_.calls().empty());
}

TEST_F(ApplyTest, PruneDeletesOwnedObjectsAndConverges) {
  ASSERT_TRUE(Apply(PlanNow(BankDesired()), cloud_, nullptr).status.ok());
  IdentityState old = Identity("old-uami");
  old.tags["managed-by"] = "cmkctl";
  ASSERT_TRUE(cloud_.cloud().PutIdentity(old).ok());
  DiffOptions o;
  o.prune = true;
  Plan p = PlanNow(BankDesired(), o);
  ASSERT_FALSE(p.HasErrors());
  ASSERT_NE(FindChange(p, "identity/old-uami"), nullptr);
  EXPECT_EQ(FindChange(p, "identity/old-uami")->action, Action::kDelete);
  cloud_.ClearCalls();
  ASSERT_TRUE(Apply(p, cloud_, nullptr).status.ok());
  EXPECT_THAT(cloud_.WriteCalls(), ElementsAre("DeleteIdentity old-uami"));
  EXPECT_FALSE(PlanNow(BankDesired(), o).HasChanges());
}

TEST_F(ApplyTest, StalePlanIsDetected) {
  Plan p = PlanNow(BankDesired());
  auto now = ReadFingerprints(cloud_, p.query);
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(CheckFresh(p, *now).ok());
  ASSERT_TRUE(cloud_.cloud().PutVault(Vault("bank-kv")).ok());
  now = ReadFingerprints(cloud_, p.query);
  ASSERT_TRUE(now.ok());
  Status s = CheckFresh(p, *now);
  EXPECT_EQ(s.message(), "saved plan is stale: vault/bank-kv appeared. Run plan again.");
}

}  // namespace
}  // namespace cmk
