// Version-aware diff and apply: rotation by generation, retirement planned or
// blocked, repin, warnings, the idempotent rotate after a crash.
#include <gtest/gtest.h>

#include "engine/apply/apply.h"
#include "engine/apply/apply_versions.h"
#include "engine/diff/diff.h"
#include "provider/forwarding_provider.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"
#include "test_cloud.h"
#include "scenario.h"
#include "test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {


constexpr int64_t kT0 = 1798761600;  // 2027-01-01T00:00:00Z
constexpr int64_t kDay = 86400;
const std::string kOld = "0123456789abcdef0123456789abcdef";
const std::string kNew = "fedcba9876543210fedcba9876543210";

KeyVersionState Version(const std::string& id, int64_t created, Tags tags = {}) {
  KeyVersionState v;
  v.version = id;
  v.created = created;
  v.key_ops = {"unwrapKey", "wrapKey"};
  v.tags = tags;
  return v;
}

// The desired bank key (retire after PT24H) and a live key with two versions.
struct World {
  DesiredState desired;
  LiveState live;
  World() {
    desired.subscriptions = {kSub};
    KeyState k = Key("bank-kv", "bank-cmk");
    k.retire = RetireSpec{"PT24H", std::nullopt, "disable"};
    RotationPolicyState p;
    p.rotate_after_create = "P1Y";
    p.expiry_time = "P2Y";
    k.rotation_policy = p;
    desired.keys["key/bank-cmk"] = At(k, 10);
    KeyState have = Key("bank-kv", "bank-cmk");
    have.tags["managed-by"] = "cmkctl";
    have.rotation_policy = p;
    have.versions = {Version(kOld, kT0 - 365 * kDay), Version(kNew, kT0)};
    live.keys["bank-kv/bank-cmk"] = have;
  }
  KeyState& live_key() { return live.keys["bank-kv/bank-cmk"]; }
  KeyState& want() { return desired.keys["key/bank-cmk"].value; }
  ConsumerState& Consumer(const std::string& name, const std::string& pinned, const std::string& uses,
                          ConsumerKind kind = ConsumerKind::kStorage) {
    ConsumerState s = Account(name);
    s.kind = kind;
    s.encryption.key_source = "Microsoft.Keyvault";
    s.encryption.key_vault_uri = VaultUri("bank-kv");
    s.encryption.key_name = "bank-cmk";
    s.encryption.key_version = pinned;
    if (!uses.empty())
      s.encryption.current_versioned_key_id = VaultUri("bank-kv") + "/keys/bank-cmk/" + uses;
    return live.consumers[ConsumerAddress(kind, name)] = s;
  }
  Plan PlanAt(int64_t now) {
    DiffOptions o;
    o.now = now;
    return Diff(desired, live, o, kTarget);
  }
};

std::string VersionAddress(const std::string& v) { return "key/bank-cmk/versions/" + v; }

TEST(RotationDiff, GenerationBumpPlansOneRotate) {
  World w;
  w.want().rotation_generation = 1;
  Plan p = w.PlanAt(kT0 + 10 * kDay);
  const Change* c = FindChange(p, "key/bank-cmk/rotate");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kRotate);
  EXPECT_EQ(std::get<RotateToGeneration>(c->request).generation, 1);
  EXPECT_NE(c->reason.find("generation 1 requested"), std::string::npos);
  // A version carrying the generation (even an older one) means done.
  w.live_key().versions[0].tags[kGenerationTagKey] = "1";
  EXPECT_EQ(FindChange(w.PlanAt(kT0 + 10 * kDay), "key/bank-cmk/rotate"), nullptr);
  // A higher generation on a version also satisfies a lower request.
  w.live_key().versions[0].tags[kGenerationTagKey] = "3";
  w.want().rotation_generation = 2;
  EXPECT_EQ(FindChange(w.PlanAt(kT0 + 10 * kDay), "key/bank-cmk/rotate"), nullptr);
  w.want().rotation_generation = 4;
  EXPECT_NE(FindChange(w.PlanAt(kT0 + 10 * kDay), "key/bank-cmk/rotate"), nullptr);
}

