// SandboxCloud's simulated clock: rotation policies, notifications, expiry,
// adoption by storage accounts on automatic version update, inaccessibility
// and recovery, the event log's order and filters. RSA-2048 only for the bank
// case (each rotation generates a key); EC elsewhere, which is fast.
#include <algorithm>

#include "base/duration.h"
#include "sandbox/sandbox_provider.h"
#include "sandbox_test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

int64_t Plus(int64_t t, const char* iso) { return AddDuration(t, *ParseIsoDuration(iso)); }

class SandboxClockTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_TRUE(cloud_->SetClock(kT0).ok());
    ASSERT_TRUE(cloud_->PutVault(Vault("bank-kv")).ok());
  }

  // A key created now (exp = now + `expiry` when given) with `policy`.
  KeyState MakeKey(const std::string& name, const std::string& kty,
                   const std::optional<std::string>& expiry, const RotationPolicyState& policy) {
    KeyState k = Key("bank-kv", name, kty, kty == "RSA" ? 2048 : 0);
    if (expiry) k.expires = Plus(cloud_->Now(), expiry->c_str());
    auto created = cloud_->CreateKey(k);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    if (policy.rotate_after_create || policy.rotate_before_expiry || policy.expiry_time ||
        policy.notify_before_expiry) {
      EXPECT_TRUE(cloud_->PutRotationPolicy("bank-kv", name, policy).ok());
    }
    return created.ok() ? *created : KeyState{};
  }

  // Seeds `account` with a system identity allowed to use `key`, bound to it
  // (pinned to `version` unless empty). Returns the principal.
  std::string Bind(const std::string& account, const std::string& key,
                   const std::string& version = "", int delay_hours = 24) {
    EXPECT_TRUE(cloud_->SeedStorageAccount(Account(account), {delay_hours, true}).ok());
    std::string principal = (*cloud_->GetStorageAccount(kSub, kRg, account))->system_principal_id;
    RoleAssignmentState r;
    r.id = DeterministicGuid("role|" + account);
    r.scope = KeyArmId(kSub, kRg, "bank-kv", key);
    r.role_definition_id = kRoleCryptoServiceEncryptionUser;
    r.principal_id = principal;
    EXPECT_TRUE(cloud_->PutRoleAssignment(r).ok());
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://bank-kv.vault.azure.net";
    e.key_name = key;
    e.key_version = version;
    auto bound = cloud_->UpdateStorageEncryption(kSub, kRg, account, e);
    EXPECT_TRUE(bound.ok()) << bound.status().ToString();
    return principal;
  }

  std::string InUse(const std::string& account) {
    auto a = cloud_->GetStorageAccount(kSub, kRg, account);
    EXPECT_TRUE(a.ok() && a->has_value());
    const std::string& kid = (*a)->encryption.current_versioned_key_id;
    return kid.substr(kid.rfind('/') + 1);
  }

  std::optional<std::string> Cause(const std::string& account) {
    auto c = cloud_->StorageInaccessibleCause(kSub, kRg, account);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : std::nullopt;
  }

  std::vector<SandboxEvent> Events(const std::string& kind, const std::string& object = "") {
    EventFilter filter;
    filter.kinds = {kind};
    auto events = cloud_->ListEvents(filter);
    EXPECT_TRUE(events.ok());
    std::vector<SandboxEvent> out;
    for (const auto& e : *events)
      if (object.empty() || e.object == object) out.push_back(e);
    return out;
  }

  static std::vector<int64_t> Times(const std::vector<SandboxEvent>& events) {
    std::vector<int64_t> out;
    for (const auto& e : events) out.push_back(e.time);
    return out;
  }

  static inline const int64_t kT0 = At("2027-01-01T00:00:00Z");
};

RotationPolicyState BankPolicy() {
  RotationPolicyState p;
  p.rotate_after_create = "P1Y";
  p.notify_before_expiry = "P30D";
  p.expiry_time = "P2Y";
  return p;
}

