// SandboxCloud::RestoreSnapshot: a sandbox restored from what a Provider read
// of another cloud reads back the same, and behaves the same as time passes
// (the rotations, expiries, notices and adoptions a rehearsal depends on).
//
// The source is opened with another vault DNS suffix (as the sandbox server
// or Azure would answer), so the URIs are rewritten on the way. Fields that
// legitimately differ between source and restored state, and how the test
// treats them:
// - vault URIs, key ids (kid), storage keyvaulturi and currentVersioned-
//   KeyIdentifier: rewritten to the restored sandbox's suffix (compared after
//   substituting the suffix);
// - key versions created after the snapshot: their ids come from each
//   sandbox's own id counter (compared by count, and events by time, kind and
//   object, not by message).
#include <algorithm>

#include "base/duration.h"
#include "sandbox/sandbox_provider.h"
#include "sandbox_test_util.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


constexpr const char* kServedSuffix = "vault.localhost:8443";
const std::string kForeignPrincipal = "11111111-2222-3333-4444-555555555555";

// What the engine's live reader reads for the bank-like estate, through the
// Provider interface.
LiveState ReadEstate(Provider& p) {
  LiveState live;
  auto vault = p.GetVault(ArmRef{kSub, kRg, "bank-kv"});
  EXPECT_TRUE(vault.ok() && vault->has_value());
  if (vault.ok() && *vault) live.vaults["vault/bank-kv"] = **vault;
  auto key = p.GetKey(KeyRef{"bank-kv", "cmk"});
  EXPECT_TRUE(key.ok() && key->has_value());
  if (key.ok() && *key) live.keys["bank-kv/cmk"] = **key;
  auto identity = p.GetIdentity(ArmRef{kSub, kRg, "uami-bank"});
  EXPECT_TRUE(identity.ok() && identity->has_value());
  if (identity.ok() && *identity) live.identities["identity/uami-bank"] = **identity;
  auto ras = p.ListRoleAssignments(VaultArmId(kSub, kRg, "bank-kv"));
  EXPECT_TRUE(ras.ok());
  if (ras.ok())
    for (const auto& r : *ras) live.role_assignments[r.id] = r;
  for (const char* name : {"pinned01", "auto01"}) {
    auto a = p.GetConsumer(ConsumerRef{ConsumerKind::kStorage, kSub, kRg, name});
    EXPECT_TRUE(a.ok() && a->has_value());
    if (a.ok() && *a) live.consumers[std::string("storage/") + name] = **a;
  }
  return live;
}

