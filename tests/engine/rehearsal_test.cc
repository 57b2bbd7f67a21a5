// The rehearsal loop on the real sandbox: steps, the pipeline at each step,
// the activity log on the timeline, repeats collapsed, injected manual
// changes, and incidents as violations.
#include "engine/rehearsal/rehearsal.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/apply/apply.h"
#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "sandbox/sandbox_provider.h"
#include "scenario.h"
#include "test_cloud.h"

namespace cmk {
namespace {


TEST(Injection, ParsesAndRefusesWhatItCannotDo) {
  auto ok = ParseInjection("disable key/bank-cmk/versions/3f2a@P1M", 1'800'000'000);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->key, "bank-cmk");
  EXPECT_EQ(ok->prefix, "3f2a");
  EXPECT_GT(ok->at, 1'800'000'000);
  EXPECT_FALSE(ParseInjection("enable key/x/versions/1@P1D", 0).ok());
  EXPECT_FALSE(ParseInjection("disable key/x/versions/1@soon", 0).ok());
}

class RehearsalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
    desired_ = BankDesired();
    RotationPolicyState p;
    p.rotate_after_create = "P90D";
    p.expiry_time = "P2Y";
    desired_.keys["key/bank-cmk"].value.rotation_policy = p;
    RunPipeline();  // the estate exists before the rehearsal starts
    ASSERT_TRUE(cloud_.cloud().SetClock(cloud_.cloud().Now()).ok());
  }
  // The scheduled pipeline: plan and apply everything, noting each outcome.
  void RunPipeline(RehearsalLog* log = nullptr) {
    DiffOptions o;
    o.now = cloud_.Now();
    Plan p = PlanAgainst(cloud_, desired_, o);
    ASSERT_FALSE(p.HasErrors());
    ++runs_;
    if (!p.HasChanges()) return;
    ApplyResult r = Apply(p, cloud_, nullptr);
    if (log)
      for (const auto& e : r.report)
        log->Note(cloud_.Now(), std::string("apply.") + ActionName(e.action), e.address,
                  OutcomeName(e.outcome));
  }
  Result<RehearsalReport> RunRehearsal(RehearsalSpec spec) {
    SandboxSimulation simulation(cloud_.cloud());
    runs_ = 0;
    return Rehearse(spec, desired_, simulation, cloud_,
                    [&](RehearsalLog& log) { RunPipeline(&log); });
  }
  static size_t Count(const RehearsalReport& r, const std::string& kind) {
    return static_cast<size_t>(std::count_if(r.timeline.begin(), r.timeline.end(),
                                             [&](const RehearsalEntry& e) { return e.kind == kind; }));
  }

  TestCloud cloud_;
  DesiredState desired_;
  int runs_ = 0;
};

TEST_F(RehearsalTest, AYearOfMonthlyStepsRotatesAndAdoptsWithoutViolations) {
  Result<RehearsalReport> r = RunRehearsal({"P1Y", "P1M", {}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->steps, 12);
  EXPECT_EQ(runs_, 13);  // at the start, then after each step
  EXPECT_GE(r->end - r->start, 365 * 86400);
  EXPECT_GE(Count(*r, "key.rotate"), 3u);      // every 90 days
  EXPECT_GE(Count(*r, "storage.adopt"), 1u);   // consumers follow
  EXPECT_TRUE(r->violations.empty());
  EXPECT_TRUE(std::is_sorted(r->timeline.begin(), r->timeline.end(),
                             [](const RehearsalEntry& a, const RehearsalEntry& b) {
                               return a.time < b.time;
                             }));
}

TEST_F(RehearsalTest, DisablingTheVersionInUseIsAViolation) {
  auto key = cloud_.FindKey("bank-kv", "bank-cmk");
  ASSERT_TRUE(key.has_value());
  const std::string in_use = key->versions.back().version;
  Result<RehearsalReport> r =
      RunRehearsal({"P2M", "P1M", {"disable key/bank-cmk/versions/" + in_use.substr(0, 6) + "@P1M"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Count(*r, "inject"), 1u);
  ASSERT_FALSE(r->violations.empty());
  EXPECT_EQ(r->violations[0].kind, "violation");
  EXPECT_NE(r->violations[0].message.find("consumer inaccessible since"), std::string::npos);
  EXPECT_EQ(Count(*r, "violation"), r->violations.size());
}

// A hook refusing the same change every run is one line with a count; a
// plan error is said once; other notes stay as they come.
TEST_F(RehearsalTest, RepeatsCollapseAndOnceIsOnce) {
  SandboxSimulation simulation(cloud_.cloud());
  int run = 0;
  Result<RehearsalReport> r =
      Rehearse({"P3M", "P1M", {}}, desired_, simulation, cloud_, [&](RehearsalLog& log) {
        log.Note(cloud_.Now(), "hook.pre", "binding/bankdata", "refused: consumer not ready");
        log.NoteOnce(cloud_.Now(), "plan.error", "key/bank-cmk", "the same error");
        log.Note(cloud_.Now(), "plan", "", "run " + std::to_string(++run));
      });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Count(*r, "hook.pre"), 1u);
  auto hook = std::find_if(r->timeline.begin(), r->timeline.end(),
                           [](const RehearsalEntry& e) { return e.kind == "hook.pre"; });
  EXPECT_EQ(hook->repeats, 3);
  EXPECT_EQ(hook->last, r->end);
  EXPECT_EQ(Count(*r, "plan.error"), 1u);
  EXPECT_EQ(Count(*r, "plan"), 4u);
}

TEST_F(RehearsalTest, BadDurationsAreRefusedWithTheirFlag) {
  Result<RehearsalReport> r = RunRehearsal({"P1Q", "P1M", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--until"), std::string::npos) << r.status().message();
  r = RunRehearsal({"P1Y", "", {}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--step"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace cmk