TEST_F(SandboxClockTest, BankYearlyRotationOverThreeYears) {
  KeyState key = MakeKey("cmk", "RSA", "P2Y", BankPolicy());
  const std::string v0 = key.versions[0].version;
  Bind("bankdata01", "cmk");
  Bind("bankpinned01", "cmk", v0);

  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P3Y"));
  EXPECT_EQ(cloud_->Now(), At("2030-01-01T00:00:00Z"));

  // Exactly three rotations, a year apart, each version expiring two years on.
  auto after = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(after);
  const auto& versions = (*after)->versions;
  ASSERT_EQ(versions.size(), 4u);
  const char* years[] = {"2027", "2028", "2029", "2030"};
  for (size_t i = 0; i < versions.size(); ++i) {
    int64_t created = At((std::string(years[i]) + "-01-01T00:00:00Z").c_str());
    EXPECT_EQ(versions[i].created, created) << i;
    EXPECT_EQ(versions[i].expires, Plus(created, "P2Y")) << i;
    EXPECT_EQ(versions[i].key_ops, key.key_ops) << i;
    EXPECT_EQ(versions[i].tags, key.tags) << i;
  }
  auto rotations = Events("key.rotate", "key/bank-kv/cmk");
  EXPECT_EQ(Times(rotations), (std::vector<int64_t>{versions[1].created, versions[2].created,
                                                    versions[3].created}));
  EXPECT_NE(rotations[0].message.find("rotated by policy"), std::string::npos);

  // The auto-bound account adopted each new version 24 h after it appeared;
  // the third one is still inside its adoption window.
  auto adoptions = Events("storage.adopt", "storage/bankdata01");
  EXPECT_EQ(Times(adoptions), (std::vector<int64_t>{versions[1].created + 86400,
                                                    versions[2].created + 86400}));
  EXPECT_EQ(InUse("bankdata01"), versions[2].version);
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("PT24H"));
  EXPECT_EQ(InUse("bankdata01"), versions[3].version);
  auto account = cloud_->GetStorageAccount(kSub, kRg, "bankdata01");
  EXPECT_EQ((*account)->encryption.last_key_rotation_timestamp, "2030-01-02T00:00:00Z");

  // Notified 30 days before each expiry that fell in the interval; expired on time.
  EXPECT_EQ(Times(Events("key.notify")),
            (std::vector<int64_t>{*versions[0].expires - 30 * 86400,
                                  *versions[1].expires - 30 * 86400}));
  EXPECT_EQ(Times(Events("key.expired")),
            (std::vector<int64_t>{*versions[0].expires, *versions[1].expires}));

  // The pinned account never moved, and its version's expiry cut it off.
  EXPECT_EQ(InUse("bankpinned01"), v0);
  auto incidents = cloud_->ListIncidents();
  CMK_ASSERT_OK(incidents);
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ((*incidents)[0].account, "bankpinned01");
  EXPECT_EQ((*incidents)[0].since, *versions[0].expires);
  EXPECT_FALSE((*incidents)[0].until.has_value());
  EXPECT_EQ((*incidents)[0].cause, "key version " + v0 +
                                       " of key 'cmk' in vault 'bank-kv' expired at "
                                       "2029-01-01T00:00:00Z");
  EXPECT_EQ(Cause("bankpinned01"), (*incidents)[0].cause);
  EXPECT_FALSE(Cause("bankdata01").has_value());

  // The log is in time order.
  auto all = cloud_->ListEvents();
  CMK_ASSERT_OK(all);
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                             [](const SandboxEvent& a, const SandboxEvent& b) {
                               return a.time < b.time;
                             }));
}


TEST_F(SandboxClockTest, DisablingThePinnedVersionCutsOffAtOnceAndReEnablingRecovers) {
  KeyState key = MakeKey("cmk", "RSA", std::nullopt, {});
  KeyVersionState v0 = key.versions[0];
  Bind("pharmaexports01", "cmk", v0.version);
  CMK_ASSERT_OK(cloud_->RotateKey("bank-kv", "cmk"));
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));

  v0.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", v0));
  const std::string cause =
      "key version " + v0.version + " of key 'cmk' in vault 'bank-kv' is disabled";
  // Recorded by the disable itself (ListEvents does not re-evaluate).
  auto cut = Events("storage.inaccessible", "storage/pharmaexports01");
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].message, cause);
  EXPECT_EQ(cut[0].time, kT0 + 3600);
  EXPECT_EQ(Cause("pharmaexports01"), cause);

  // Reads and further time do not repeat the event.
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  EXPECT_EQ(Cause("pharmaexports01"), cause);
  EXPECT_EQ(Events("storage.inaccessible").size(), 1u);

  v0.enabled = true;
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", v0));
  EXPECT_FALSE(Cause("pharmaexports01").has_value());
  ASSERT_EQ(Events("storage.recovered", "storage/pharmaexports01").size(), 1u);
  auto incidents = cloud_->ListIncidents();
  CMK_ASSERT_OK(incidents);
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ((*incidents)[0].cause, cause);
  EXPECT_EQ((*incidents)[0].since, kT0 + 3600);
  EXPECT_EQ((*incidents)[0].until, kT0 + 7200);
  EXPECT_EQ(InUse("pharmaexports01"), v0.version);  // pinned: never moves
}