TEST(RotationDiff, GenerationTagOnNewestIsNotAKeyUpdate) {
  World w;
  w.want().rotation_generation = 1;
  w.live_key().tags[kGenerationTagKey] = "1";
  w.live_key().versions[1].tags[kGenerationTagKey] = "1";
  Plan p = w.PlanAt(kT0 + 10 * kDay);
  const Change* key = FindChange(p, "key/bank-cmk");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->action, Action::kNoOp) << key->reason;
  EXPECT_EQ(FindChange(p, "key/bank-cmk/rotate"), nullptr);
}

TEST(RotationDiff, RetirementPlannedAfterWindowWhenUnused) {
  World w;
  w.Consumer("bankdata01", "", kNew);
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  const Change* c = FindChange(p, VersionAddress(kOld));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->action, Action::kDisableVersion);
  const RetireVersion& retire = std::get<RetireVersion>(c->request);
  EXPECT_EQ(retire.version, kOld);
  EXPECT_EQ(retire.canary_versions, std::vector<std::string>{kNew});
  EXPECT_EQ(c->reason_code, ChangeReason::kRetire);
}

TEST(RotationDiff, RetirementBlockedInsideAdoptionWindow) {
  World w;
  Plan p = w.PlanAt(kT0 + 3600);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  ASSERT_EQ(p.keys.size(), 1u);
  ASSERT_EQ(p.keys[0].blocked.size(), 1u);
  EXPECT_NE(p.keys[0].blocked[0].find("adoption window PT24H has not passed (newest version "
                                      "created 2027-01-01T00:00:00Z)"),
            std::string::npos);
  EXPECT_TRUE(HasMessage(p.warnings, "blocked: retire version 01234567"));
}

TEST(RotationDiff, RetirementBlockedWhilePinnedConsumerUsesIt) {
  World w;
  w.Consumer("bankdata01", kOld, kOld);
  Plan p = w.PlanAt(kT0 + 30 * kDay);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  EXPECT_TRUE(HasMessage(p.warnings, "still used by storage/bankdata01 (pinned)"));
  ASSERT_EQ(p.keys.size(), 1u);
  EXPECT_EQ(p.keys[0].versions[0].consumers, std::vector<std::string>{"storage/bankdata01 (pinned)"});
  bool lag = false, pinned = false;
  for (const auto& f : p.keys[0].findings) {
    lag |= f.kind == "lagging" && f.subject == "storage/bankdata01" &&
           f.message.find("lags behind") != std::string::npos;
    pinned |= f.kind == "pinned" && f.subject == "storage/bankdata01";
  }
  EXPECT_TRUE(lag);
  EXPECT_TRUE(pinned);
}

TEST(RotationDiff, AutoConsumerNotYetAdoptedBlocks) {
  World w;
  w.Consumer("bankdata01", "", kOld);  // evidence: still on the old version
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  EXPECT_TRUE(HasMessage(p.warnings, "still used by storage/bankdata01 (auto)"));
}