Json LiveJson(const LiveState& live) {
  Json j{{"vaults", Json::object()}, {"keys", Json::object()}, {"identities", Json::object()},
         {"roleAssignments", Json::object()}, {"storageAccounts", Json::object()}};
  for (const auto& [k, v] : live.vaults) j["vaults"][k] = ToJson(v);
  for (const auto& [k, v] : live.keys) j["keys"][k] = ToJson(v);
  for (const auto& [k, v] : live.identities) j["identities"][k] = ToJson(v);
  for (const auto& [k, v] : live.role_assignments) j["roleAssignments"][k] = ToJson(v);
  for (const auto& [k, v] : live.consumers) j["storageAccounts"][k] = ToJson(v);
  return j;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

struct Line {
  int64_t time;
  std::string kind, object;
  bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << FormatRfc3339(l.time) << " " << l.kind << " " << l.object;
}

// The time-driven events after `after_seq`.
std::vector<Line> Timeline(SandboxCloud& cloud, int64_t after_seq) {
  EventFilter f;
  f.after_seq = after_seq;
  f.kinds = {"key", "storage"};
  auto events = cloud.ListEvents(f);
  EXPECT_TRUE(events.ok());
  std::vector<Line> out;
  if (events.ok())
    for (const auto& e : *events) out.push_back({e.time, e.kind, e.object});
  return out;
}

int64_t LastSeq(SandboxCloud& cloud) {
  auto events = cloud.ListEvents();
  return events.ok() && !events->empty() ? events->back().seq : 0;
}

class SnapshotTest : public SandboxTest {
 protected:
  static inline const int64_t kT0 = At("2026-11-23T00:00:00Z");

  void SetUp() override {
    SandboxTest::SetUp();
    SandboxOptions served;
    served.dns_suffix = kServedSuffix;
    auto source = SandboxProvider::Open(root_ + "/source", served);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    source_ = std::move(source).value();
    BuildEstate(source_->cloud());
  }
  void TearDown() override {
    source_.reset();
    SandboxTest::TearDown();
  }

  // Bank-like: a vault with network rules; key cmk with a disabled version
  // with an expiry, the version the pinned account uses, and a newer one the
  // auto account has not adopted yet (18 hours to go); a yearly rotation
  // policy with expiry and notice; a user-assigned identity; role
  // assignments for it, the pinned account's system identity and a foreign
  // principal.
  static void BuildEstate(SandboxCloud& c) {
    CMK_ASSERT_OK(c.SetClock(kT0));
    VaultState v = Vault("bank-kv");
    v.soft_delete_retention_days = 90;
    v.network_acls.default_action = "Deny";
    v.network_acls.ip_rules = {"203.0.113.0/24"};
    v.tags["owner"] = "treasury";
    CMK_ASSERT_OK(c.PutVault(v));
    KeyState k = Key("bank-kv", "cmk");
    k.expires = kT0 + 400 * 86400;
    k.tags = {{"managed-by", "cmkctl"}, {"tier", "gold"}};
    auto v1 = c.CreateKey(k);
    CMK_ASSERT_OK(v1);
    CMK_ASSERT_OK(c.AdvanceClockBy("P30D"));
    auto v2 = c.RotateKey("bank-kv", "cmk");
    CMK_ASSERT_OK(v2);
    KeyVersionState off = v1->versions[0];
    off.enabled = false;
    CMK_ASSERT_OK(c.UpdateKeyVersion("bank-kv", "cmk", off));
    RotationPolicyState policy;
    policy.rotate_after_create = "P1Y";
    policy.expiry_time = "P2Y";
    policy.notify_before_expiry = "P30D";
    CMK_ASSERT_OK(c.PutRotationPolicy("bank-kv", "cmk", policy));

    auto uami = c.PutIdentity(Identity("uami-bank"));
    CMK_ASSERT_OK(uami);
    CMK_ASSERT_OK(c.SeedStorageAccount(Account("pinned01"), {24, true}));
    CMK_ASSERT_OK(c.SeedStorageAccount(Account("auto01"), {24, false}));
    CMK_ASSERT_OK(c.SeedPrincipal(kForeignPrincipal));
    std::string pinned_principal =
        (*c.GetStorageAccount(kSub, kRg, "pinned01"))->system_principal_id;
    const std::string vault_id = VaultArmId(kSub, kRg, "bank-kv");
    const std::string key_id = KeyArmId(kSub, kRg, "bank-kv", "cmk");
    for (auto [who, scope] : {std::pair{uami->principal_id, key_id},
                              std::pair{pinned_principal, vault_id},
                              std::pair{kForeignPrincipal, vault_id}}) {
      RoleAssignmentState r;
      r.id = DeterministicGuid("role|" + who);
      r.scope = scope;
      r.role_definition_id = kRoleCryptoServiceEncryptionUser;
      r.principal_id = who;
      r.description = "managed-by=cmkctl name=" + who.substr(0, 8);
      CMK_ASSERT_OK(c.PutRoleAssignment(r));
    }
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = std::string("https://bank-kv.") + kServedSuffix;
    e.key_name = "cmk";
    e.key_version = v2->versions.back().version;
    CMK_ASSERT_OK(c.UpdateStorageEncryption(kSub, kRg, "pinned01", e));
    e.key_version.clear();
    e.user_assigned_identity = uami->id;
    CMK_ASSERT_OK(c.UpdateStorageEncryption(kSub, kRg, "auto01", e));
    CMK_ASSERT_OK(c.AdvanceClockBy("P10D"));
    KeyState newer = Key("bank-kv", "cmk");
    newer.expires = c.Now() + 500 * 86400;
    newer.tags = k.tags;
    CMK_ASSERT_OK(c.CreateKey(newer));
    CMK_ASSERT_OK(c.AdvanceClockBy("PT6H"));
  }

  std::unique_ptr<SandboxProvider> source_;
};

TEST_F(SnapshotTest, RestoredStateReadsBackTheSame) {
  LiveState live = ReadEstate(*source_);
  ASSERT_EQ(live.keys["bank-kv/cmk"].versions.size(), 3u);
  ASSERT_EQ(live.role_assignments.size(), 3u);
  CMK_ASSERT_OK(cloud_->RestoreSnapshot(live, source_->Now()));
  EXPECT_EQ(cloud_->Now(), source_->Now());

  SandboxProvider restored(std::move(cloud_));
  LiveState back = ReadEstate(restored);
  std::string want = Replace(LiveJson(live).dump(2), kServedSuffix, "vault.azure.net");
  EXPECT_EQ(LiveJson(back).dump(2), want);
}

TEST_F(SnapshotTest, TwoYearsPassTheSameOnTheRestoredSandbox) {
  CMK_ASSERT_OK(cloud_->RestoreSnapshot(ReadEstate(*source_), source_->Now()));
  SandboxCloud& source = source_->cloud();
  const int64_t snapshot_time = source.Now();
  int64_t source_seq = LastSeq(source), restored_seq = LastSeq(*cloud_);
  auto pending_source = source.ListPendingEvents();
  auto pending_restored = cloud_->ListPendingEvents();
  CMK_ASSERT_OK(pending_source);
  CMK_ASSERT_OK(pending_restored);
  ASSERT_EQ(pending_restored->size(), pending_source->size());
  for (size_t i = 0; i < pending_source->size(); ++i) {
    EXPECT_EQ((*pending_restored)[i].time, (*pending_source)[i].time)
        << (*pending_source)[i].object;
    EXPECT_EQ((*pending_restored)[i].kind, (*pending_source)[i].kind);
  }

  CMK_ASSERT_OK(source.AdvanceClockBy("P2Y"));
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P2Y"));
  std::vector<Line> want = Timeline(source, source_seq);
  std::vector<Line> got = Timeline(*cloud_, restored_seq);
  EXPECT_EQ(got, want);
  auto count = [&](const char* kind) {
    return std::count_if(want.begin(), want.end(), [&](const Line& l) { return l.kind == kind; });
  };
  EXPECT_GE(count("key.rotate"), 2);
  EXPECT_GE(count("storage.adopt"), 2);  // the pending one, then after the first rotation
  EXPECT_GE(count("key.expired"), 1);
  EXPECT_GE(count("key.notify"), 1);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(want[0].kind, "storage.adopt");  // 18 hours after the snapshot
  EXPECT_EQ(want[0].time, snapshot_time + 18 * 3600);

  auto key_source = source.GetKey("bank-kv", "cmk");
  auto key_restored = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(key_source);
  CMK_ASSERT_OK(key_restored);
  EXPECT_EQ((*key_restored)->versions.size(), (*key_source)->versions.size());
  auto incidents_source = source.ListIncidents();
  auto incidents_restored = cloud_->ListIncidents();
  EXPECT_EQ(incidents_restored->size(), incidents_source->size());
}

// Both sandboxes derive version ids from the same tenant and a counter; the
// restored one's counter starts again at 0 and reaches ids the source already
// gave out. A rotation must never replace a restored version.
TEST_F(SnapshotTest, NewVersionsNeverReplaceRestoredOnes) {
  LiveState live = ReadEstate(*source_);
  CMK_ASSERT_OK(cloud_->RestoreSnapshot(live, source_->Now()));
  const auto& before = live.keys["bank-kv/cmk"].versions;
  for (int i = 0; i < 4; ++i) CMK_ASSERT_OK(cloud_->RotateKey("bank-kv", "cmk"));
  auto key = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(key);
  const auto& after = (*key)->versions;
  ASSERT_EQ(after.size(), before.size() + 4);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i].version, before[i].version);
    EXPECT_EQ(after[i].created, before[i].created);
    EXPECT_EQ(after[i].enabled, before[i].enabled);
  }
}