TEST_F(SandboxClockTest, ExpiryOfTheVersionInUseCutsOffAtExp) {
  KeyState key = MakeKey("cmk", "RSA", "P30D", {});
  Bind("bankdata01", "cmk");
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P60D"));
  auto incidents = cloud_->ListIncidents();
  CMK_ASSERT_OK(incidents);
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ((*incidents)[0].since, *key.expires);
  EXPECT_NE((*incidents)[0].cause.find("expired at " + FormatRfc3339(*key.expires)),
            std::string::npos);
  EXPECT_EQ(Times(Events("key.expired")), std::vector<int64_t>{*key.expires});
  EXPECT_TRUE(Events("key.notify").empty());  // no policy, no Notify action

  // A later expiry date brings it back.
  KeyVersionState v = key.versions[0];
  v.expires = Plus(cloud_->Now(), "P1Y");
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", v));
  EXPECT_FALSE(Cause("bankdata01").has_value());
}

TEST_F(SandboxClockTest, LosingTheRoleCutsOffAndRestoringItRecovers) {
  MakeKey("cmk", "RSA", std::nullopt, {});
  std::string principal = Bind("bankdata01", "cmk");
  std::string role_id = DeterministicGuid("role|bankdata01");
  auto role = cloud_->GetRoleAssignment(role_id);
  CMK_ASSERT_OK(role);
  ASSERT_TRUE(role->has_value());

  CMK_ASSERT_OK(cloud_->DeleteRoleAssignment(role_id));
  EXPECT_EQ(Events("storage.inaccessible").size(), 1u);  // at once, not on the next read
  auto cause = Cause("bankdata01");
  ASSERT_TRUE(cause.has_value());
  EXPECT_EQ(*cause, "identity " + principal +
                        " is no longer permitted to use key 'cmk' in vault 'bank-kv' (no role "
                        "grants get/wrapKey/unwrapKey)");

  CMK_ASSERT_OK(cloud_->PutRoleAssignment(**role));
  EXPECT_FALSE(Cause("bankdata01").has_value());
  EXPECT_EQ(Events("storage.recovered").size(), 1u);
}

TEST_F(SandboxClockTest, DeletingTheKeyOrVaultCutsOffUntilRecovered) {
  MakeKey("cmk", "RSA", std::nullopt, {});
  Bind("bankdata01", "cmk");
  auto role = cloud_->GetRoleAssignment(DeterministicGuid("role|bankdata01"));
  CMK_ASSERT_OK(role);
  ASSERT_TRUE(role->has_value());
  CMK_ASSERT_OK(cloud_->DeleteKey("bank-kv", "cmk"));
  EXPECT_EQ(Events("storage.inaccessible").size(), 1u);
  EXPECT_EQ(Cause("bankdata01"), "key 'cmk' in vault 'bank-kv' is deleted");
  CMK_ASSERT_OK(cloud_->RecoverKey("bank-kv", "cmk"));
  EXPECT_FALSE(Cause("bankdata01").has_value());

  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));
  EXPECT_EQ(Events("storage.inaccessible").size(), 2u);
  EXPECT_EQ(Cause("bankdata01"), "vault 'bank-kv' is deleted");
  // As in Azure, the vault's role assignments went with it and recovering
  // the vault does not bring them back: still cut off, for another cause,
  // until the grant is made again.
  EXPECT_FALSE(cloud_->GetRoleAssignment((*role)->id)->has_value());
  CMK_ASSERT_OK(cloud_->RecoverVault("bank-kv"));
  ASSERT_TRUE(Cause("bankdata01").has_value());
  EXPECT_NE(Cause("bankdata01")->find("no longer permitted"), std::string::npos) << *Cause("bankdata01");
  CMK_ASSERT_OK(cloud_->PutRoleAssignment(**role));
  EXPECT_FALSE(Cause("bankdata01").has_value());
  EXPECT_EQ(Events("storage.recovered").size(), 2u);
}

TEST_F(SandboxClockTest, SoftDeletedVaultIsPurgedAtItsScheduledDate) {
  CMK_ASSERT_OK(cloud_->DeleteVault(kSub, kRg, "bank-kv"));  // retention 7 days
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P10D"));
  auto purges = Events("vault.purge");
  EXPECT_EQ(Times(purges), std::vector<int64_t>{kT0 + 7 * 86400});
  EXPECT_TRUE(cloud_->ListDeletedVaults(kSub)->empty());
}

