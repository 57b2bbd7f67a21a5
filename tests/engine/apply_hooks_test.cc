// Apply with hooks: a cloud ChangeHooks over the TestCloud. Pre-hook
// failures skip a change and its dependents; post-hook failures warn, halt
// or roll back (docs/hooks.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "model/codec.h"
#include "engine/apply/apply.h"
#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"
#include "engine/apply/rollback.h"
#include "test_cloud.h"
#include "scenario.h"
#include "test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Fails the hooks of the addresses it is told to; passes every other one.
class FakeHooks : public ChangeHooks {
 public:
  struct Rule {
    HookVerdict verdict;
    std::string on_failure;
  };
  HookVerdict RunPre(const Plan&, const Change& c, std::vector<HookReport>* out) override {
    return Run("pre", pre, c, out);
  }
  HookVerdict RunPost(const Plan&, const Change& c, std::vector<HookReport>* out) override {
    return Run("post", post, c, out);
  }
  void RunRollbackScript(const Plan&, const Change& c, const std::string& failed_hook,
                         std::vector<HookReport>* out) override {
    calls.push_back("rollback-script " + c.address + " " + failed_hook);
    out->push_back(HookReport{failed_hook, "rollback", true, "rollback",
                              "hook '" + failed_hook + "' passed", {"info: paged the owner"}});
  }

  std::map<std::string, Rule> pre, post;  // address -> what its hook does
  std::vector<std::string> calls;

 private:
  HookVerdict Run(const std::string& phase, const std::map<std::string, Rule>& rules,
                  const Change& c, std::vector<HookReport>* out) {
    calls.push_back(phase + " " + c.address);
    auto it = rules.find(c.address);
    if (it == rules.end()) {
      out->push_back(HookReport{"check", phase, true, "halt", "hook 'check' passed", {}});
      return HookVerdict::kPass;
    }
    out->push_back(HookReport{"check", phase, false, it->second.on_failure,
                              "hook 'check' failed: consumer not ready", {"warn: lagging"}});
    return it->second.verdict;
  }
};

class HookEventRecorder : public ApplyObserver {
 public:
  void OnHook(const Change& c, const HookReport& r) override {
    events.push_back(r.phase + " " + c.address + (r.ok ? " ok" : " failed"));
  }
  void OnRevert(const Change& c, const RevertResult& r) override {
    events.push_back("revert " + c.address + ": " + r.note);
  }
  std::vector<std::string> events;
};

class ApplyHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud_.SeedStorageAccount(Account("bankdata01"));
    cloud_.SeedStorageAccount(Account("archive01"));
  }
  Plan PlanNow(const DesiredState& d) { return PlanAgainst(cloud_, d); }
  // Every change gets the hook "check", so FakeHooks decides for each.
  static Plan WithCheckHook(Plan p) {
    HookSpec check;
    check.name = "check";
    check.phase = "post";
    check.script = "/hooks/check.lua";
    p.hooks = {check};
    for (auto& c : p.changes)
      if (c.action != Action::kNoOp) c.hooks = {"check"};
    return p;
  }
  ApplyResult ApplyWith(const Plan& p, bool keep_going = false, ApplyObserver* observer = nullptr) {
    ApplyOptions o;
    o.keep_going = keep_going;
    o.hooks = &hooks_;
    return Apply(p, cloud_, observer, o);
  }
  static const ChangeReport& ReportOf(const ApplyResult& r, const std::string& address) {
    for (const auto& c : r.report)
      if (c.address == address) return c;
    static ChangeReport missing;
    ADD_FAILURE() << address << " is not in the report";
    return missing;
  }
  static std::map<std::string, Outcome> Outcomes(const ApplyResult& r) {
    return {r.outcomes.begin(), r.outcomes.end()};
  }
  // Applies BankDesired with binding/archive pinned to the key's first
  // version, then rotates the key: returns {A, B}.
  std::pair<std::string, std::string> PinArchiveThenRotate(DesiredState& d) {
    EXPECT_TRUE(Apply(PlanNow(d), cloud_, nullptr).status.ok());
    std::string a = cloud_.FindKey("bank-kv", "bank-cmk")->versions.front().version;
    d.bindings["binding/archive"].value.key_version = a;
    EXPECT_TRUE(Apply(PlanNow(d), cloud_, nullptr).status.ok());
    EXPECT_TRUE(cloud_.RotateKey(RotateKey{KeyRef{"bank-kv", "bank-cmk"}}).ok());
    std::string b = cloud_.FindKey("bank-kv", "bank-cmk")->versions.back().version;
    EXPECT_NE(a, b);
    return {a, b};
  }

  TestCloud cloud_;
  FakeHooks hooks_;
};