// Every consumer kind is gated alike; what each still needs comes from its
// own evidence (a disk encryption set's previousKeys, a SQL server's keys).
TEST(RotationDiff, EveryConsumerKindHoldsTheVersionsItStillNeeds) {
  World w;
  w.Consumer("bankdata01", "", kNew);
  ConsumerState& des = w.Consumer("bank-des", "", kNew, ConsumerKind::kDiskEncryptionSet);
  des.retained_key_ids = {VaultUri("bank-kv") + "/keys/bank-cmk/" + kOld};  // re-wrapping its disks
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  EXPECT_TRUE(HasMessage(p.warnings, "still used by des/bank-des (rotating)")) << p.warnings.size();
  ASSERT_EQ(p.keys.size(), 1u);
  EXPECT_EQ(p.keys[0].versions[1].consumers,
            (std::vector<std::string>{"des/bank-des (auto)", "storage/bankdata01 (auto)"}));

  // The set finished re-wrapping; a SQL server keeps the old version for restores.
  w.live.consumers["des/bank-des"].retained_key_ids.clear();
  ConsumerState& sql = w.Consumer("bank-sql", "", kNew, ConsumerKind::kSqlServer);
  sql.retained_key_ids = {VaultUri("bank-kv") + "/keys/bank-cmk/" + kOld};
  p = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  EXPECT_TRUE(HasMessage(p.warnings, "still used by sql/bank-sql (backups need it)"));

  // Released: the version retires, and the canary covers every consumer's version.
  w.live.consumers["sql/bank-sql"].retained_key_ids.clear();
  p = w.PlanAt(kT0 + 2 * kDay);
  const Change* c = FindChange(p, VersionAddress(kOld));
  ASSERT_NE(c, nullptr);
  const RetireVersion& retire = std::get<RetireVersion>(c->request);
  ASSERT_EQ(retire.consumers.size(), 3u);
  EXPECT_EQ(retire.consumers[0].consumer.kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(retire.consumers[1].consumer.kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(retire.consumers[2].consumer.kind, ConsumerKind::kStorage);
}

TEST(RotationDiff, MaxEnabledVersionsKeepsTheNewest) {
  World w;
  w.want().retire->max_enabled_versions = 2;
  const std::string mid = "aaaaaaaabbbbbbbbccccccccdddddddd";
  w.live_key().versions.insert(w.live_key().versions.begin() + 1, Version(mid, kT0 - 100 * kDay));
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_EQ(FindChange(p, VersionAddress(mid)), nullptr);
  EXPECT_NE(FindChange(p, VersionAddress(kOld)), nullptr);
}

TEST(RotationDiff, DisablingKeyInUseIsAnError) {
  World w;
  w.Consumer("bankdata01", "", kNew);
  w.want().enabled = false;
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_TRUE(HasMessage(p.errors, "while storage/bankdata01 (auto) still uses it"));
}

TEST(RotationDiff, WarningsAndUpcoming) {
  World w;
  w.live_key().versions[0].expires = kT0 + 12 * kDay;
  w.Consumer("exports01", kOld, kOld);
  w.want().rotation_policy->rotate_after_create = "P2Y";
  Plan p = w.PlanAt(kT0);
  EXPECT_TRUE(HasMessage(p.warnings, "expires in 12 days while storage/exports01 (pinned)"));
  EXPECT_TRUE(HasMessage(p.warnings, "policy rotates after expiry"));
  ASSERT_EQ(p.keys.size(), 1u);
  EXPECT_EQ(p.keys[0].upcoming[0], "next rotation 2029-01-01T00:00:00Z (rotateAfterCreate P2Y)");
  std::string text = RenderText(p);
  EXPECT_NE(text.find("Versions of key/bank-cmk"), std::string::npos);
  EXPECT_NE(text.find("used by storage/exports01 (pinned)"), std::string::npos);
}

TEST(RotationDiff, RepinIsClassified) {
  World w;
  w.Consumer("bankdata01", kOld, kOld);
  BindingState b = Binding("bankdata", "bankdata01", "bank-cmk", "");
  b.key_version = kNew;
  w.desired.bindings["binding/bankdata"] = At(b, 40);
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  const Change* c = FindChange(p, "binding/bankdata");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason.rfind("repin: keyVersion 01234567", 0), 0u) << c->reason;
  EXPECT_EQ(c->action, Action::kRepin);
  EXPECT_STREQ(ActionName(c->action), "repin");
  EXPECT_EQ(p.Summary().repin, 1);
  EXPECT_EQ(p.Summary().update, 0);
}

// The marketplace case: a stale unused version, a pinned workload on an old
// one. The repin comes first, the unused version is retired after it, and the
// pinned workload's version waits for the account to report the new one.
TEST(RotationDiff, PinnedWorkloadIsRepinnedBeforeAnyRetirement) {
  const std::string kStale = "00000000000000000000000000000001";
  World w;
  w.live_key().versions.insert(w.live_key().versions.begin(),
                               Version(kStale, kT0 - 2 * 365 * kDay));
  w.Consumer("orders01", kOld, kOld);
  w.Consumer("catalog01", "", kNew);
  w.desired.bindings["binding/orders"] = At(Binding("orders", "orders01", "bank-cmk", ""), 40);
  Plan p = w.PlanAt(kT0 + 2 * kDay);
  const Change* repin = FindChange(p, "binding/orders");
  ASSERT_NE(repin, nullptr);
  EXPECT_EQ(repin->action, Action::kRepin);
  const Change* retire = FindChange(p, VersionAddress(kStale));
  ASSERT_NE(retire, nullptr);
  EXPECT_EQ(retire->action, Action::kDisableVersion);
  EXPECT_NE(std::find(retire->depends_on.begin(), retire->depends_on.end(), "binding/orders"),
            retire->depends_on.end());
  EXPECT_LT(repin - p.changes.data(), retire - p.changes.data()) << RenderText(p);
  EXPECT_EQ(FindChange(p, VersionAddress(kOld)), nullptr);
  EXPECT_TRUE(HasMessage(p.warnings, "still used by storage/orders01 (pinned); binding/orders "
                                     "repins it in this plan"));
  std::map<std::string, std::vector<std::string>> findings;  // kind -> subjects
  for (const auto& f : p.keys[0].findings) findings[f.kind].push_back(f.subject);
  EXPECT_EQ(findings["pinned"], std::vector<std::string>{"storage/orders01"});
  EXPECT_EQ(findings["lagging"], std::vector<std::string>{"storage/orders01"});
  EXPECT_EQ(findings["stale"], (std::vector<std::string>{kStale, kOld}));
  EXPECT_EQ(findings.count("no-policy"), 0u);
  EXPECT_NE(SummaryLine(p).find("0 to rotate, 1 to repin, 1 version to retire"), std::string::npos)
      << SummaryLine(p);

  // Once the account reports the newest version, the old one is retired too.
  w.Consumer("orders01", "", kNew);
  Plan next = w.PlanAt(kT0 + 3 * kDay);
  EXPECT_EQ(FindChange(next, "binding/orders")->action, Action::kNoOp);
  ASSERT_NE(FindChange(next, VersionAddress(kOld)), nullptr);
}

TEST(RotationDiff, DeterministicAndRoundTrips) {
  World w;
  w.want().rotation_generation = 2;
  w.Consumer("bankdata01", kOld, kOld);
  Plan a = w.PlanAt(kT0 + 2 * kDay), b = w.PlanAt(kT0 + 2 * kDay);
  EXPECT_EQ(PlanToJsonText(a), PlanToJsonText(b));
  auto back = PlanFromJson(PlanToJsonText(a));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(PlanToJsonText(*back), PlanToJsonText(a));
}

// Fails the first UpdateKey after RotateKey: a crash between "version created"
// and "tagged".
class CrashAfterRotate : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  bool crash = true;
  bool rotated = false;
  Result<KeyState> RotateKey(const cmk::RotateKey& r) override {
    rotated = true;
    return ForwardingProvider::RotateKey(r);
  }
  Result<KeyState> UpdateKey(const cmk::UpdateKey& r) override {
    if (crash && rotated) return Unavailable("killed");
    return ForwardingProvider::UpdateKey(r);
  }
};