TEST_F(SnapshotTest, RestoresOnlyIntoAnEmptySandbox) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("other-kv")));
  Status s = cloud_->RestoreSnapshot(ReadEstate(*source_), source_->Now());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  auto keys = cloud_->ListKeys("other-kv");
  CMK_ASSERT_OK(keys);
  EXPECT_TRUE(keys->empty());
}

TEST_F(SnapshotTest, RestoredKeysStillWrapAndUnwrap) {
  LiveState live = ReadEstate(*source_);
  CMK_ASSERT_OK(cloud_->RestoreSnapshot(live, source_->Now()));
  const std::string newest = live.keys["bank-kv/cmk"].versions.back().version;
  Bytes secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  auto wrapped = cloud_->WrapKey("bank-kv", "cmk", newest, "RSA-OAEP-256", secret);
  CMK_ASSERT_OK(wrapped);
  auto unwrapped = cloud_->UnwrapKey("bank-kv", "cmk", newest, "RSA-OAEP-256", *wrapped);
  CMK_ASSERT_OK(unwrapped);
  EXPECT_EQ(*unwrapped, secret);
  // The disabled version stays disabled.
  const std::string oldest = live.keys["bank-kv/cmk"].versions.front().version;
  EXPECT_FALSE(cloud_->WrapKey("bank-kv", "cmk", oldest, "RSA-OAEP-256", secret).ok());
}

}  // namespace
}  // namespace cmk