TEST_F(ApplyHooksTest, PreHookFailureSkipsTheChangeAndItsDependents) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.pre["key/bank-cmk"] = {HookVerdict::kSkip, "halt"};
  ApplyResult r = ApplyWith(p);
  ASSERT_FALSE(r.status.ok());
  auto o = Outcomes(r);
  EXPECT_EQ(o["vault/bank-kv"], Outcome::kApplied);
  EXPECT_EQ(o["identity/bank-uami"], Outcome::kApplied);
  EXPECT_EQ(o["storage/archive01/identity"], Outcome::kApplied);
  EXPECT_EQ(o["key/bank-cmk"], Outcome::kSkippedByHook);
  EXPECT_EQ(o["key/bank-cmk/rotation-policy"], Outcome::kSkipped);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kSkipped);
  EXPECT_EQ(o["role-assignment/archive-crypto"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/archive"], Outcome::kSkipped);
  EXPECT_FALSE(cloud_.FindKey("bank-kv", "bank-cmk"));
  EXPECT_EQ(ReportOf(r, "key/bank-cmk").reason, "pre-hook 'check' failed: consumer not ready");
  EXPECT_EQ(ReportOf(r, "binding/bankdata").reason,
            "depends on key/bank-cmk, which was skipped by a pre-hook");
  // The skipped change's post-hooks never ran.
  EXPECT_THAT(hooks_.calls, ::testing::Not(Contains("post key/bank-cmk")));
  EXPECT_THAT(r.status.message(), HasSubstr("1 skipped by a pre-hook"));
}

TEST_F(ApplyHooksTest, PreHookHaltIsTreatedAsSkipAndKeepGoingContinues) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.pre["identity/bank-uami"] = {HookVerdict::kHalt, "halt"};
  ApplyResult r = ApplyWith(p, /*keep_going=*/true);
  auto o = Outcomes(r);
  EXPECT_EQ(o["identity/bank-uami"], Outcome::kSkippedByHook);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_EQ(o["key/bank-cmk"], Outcome::kApplied);
  EXPECT_EQ(o["binding/archive"], Outcome::kApplied);
  EXPECT_FALSE(r.status.ok());
}

TEST_F(ApplyHooksTest, PostHookRollbackRevertsABindingToItsPreviousVersion) {
  DesiredState d = BankDesired();
  auto [a, b] = PinArchiveThenRotate(d);
  d.bindings["binding/archive"].value.key_version = b;
  Plan p = WithCheckHook(PlanNow(d));
  const Change* repin = FindChange(p, "binding/archive");
  ASSERT_NE(repin, nullptr);
  ASSERT_EQ(repin->action, Action::kRepin);
  hooks_.post["binding/archive"] = {HookVerdict::kRollback, "rollback"};
  cloud_.ClearCalls();
  HookEventRecorder rec;
  ApplyResult r = ApplyWith(p, false, &rec);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(Outcomes(r)["binding/archive"], Outcome::kRolledBack);
  // Applied (to B), then reverted (to A).
  EXPECT_THAT(cloud_.WriteCalls(), ElementsAre("UpdateConsumerEncryption archive01",
                                              "UpdateConsumerEncryption archive01"));
  auto archive = cloud_.FindStorage("archive01");
  EXPECT_EQ(archive->encryption.key_version, a);
  EXPECT_THAT(archive->encryption.current_versioned_key_id, ::testing::EndsWith(a));
  const ChangeReport& rep = ReportOf(r, "binding/archive");
  EXPECT_EQ(rep.reason, "post-hook 'check' failed: consumer not ready");
  EXPECT_THAT(rep.notes, Contains("reverted keyVersion " + b.substr(0, 8) + "\xE2\x80\xA6 \xE2\x86\x92 " +
                                  a.substr(0, 8) + "\xE2\x80\xA6"));
  EXPECT_THAT(rep.notes, Contains("rollback script: hook 'check' passed"));
  EXPECT_THAT(hooks_.calls, Contains("rollback-script binding/archive check"));
  EXPECT_THAT(rec.events, Contains(HasSubstr("revert binding/archive: reverted keyVersion")));
  EXPECT_THAT(rec.events, Contains("rollback binding/archive ok"));
}