RotateToGeneration RotateChange(int64_t generation) {
  return RotateToGeneration{KeyRef{"bank-kv", "bank-cmk"}, generation};
}

TEST(RotationApply, CrashAfterRotateThenRetryCreatesExactlyOneVersion) {
  TestCloud cloud;
  cloud.SeedKey(Key("bank-kv", "bank-cmk"));
  CrashAfterRotate p(cloud);
  EXPECT_FALSE(ApplyRotation(RotateChange(1), p).ok());
  ASSERT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->versions.size(), 2u);
  p.crash = false;
  ASSERT_TRUE(ApplyRotation(RotateChange(1), p).ok());
  auto k = cloud.FindKey("bank-kv", "bank-cmk");
  ASSERT_EQ(k->versions.size(), 2u);
  EXPECT_EQ(k->versions.back().tags.at(kGenerationTagKey), "1");
  EXPECT_EQ(k->versions.back().tags.count(kRotatePendingTagKey), 0u);
  // A second pipeline with the same generation does nothing.
  ASSERT_TRUE(ApplyRotation(RotateChange(1), p).ok());
  EXPECT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->versions.size(), 2u);
  // The next generation rotates once more.
  ASSERT_TRUE(ApplyRotation(RotateChange(2), p).ok());
  EXPECT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->versions.size(), 3u);
}

TEST(RotationApply, CrashBeforeRotateThenRetryRotatesOnce) {
  TestCloud cloud;
  cloud.SeedKey(Key("bank-kv", "bank-cmk"));
  cloud.FailOn("RotateKey", Unavailable("killed"), 1);
  EXPECT_FALSE(ApplyRotation(RotateChange(1), cloud).ok());
  EXPECT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->versions.size(), 1u);
  ASSERT_TRUE(ApplyRotation(RotateChange(1), cloud).ok());
  EXPECT_EQ(cloud.FindKey("bank-kv", "bank-cmk")->versions.size(), 2u);
}

// Wrap = identity, optionally failing: a canary the test controls.
class CanaryProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  bool fail = false;
  Result<Bytes> WrapKey(const cmk::WrapKey& r) override { return r.plaintext; }
  Result<Bytes> UnwrapKey(const cmk::UnwrapKey& r) override {
    if (fail) return PermissionDenied("Forbidden");
    return r.ciphertext;
  }
};