TEST_F(SandboxClockTest, RotateBeforeExpiry) {
  RotationPolicyState p;
  p.rotate_before_expiry = "P30D";
  p.expiry_time = "P90D";
  MakeKey("cmk", "RSA", "P90D", p);
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P100D"));
  auto key = cloud_->GetKey("bank-kv", "cmk");
  CMK_ASSERT_OK(key);
  ASSERT_EQ((*key)->versions.size(), 2u);
  EXPECT_EQ((*key)->versions[1].created, kT0 + 60 * 86400);
  EXPECT_EQ((*key)->versions[1].expires, kT0 + 150 * 86400);
  EXPECT_EQ(Times(Events("key.rotate")), std::vector<int64_t>{kT0 + 60 * 86400});

  auto pending = cloud_->ListPendingEvents();
  CMK_ASSERT_OK(pending);
  auto next = std::find_if(pending->begin(), pending->end(),
                           [](const PendingEvent& e) { return e.kind == "key.rotate"; });
  ASSERT_NE(next, pending->end());
  EXPECT_EQ(next->time, kT0 + 120 * 86400);
  EXPECT_EQ(next->object, "key/bank-kv/cmk");
}

TEST_F(SandboxClockTest, AdoptionWaitsForTheAccountsDelay) {
  MakeKey("cmk", "RSA", std::nullopt, {});
  Bind("bankdata01", "cmk", "", 48);
  std::string v0 = InUse("bankdata01");
  auto rotated = cloud_->RotateKey("bank-kv", "cmk");
  CMK_ASSERT_OK(rotated);
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("PT47H"));
  EXPECT_EQ(InUse("bankdata01"), v0);
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("PT1H"));
  EXPECT_EQ(InUse("bankdata01"), rotated->versions[1].version);
  EXPECT_EQ(Times(Events("storage.adopt")), std::vector<int64_t>{kT0 + 48 * 3600});

  // A disabled newest version is not adopted.
  CMK_ASSERT_OK(cloud_->RotateKey("bank-kv", "cmk"));
  auto key = cloud_->GetKey("bank-kv", "cmk");
  KeyVersionState newest = (*key)->versions.back();
  newest.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", newest));
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P7D"));
  EXPECT_EQ(InUse("bankdata01"), rotated->versions[1].version);
}

TEST_F(SandboxClockTest, TimeDoesNotGoBack) {
  Status s = cloud_->SetClock(kT0 - 1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("cannot go back"), std::string::npos);
  EXPECT_EQ(cloud_->Now(), kT0);
  CMK_ASSERT_OK(cloud_->SetClock(kT0));  // standing still is fine
  CMK_ASSERT_OK(cloud_->SetClock(kT0 + 60));
  EXPECT_EQ(cloud_->AdvanceClockBy("P1X").code(), StatusCode::kInvalidArgument);
  // Back on real time, a new simulation may start anywhere.
  CMK_ASSERT_OK(cloud_->UseRealClock());
  CMK_ASSERT_OK(cloud_->SetClock(1'700'000'000));
  EXPECT_EQ(cloud_->Now(), 1'700'000'000);
  auto clock = Events("sandbox.clock");
  ASSERT_FALSE(clock.empty());
  EXPECT_EQ(clock.back().object, "clock");
}

TEST_F(SandboxClockTest, SameTimeEventsAreOrderedByObjectAndReproducible) {
  RotationPolicyState p;
  p.rotate_after_create = "P1Y";
  auto run = [&](SandboxCloud& cloud) {
    std::vector<std::string> lines;
    for (const char* name : {"beta", "alpha"}) {
      KeyState k = Key("bank-kv", name, "RSA", 2048);
      EXPECT_TRUE(cloud.CreateKey(k).ok());
      EXPECT_TRUE(cloud.PutRotationPolicy("bank-kv", name, p).ok());
    }
    EXPECT_TRUE(cloud.AdvanceClockBy("P1Y").ok());
    EventFilter f;
    f.kinds = {"key.rotate"};
    auto events = cloud.ListEvents(f);
    EXPECT_TRUE(events.ok());
    for (const auto& e : *events)
      lines.push_back(std::to_string(e.time) + " " + e.object + " " + e.message);
    return lines;
  };
  std::vector<std::string> first = run(*cloud_);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0].find("key/bank-kv/alpha"), std::string::npos);
  EXPECT_NE(first[1].find("key/bank-kv/beta"), std::string::npos);

  auto other = SandboxCloud::Open(root_ + "/other");
  CMK_ASSERT_OK(other);
  CMK_ASSERT_OK((*other)->SetClock(kT0));
  CMK_ASSERT_OK((*other)->PutVault(Vault("bank-kv")));
  EXPECT_EQ(run(**other), first);
}

TEST_F(SandboxClockTest, EventFilters) {
  MakeKey("cmk", "RSA", std::nullopt, {});
  auto all = cloud_->ListEvents();
  CMK_ASSERT_OK(all);
  int64_t last = all->back().seq;
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  CMK_ASSERT_OK(cloud_->RotateKey("bank-kv", "cmk"));

  EventFilter since;
  since.since = kT0 + 3600;
  auto later = cloud_->ListEvents(since);
  CMK_ASSERT_OK(later);
  ASSERT_EQ(later->size(), 2u);
  EXPECT_EQ((*later)[0].kind, "sandbox.clock");
  EXPECT_EQ((*later)[1].kind, "key.rotate");

  EventFilter fresh;
  fresh.after_seq = last;
  fresh.kinds = {"key"};  // a family
  auto keys = cloud_->ListEvents(fresh);
  CMK_ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kind, "key.rotate");

  EventFilter none;
  none.kinds = {"ke"};  // not a family boundary
  EXPECT_TRUE(cloud_->ListEvents(none)->empty());
}