TEST_F(ApplyHooksTest, RollbackReportsAppliedRolledBackSkippedAndNotAttempted) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.post["role-assignment/bank-uami-crypto"] = {HookVerdict::kRollback, "rollback"};
  ApplyResult r = ApplyWith(p);
  auto o = Outcomes(r);
  EXPECT_EQ(o["role-assignment/archive-crypto"], Outcome::kApplied);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kRolledBack);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);       // depends on the assignment
  EXPECT_EQ(o["binding/archive"], Outcome::kNotAttempted);   // independent, no --keep-going
  EXPECT_THAT(cloud_.WriteCalls(),
              Contains("DeleteRoleAssignment " + DeterministicGuid("role-assignment/bank-uami-crypto")));
  Result<std::vector<RoleAssignmentState>> left = cloud_.ListRoleAssignments(BankKeyScope());
  ASSERT_TRUE(left.ok());
  for (const auto& ra : *left) EXPECT_NE(ra.name, "bank-uami-crypto");
  EXPECT_EQ(ReportOf(r, "binding/bankdata").reason,
            "depends on role-assignment/bank-uami-crypto, which was rolled back");
  EXPECT_EQ(ReportOf(r, "binding/archive").reason,
            "apply stopped after role-assignment/bank-uami-crypto (use --keep-going)");
  EXPECT_THAT(r.status.message(), HasSubstr("1 rolled back"));
}

TEST_F(ApplyHooksTest, RollbackWithKeepGoingContinuesWithIndependentChanges) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.post["role-assignment/bank-uami-crypto"] = {HookVerdict::kRollback, "rollback"};
  ApplyResult r = ApplyWith(p, /*keep_going=*/true);
  auto o = Outcomes(r);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kRolledBack);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/archive"], Outcome::kApplied);
  EXPECT_FALSE(r.status.ok());
}

TEST_F(ApplyHooksTest, KeyCreateHasNoSafeInverseAndIsLeftAsItIs) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.post["key/bank-cmk"] = {HookVerdict::kRollback, "rollback"};
  ApplyResult r = ApplyWith(p);
  ASSERT_FALSE(r.status.ok());
  const ChangeReport& rep = ReportOf(r, "key/bank-cmk");
  EXPECT_EQ(rep.outcome, Outcome::kApplied);
  EXPECT_EQ(rep.reason, "post-hook 'check' failed: consumer not ready");
  ASSERT_FALSE(rep.notes.empty());
  EXPECT_THAT(rep.notes[0], HasSubstr("no safe inverse: key bank-cmk was created"));
  EXPECT_TRUE(cloud_.FindKey("bank-kv", "bank-cmk"));  // never deleted
  for (const auto& call : cloud_.WriteCalls()) EXPECT_EQ(call.rfind("DeleteKey", 0), std::string::npos);
  EXPECT_EQ(Outcomes(r)["key/bank-cmk/rotation-policy"], Outcome::kSkipped);
  EXPECT_THAT(r.status.message(), HasSubstr("1 kept after a failed post-hook"));
}

TEST_F(ApplyHooksTest, PostHookHaltKeepsTheChangeSkipsDependentsAndStops) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.post["role-assignment/bank-uami-crypto"] = {HookVerdict::kHalt, "halt"};
  ApplyResult r = ApplyWith(p);
  ASSERT_FALSE(r.status.ok());
  auto o = Outcomes(r);
  EXPECT_EQ(o["role-assignment/bank-uami-crypto"], Outcome::kApplied);
  EXPECT_EQ(o["binding/bankdata"], Outcome::kSkipped);
  EXPECT_EQ(o["binding/archive"], Outcome::kNotAttempted);
  for (const auto& call : cloud_.WriteCalls()) EXPECT_EQ(call.rfind("Delete", 0), std::string::npos);
  EXPECT_THAT(hooks_.calls, ::testing::Not(Contains(HasSubstr("rollback-script"))));
  EXPECT_EQ(ReportOf(r, "role-assignment/bank-uami-crypto").reason,
            "post-hook 'check' failed: consumer not ready");
}