// A key with an old and a new version, bankdata01 (its system identity
// granted the key) on the new one, and the planned retirement of the old one.
struct Retirement {
  TestCloud cloud;
  ConsumerState s = Account("bankdata01");
  Change c;
  Retirement() {
    KeyState k = Key("bank-kv", "bank-cmk");
    k.versions = {Version(kOld, kT0 - kDay), Version(kNew, kT0)};
    cloud.SeedKey(k);
    s.system_principal_id = DeterministicGuid("bankdata01 system identity");
    s.encryption.key_source = "Microsoft.Keyvault";
    s.encryption.key_vault_uri = VaultUri("bank-kv");
    s.encryption.key_name = "bank-cmk";
    s.encryption.current_versioned_key_id = VaultUri("bank-kv") + "/keys/bank-cmk/" + kNew;
    cloud.SeedStorageAccount(s);
    RoleAssignmentState grant = Assignment("bankdata-crypto", BankKeyScope(), {});
    grant.principal_id = s.system_principal_id;
    cloud.SeedRoleAssignment(grant);
    c.address = VersionAddress(kOld);
    c.kind = Kind::kKey;
    c.action = Action::kDisableVersion;
    c.request = Request(RetireVersion{KeyRef{"bank-kv", "bank-cmk"}, kOld, "disable",
                                      {ConsumerAccount{ConsumerRef{ConsumerKind::kStorage, kSub, kRg, "bankdata01"}}}, {kNew}});
  }
};

TEST(RotationApply, DisableVersionRunsCanaryAndRechecksConsumers) {
  Retirement r;
  TestCloud& cloud = r.cloud;
  ConsumerState& s = r.s;
  const Change& c = r.c;
  CanaryProvider p(cloud);
  p.fail = true;
  Status st = ApplyChange(c, p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("blocked: canary unwrap"), std::string::npos) << st.message();
  EXPECT_TRUE(cloud.FindKey("bank-kv", "bank-cmk")->versions[0].enabled);
  p.fail = false;
  ASSERT_TRUE(ApplyChange(c, p).ok());
  EXPECT_FALSE(cloud.FindKey("bank-kv", "bank-cmk")->versions[0].enabled);
  // Fresh evidence: a consumer that moved back onto the version blocks it.
  ASSERT_TRUE(cloud.UpdateKeyVersion(UpdateKeyVersion{KeyRef{"bank-kv", "bank-cmk"}, Version(kOld, kT0 - kDay)}).ok());
  EncryptionState pinned = s.encryption;
  pinned.key_version = kOld;
  pinned.current_versioned_key_id.clear();
  Result<ConsumerState> moved =
      cloud.UpdateConsumerEncryption(UpdateConsumerEncryption{ConsumerRef{ConsumerKind::kStorage, kSub, kRg, "bankdata01"}, pinned});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  ASSERT_TRUE(moved->encryption.current_versioned_key_id.ends_with(kOld));
  st = ApplyChange(c, p);
  EXPECT_NE(st.message().find("now used by storage/bankdata01"), std::string::npos) << st.message();
}

// The caller's canary replaces the built-in probe and sees the version the
// consumer really uses; its failure blocks the retirement.
TEST(RotationApply, CallersCanaryDecidesTheRetirement) {
  Retirement r;
  TestCloud& cloud = r.cloud;
  const Change& c = r.c;
  std::vector<std::string> probed;
  bool pass = false;
  VersionCanary canary = [&](Provider&, const KeyState& key, const std::string& version) {
    probed.push_back(key.name + "/" + version);
    return pass ? Status::Ok() : FailedPrecondition("blocked: canary says no");
  };
  Status st = ApplyChange(c, cloud, canary);
  EXPECT_EQ(st.message(), "blocked: canary says no");
  EXPECT_EQ(probed, std::vector<std::string>{"bank-cmk/" + kNew});
  EXPECT_TRUE(cloud.FindKey("bank-kv", "bank-cmk")->versions[0].enabled);
  pass = true;
  ASSERT_TRUE(ApplyChange(c, cloud, canary).ok());
  EXPECT_FALSE(cloud.FindKey("bank-kv", "bank-cmk")->versions[0].enabled);
}

}  // namespace
}  // namespace cmk