TEST_F(SandboxClockTest, LongAdvanceJumpsFromEventToEvent) {
  // Three years, several keys and accounts: a handful of events, not hours.
  RotationPolicyState p;
  p.rotate_after_create = "P6M";
  p.expiry_time = "P1Y";
  for (const char* name : {"k1", "k2", "k3"}) MakeKey(name, "RSA", "P1Y", p);
  Bind("acct1", "k1");
  Bind("acct2", "k2");
  Bind("acct3", "k3");
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P3Y"));
  EXPECT_EQ(Events("key.rotate").size(), 18u);
  // The last rotation lands on the final instant: its adoption is a day away.
  EXPECT_EQ(Events("storage.adopt").size(), 15u);
  auto incidents = cloud_->ListIncidents();
  CMK_ASSERT_OK(incidents);
  EXPECT_TRUE(incidents->empty());
  auto clock = Events("sandbox.clock");
  EXPECT_NE(clock.back().message.find("time-driven events"), std::string::npos);
}

TEST_F(SandboxClockTest, InaccessibilitySurvivesReopen) {
  KeyState key = MakeKey("cmk", "RSA", std::nullopt, {});
  Bind("bankdata01", "cmk", key.versions[0].version);
  KeyState disable = key;
  disable.enabled = false;
  CMK_ASSERT_OK(cloud_->UpdateKey(disable));
  ASSERT_TRUE(Cause("bankdata01").has_value());
  Reopen();
  EXPECT_TRUE(Cause("bankdata01").has_value());
  EXPECT_EQ(cloud_->ListIncidents()->size(), 1u);
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {

// What a hook's cmk.sleep waits on: a simulated clock advances instead of
// blocking, fractions adding up across waits; the real clock is left alone.
TEST_F(SandboxTest, SandboxClockSleepAdvancesASimulatedClock) {
  CMK_ASSERT_OK(cloud_->SetClock(1'800'000'000));
  SandboxClock clock(*cloud_);
  EXPECT_EQ(clock.Now(), 1'800'000'000);
  clock.Sleep(86400);
  EXPECT_EQ(clock.Now(), 1'800'086'400);
  clock.Sleep(0.6);
  EXPECT_EQ(clock.Now(), 1'800'086'400);  // not a whole second yet
  clock.Sleep(0.6);
  EXPECT_EQ(clock.Now(), 1'800'086'401);
  clock.Sleep(-5);
  EXPECT_EQ(cloud_->Now(), 1'800'086'401);

  CMK_ASSERT_OK(cloud_->UseRealClock());
  int64_t before = clock.Now();
  clock.Sleep(0.01);  // blocks for real; the store's clock is not moved
  auto simulated = cloud_->ClockIsSimulated();
  CMK_ASSERT_OK(simulated);
  EXPECT_FALSE(*simulated);
  EXPECT_GE(clock.Now(), before);
}

}  // namespace
}  // namespace cmk