TEST_F(ApplyHooksTest, WarnOnlyRecords) {
  Plan p = WithCheckHook(PlanNow(BankDesired()));
  hooks_.pre["vault/bank-kv"] = {HookVerdict::kWarn, "warn"};
  hooks_.post["binding/archive"] = {HookVerdict::kWarn, "warn"};
  ApplyResult r = ApplyWith(p);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  for (const auto& [address, outcome] : r.outcomes) EXPECT_EQ(outcome, Outcome::kApplied) << address;
  EXPECT_THAT(ReportOf(r, "vault/bank-kv").notes,
              ElementsAre("warning: pre-hook 'check' failed: consumer not ready"));
  EXPECT_THAT(ReportOf(r, "binding/archive").notes,
              ElementsAre("warning: post-hook 'check' failed: consumer not ready"));
  EXPECT_TRUE(r.hooks_ran);
}

TEST_F(ApplyHooksTest, ChangesWithoutHooksCallNoHooks) {
  Plan p = PlanNow(BankDesired());
  for (auto& c : p.changes) c.hooks.clear();
  p.hooks.clear();
  ApplyResult r = ApplyWith(p);
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(hooks_.calls.empty());
  EXPECT_FALSE(r.hooks_ran);
}

TEST(Revert, RotationPolicyWithoutAPreviousOneHasNoInverse) {
  TestCloud cloud;
  Change c;
  c.address = "key/bank-cmk/rotation-policy";
  c.kind = Kind::kRotationPolicy;
  c.action = Action::kCreate;
  c.request = PutRotationPolicy{KeyRef{"bank-kv", "bank-cmk"}, {}};
  RevertResult r = Revert(c, cloud);
  EXPECT_EQ(r.kind, RevertKind::kNoInverse);
  EXPECT_THAT(r.note, HasSubstr("bank-cmk had no rotation policy before"));
  EXPECT_TRUE(cloud.WriteCalls().empty());
}

TEST(Revert, RotationPolicyUpdateRestoresThePreviousPolicy) {
  TestCloud cloud;
  cloud.SeedKey(Key("bank-kv", "bank-cmk"));
  RotationPolicyState before;
  before.rotate_after_create = "P1Y";
  RotationPolicyState after;
  after.rotate_after_create = "P90D";
  Change c;
  c.address = "key/bank-cmk/rotation-policy";
  c.kind = Kind::kRotationPolicy;
  c.action = Action::kUpdate;
  c.before = KeyPolicy{KeyRef{"bank-kv", "bank-cmk"}, before};
  c.request = PutRotationPolicy{KeyRef{"bank-kv", "bank-cmk"}, after};
  RevertResult r = Revert(c, cloud);
  ASSERT_EQ(r.kind, RevertKind::kReverted) << r.note;
  ASSERT_TRUE(cloud.FindKey("bank-kv", "bank-cmk")->rotation_policy.has_value());
  EXPECT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->rotation_policy->rotate_after_create, "P1Y");
}

TEST(Revert, BindingFromMicrosoftManagedKeysGoesBackToThem) {
  TestCloud cloud;
  cloud.SeedKey(Key("bank-kv", "bank-cmk"));
  ConsumerState acct = Account("bankdata01");
  acct.system_principal_id = DeterministicGuid("bankdata01 system identity");
  cloud.SeedStorageAccount(acct);
  RoleAssignmentState grant = Assignment("bankdata-crypto", BankKeyScope(), {});
  grant.principal_id = acct.system_principal_id;
  cloud.SeedRoleAssignment(grant);
  Change c;
  c.address = "binding/bankdata";
  c.kind = Kind::kStorageCmkBinding;
  c.action = Action::kUpdate;
  const ConsumerRef account{ConsumerKind::kStorage, kSub, kRg, "bankdata01"};
  c.before = ConsumerEncryption{account, EncryptionState{}};
  EncryptionState cmk;
  cmk.key_source = "Microsoft.Keyvault";
  cmk.key_vault_uri = VaultUri("bank-kv");
  cmk.key_name = "bank-cmk";
  c.request = UpdateConsumerEncryption{account, cmk};
  Result<ConsumerState> bound = cloud.UpdateConsumerEncryption(UpdateConsumerEncryption{account, cmk});
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  RevertResult r = Revert(c, cloud);
  ASSERT_EQ(r.kind, RevertKind::kReverted) << r.note;
  EXPECT_THAT(r.note, HasSubstr("Microsoft.Storage"));
  EXPECT_EQ(cloud.FindStorage("bankdata01")->encryption.key_source, "Microsoft.Storage");
}

TEST(Revert, AFailedInverseIsReported) {
  TestCloud cloud;
  cloud.SeedKey(Key("bank-kv", "bank-cmk"));
  cloud.FailOn("UpdateKey", Unavailable("throttled"));
  Change c;
  c.address = "key/bank-cmk";
  c.kind = Kind::kKey;
  c.action = Action::kUpdate;
  c.before = *cloud.FindKey("bank-kv", "bank-cmk");
  c.request = UpdateKey{*cloud.FindKey("bank-kv", "bank-cmk")};
  RevertResult r = Revert(c, cloud);
  EXPECT_EQ(r.kind, RevertKind::kFailed);
  EXPECT_THAT(r.note, HasSubstr("throttled"));
}

TEST_F(ApplyHooksTest, PlanJsonCarriesHookSpecs) {
  Plan p = PlanNow(BankDesired());
  ASSERT_EQ(p.hooks.size(), 2u);  // audit-keys (keys), notify (bindings)
  EXPECT_EQ(p.hooks[0].name, "audit-keys");
  EXPECT_EQ(p.hooks[1].name, "notify");
  Result<Plan> back = PlanFromJson(PlanToJsonText(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->hooks.size(), 2u);
  EXPECT_EQ(back->hooks[1].script, "/hooks/notify.lua");
  EXPECT_EQ(back->hooks[1].actions, std::vector<std::string>{"bind"});
  EXPECT_EQ(PlanToJsonText(*back), PlanToJsonText(p));
  // A plan whose change names a hook it does not carry is refused.
  Json j = PlanToJson(p);
  j["hooks"] = Json::array();
  Result<Plan> refused = PlanFromJson(j.dump());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("does not carry its spec"));
}

TEST_F(ApplyHooksTest, RepinAndDisableVersionAreSelectorActions) {
  DesiredState d = BankDesired();
  HookSpec repin;
  repin.name = "on-repin";
  repin.phase = "post";
  repin.actions = {"repin"};
  repin.script = "/hooks/repin.lua";
  d.hooks["hook/on-repin"] = At(repin, 110);
  HookSpec disable;
  disable.name = "on-disable";
  disable.phase = "pre";
  disable.actions = {"disable-version"};
  disable.script = "/hooks/canary.lua";
  d.hooks["hook/on-disable"] = At(disable, 120);
  Plan first = PlanNow(d);  // first binds: not a repin
  for (const auto& c : first.changes) {
    EXPECT_THAT(c.hooks, ::testing::Not(Contains("on-repin"))) << c.address;
    EXPECT_THAT(c.hooks, ::testing::Not(Contains("on-disable"))) << c.address;
  }
  auto [a, b] = PinArchiveThenRotate(d);
  d.bindings["binding/archive"].value.key_version = b;
  d.keys["key/bank-cmk"].value.enabled = false;
  Plan second = PlanNow(d);
  EXPECT_THAT(FindChange(second, "binding/archive")->hooks, Contains("on-repin"));
  EXPECT_THAT(FindChange(second, "key/bank-cmk")->hooks, Contains("on-disable"));
  EXPECT_NE(second.FindHook("on-repin"), nullptr);
}

}  // namespace
}  // namespace cmk
