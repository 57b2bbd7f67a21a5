// What keeps the sandbox fast at estate scale, and the proof that it changes
// no answer: the store's indexes and change notices, the Dependents
// bookkeeping, and SandboxCloud's incremental access and event evaluation
// checked against a from-scratch evaluation after every step of a random
// (seeded, so reproducible) sequence of operations.
#include <filesystem>
#include <random>

#include "base/duration.h"
#include "model/arm_id.h"
#include "sandbox/dependents.h"
#include "sandbox/sandbox_store.h"
#include "sandbox_test_util.h"

namespace cmk {
namespace {


// ---- Dependents -------------------------------------------------------------

TEST(DependentsTest, EverythingIsStaleUntilFirstComputed) {
  Dependents d({"account:"});
  d.Touch("vault:kv");
  Dependents::Stale s = d.Take(100);
  EXPECT_TRUE(s.all);
  EXPECT_TRUE(d.Take(100).subjects.empty());
  EXPECT_FALSE(d.Take(100).all);
}

TEST(DependentsTest, TouchingATopicMakesItsDependentsAndItsOwnSubjectStale) {
  Dependents d({"account:"});
  ASSERT_TRUE(d.Take(0).all);
  d.Record("account:a", {"vault:kv", "principal:p1"}, std::nullopt);
  d.Record("account:b", {"vault:kv", "principal:p2"}, std::nullopt);
  d.Touch("principal:p2");
  EXPECT_EQ(d.Take(0).subjects, std::vector<std::string>{"account:b"});
  d.Touch("vault:kv");
  EXPECT_EQ(d.Take(0).subjects, (std::vector<std::string>{"account:a", "account:b"}));
  d.Touch("account:new");    // a row of the subjects' own kind: a new subject
  d.Touch("identity:none");  // nobody depends on it
  EXPECT_EQ(d.Take(0).subjects, std::vector<std::string>{"account:new"});
}

TEST(DependentsTest, RecordingAgainReplacesTheTopics) {
  Dependents d({"account:"});
  ASSERT_TRUE(d.Take(0).all);
  d.Record("account:a", {"vault:old"}, std::nullopt);
  d.Record("account:a", {"vault:new"}, std::nullopt);
  d.Touch("vault:old");
  EXPECT_TRUE(d.Take(0).subjects.empty());
  d.Touch("vault:new");
  EXPECT_EQ(d.Take(0).subjects, std::vector<std::string>{"account:a"});
  d.Forget("account:a");
  d.Touch("vault:new");
  EXPECT_TRUE(d.Take(0).subjects.empty());
  EXPECT_EQ(d.size(), 0u);
}

TEST(DependentsTest, RecheckTimesAndAClockGoingBack) {
  Dependents d({"key:"});
  ASSERT_TRUE(d.Take(0).all);
  d.Record("key:kv/a", {}, 50);
  d.Record("key:kv/b", {}, 80);
  EXPECT_TRUE(d.Take(49).subjects.empty());
  EXPECT_EQ(d.Take(50).subjects, std::vector<std::string>{"key:kv/a"});
  EXPECT_TRUE(d.Take(60).subjects.empty());  // a recheck fires once
  EXPECT_EQ(d.Take(200).subjects, std::vector<std::string>{"key:kv/b"});
  EXPECT_TRUE(d.Take(100).all);  // time went back: nothing computed holds
}

TEST(DependentsTest, ResetMakesEverythingStale) {
  Dependents d({"account:"});
  ASSERT_TRUE(d.Take(0).all);
  d.Record("account:a", {"vault:kv"}, 10);
  d.Reset();
  d.Touch("vault:kv");
  EXPECT_TRUE(d.Take(0).all);
  EXPECT_EQ(d.size(), 0u);
}

// ---- SandboxStore -----------------------------------------------------------

struct Notice {
  StoreTable table;
  std::string key;
  std::optional<Json> before, after;
};

class Recorder : public StoreObserver {
 public:
  void RowChanged(StoreTable table, const std::string& key, const Json* before,
                  const Json* after) override {
    notices.push_back({table, key, before ? std::optional<Json>(*before) : std::nullopt,
                       after ? std::optional<Json>(*after) : std::nullopt});
  }
  void Reset() override { ++resets; }
  std::vector<Notice> notices;
  int resets = 0;
};

class StoreTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    auto store = SandboxStore::Open(root_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    store_->SetObserver(&recorder_);
  }
  void TearDown() override {
    store_.reset();
    SandboxTest::TearDown();
  }
  std::vector<std::string> Keys(const Result<std::vector<StoredDoc>>& rows) {
    std::vector<std::string> out;
    if (!rows.ok()) return {"error: " + rows.status().ToString()};
    for (const auto& r : *rows) out.push_back(r.key);
    return out;
  }
  Status Put(const std::string& key, const std::string& principal) {
    auto txn = store_->Begin();
    if (!txn.ok()) return txn.status();
    CMK_RETURN_IF_ERROR(
        store_->Put(StoreTable::kRoleAssignments, key, Json{{"principalId", principal}}));
    return txn->Commit();
  }

  Recorder recorder_;
  std::unique_ptr<SandboxStore> store_;
};

TEST_F(StoreTest, FindByFollowsEveryWriteAndIgnoresCase) {
  CMK_ASSERT_OK(Put("r1", "AAAA"));
  CMK_ASSERT_OK(Put("r2", "bbbb"));
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "aaaa")),
            std::vector<std::string>{"r1"});  // the index is built here
  CMK_ASSERT_OK(Put("r3", "aaaa"));
  CMK_ASSERT_OK(Put("r2", "AaAa"));  // an update moves r2 to another value, keeping its place
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "AAAA")),
            (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_TRUE(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "bbbb")).empty());
  {
    auto txn = store_->Begin();
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK(store_->Delete(StoreTable::kRoleAssignments, "r1"));
    CMK_ASSERT_OK(store_->DeletePrefix(StoreTable::kRoleAssignments, "r3"));
    CMK_ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "aaaa")),
            std::vector<std::string>{"r2"});
  EXPECT_EQ(Keys(store_->GetMany(StoreTable::kRoleAssignments, {"r3", "r2", "nope"})),
            std::vector<std::string>{"r2"});
}

TEST_F(StoreTest, FindByPrefixIsARangeOfTheSameIndex) {
  auto txn = store_->Begin();
  CMK_ASSERT_OK(txn);
  const std::string kv1 = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1";
  int n = 0;
  for (const std::string& scope : std::vector<std::string>{kv1 + "/keys/b", kv1 + "0", "/subscriptions/other", kv1,
                                   kv1 + "/keys/a"})
    CMK_ASSERT_OK(store_->Put(StoreTable::kRoleAssignments, "r" + std::to_string(++n),
                              Json{{"scope", scope}}));
  CMK_ASSERT_OK(txn->Commit());
  // Insertion order, case ignored; kv10 shares the text prefix (callers
  // apply the segment rule), the other subscription does not.
  EXPECT_EQ(Keys(store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", "/SUBSCRIPTIONS/s/resourcegroups/RG/providers/microsoft.keyvault/vaults/kv1")),
            (std::vector<std::string>{"r1", "r2", "r4", "r5"}));
  EXPECT_EQ(Keys(store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", kv1 + "/KEYS/")),
            (std::vector<std::string>{"r1", "r5"}));
  EXPECT_EQ(Keys(store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", "/nowhere")),
            std::vector<std::string>{});
  CMK_ASSERT_OK(Put("r1", "p"));  // r1 loses its scope member
  EXPECT_EQ(Keys(store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", kv1 + "/keys")),
            std::vector<std::string>{"r5"});
}

TEST_F(StoreTest, ObserverHearsBeforeAndAfterOfEveryRow) {
  CMK_ASSERT_OK(Put("r1", "p1"));
  CMK_ASSERT_OK(Put("r1", "p2"));
  {
    auto txn = store_->Begin();
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK(store_->DeletePrefix(StoreTable::kRoleAssignments, "r"));
    CMK_ASSERT_OK(txn->Commit());
  }
  ASSERT_EQ(recorder_.notices.size(), 3u);
  EXPECT_FALSE(recorder_.notices[0].before);
  EXPECT_EQ((*recorder_.notices[0].after)["principalId"], "p1");
  EXPECT_EQ((*recorder_.notices[1].before)["principalId"], "p1");
  EXPECT_EQ((*recorder_.notices[1].after)["principalId"], "p2");
  EXPECT_EQ((*recorder_.notices[2].before)["principalId"], "p2");
  EXPECT_FALSE(recorder_.notices[2].after);
  EXPECT_EQ(recorder_.resets, 0);
}

TEST_F(StoreTest, RollbackOfWritesResetsAndRestoresReadOnlyRollbackDoesNot) {
  CMK_ASSERT_OK(Put("r1", "p1"));
  {
    auto txn = store_->Begin();  // only reads, then rolls back
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK(store_->Get(StoreTable::kRoleAssignments, "r1"));
  }
  EXPECT_EQ(recorder_.resets, 0);
  {
    auto txn = store_->Begin();
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK(store_->Put(StoreTable::kRoleAssignments, "r1", Json{{"principalId", "p9"}}));
  }  // rolled back
  EXPECT_EQ(recorder_.resets, 1);
  auto doc = store_->Get(StoreTable::kRoleAssignments, "r1");
  CMK_ASSERT_OK(doc);
  EXPECT_EQ((**doc)["principalId"], "p1");
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p9")),
            std::vector<std::string>{});
}

TEST_F(StoreTest, AnotherProcessesCommitIsSeen) {
  CMK_ASSERT_OK(Put("r1", "p1"));
  ASSERT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p1")),
            std::vector<std::string>{"r1"});
  auto other = SandboxStore::Open(root_ + "/store");
  CMK_ASSERT_OK(other);
  {
    auto txn = (*other)->Begin();
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK((*other)->Put(StoreTable::kRoleAssignments, "r1", Json{{"principalId", "p2"}}));
    CMK_ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p2")),
            std::vector<std::string>{"r1"});
  EXPECT_GE(recorder_.resets, 1);
}

// Another connection's writes reach this one's cache row by row (the
// `changes` notes): updated rows keep their place, new ones come last,
// deleted ones go, indexes and meta follow; what the observer derived is
// forgotten (Reset).
TEST_F(StoreTest, AnotherConnectionsWritesAreFollowedRowByRow) {
  CMK_ASSERT_OK(Put("r1", "p1"));
  CMK_ASSERT_OK(Put("r2", "p2"));
  CMK_ASSERT_OK(Put("r3", "p3"));
  ASSERT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p2")),
            std::vector<std::string>{"r2"});
  auto meta = store_->GetMeta("m");
  CMK_ASSERT_OK(meta);
  ASSERT_FALSE(meta->has_value());
  const int resets = recorder_.resets;
  auto other = SandboxStore::Open(root_ + "/store");
  CMK_ASSERT_OK(other);
  {
    auto txn = (*other)->Begin();
    CMK_ASSERT_OK(txn);
    CMK_ASSERT_OK((*other)->Put(StoreTable::kRoleAssignments, "r1", Json{{"principalId", "p9"}}));
    CMK_ASSERT_OK((*other)->Delete(StoreTable::kRoleAssignments, "r2"));
    CMK_ASSERT_OK((*other)->Put(StoreTable::kRoleAssignments, "r0", Json{{"principalId", "p9"}}));
    CMK_ASSERT_OK((*other)->SetMeta("m", "1"));
    CMK_ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(Keys(store_->List(StoreTable::kRoleAssignments)),
            (std::vector<std::string>{"r1", "r3", "r0"}));
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p9")),
            (std::vector<std::string>{"r1", "r0"}));
  EXPECT_TRUE(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p2")).empty());
  EXPECT_TRUE(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p1")).empty());
  meta = store_->GetMeta("m");
  CMK_ASSERT_OK(meta);
  EXPECT_EQ(meta->value_or(""), "1");
  EXPECT_GT(recorder_.resets, resets);
  // This connection's own writes after that are not mistaken for news.
  CMK_ASSERT_OK(Put("r3", "p4"));
  EXPECT_EQ(Keys(store_->List(StoreTable::kRoleAssignments)),
            (std::vector<std::string>{"r1", "r3", "r0"}));
}

// A connection further behind than the notes kept reads everything anew,
// and is as right as ever.
TEST_F(StoreTest, AConnectionBehindThePrunedNotesReadsEverythingAnew) {
  CMK_ASSERT_OK(Put("r1", "p1"));
  ASSERT_EQ(Keys(store_->List(StoreTable::kRoleAssignments)), std::vector<std::string>{"r1"});
  auto other = SandboxStore::Open(root_ + "/store");
  CMK_ASSERT_OK(other);
  constexpr int kBatches = 30, kPerBatch = 1000;  // more than the 20,000 notes kept
  for (int b = 0; b < kBatches; ++b) {
    auto txn = (*other)->Begin();
    CMK_ASSERT_OK(txn);
    // The first batch's rows are noted only in notes that get pruned.
    for (int i = 0; i < kPerBatch; ++i)
      CMK_ASSERT_OK((*other)->Put(StoreTable::kRoleAssignments,
                                  (b == 0 ? "e" : "x") + std::to_string(i),
                                  Json{{"principalId", "b" + std::to_string(b)}}));
    if (b == kBatches - 1)
      CMK_ASSERT_OK((*other)->Put(StoreTable::kRoleAssignments, "r1", Json{{"principalId", "p2"}}));
    CMK_ASSERT_OK(txn->Commit());
  }
  auto rows = store_->List(StoreTable::kRoleAssignments);
  CMK_ASSERT_OK(rows);
  EXPECT_EQ(rows->size(), static_cast<size_t>(2 * kPerBatch + 1));
  EXPECT_EQ(Keys(store_->FindBy(StoreTable::kRoleAssignments, "principalId", "p2")),
            std::vector<std::string>{"r1"});
  EXPECT_EQ(store_->FindBy(StoreTable::kRoleAssignments, "principalId",
                           "b" + std::to_string(kBatches - 1))->size(),
            static_cast<size_t>(kPerBatch));
}

// ---- SandboxCloud: incremental equals from scratch --------------------------

// Everything the sandbox derives, as text: pending events, each account's
// cause, and the incident history.
std::string Derived(SandboxCloud& cloud, const std::vector<std::string>& accounts) {
  std::string out;
  auto pending = cloud.ListPendingEvents();
  if (!pending.ok()) return "pending: " + pending.status().ToString();
  for (const auto& e : *pending)
    out += "pending " + std::to_string(e.time) + " " + e.kind + " " + e.object + " " + e.detail +
           "\n";
  for (const auto& a : accounts) {
    auto cause = cloud.StorageInaccessibleCause(kSub, kRg, a);
    out += "cause " + a + ": " + (cause.ok() ? cause->value_or("-") : cause.status().ToString()) +
           "\n";
  }
  auto incidents = cloud.ListIncidents();
  if (!incidents.ok()) return out + "incidents: " + incidents.status().ToString();
  for (const auto& i : *incidents)
    out += "incident " + i.account + " " + std::to_string(i.since) + ".." +
           (i.until ? std::to_string(*i.until) : "") + " " + i.cause + "\n";
  return out;
}

class IncrementalTest : public SandboxTest {
 protected:
  static constexpr int kVaults = 2, kKeysPerVault = 2, kAccounts = 5;

  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_TRUE(cloud_->SetClock(At("2027-01-01T00:00:00Z")).ok());
    RotationPolicyState policy;
    policy.rotate_after_create = "P60D";
    policy.notify_before_expiry = "P10D";
    policy.expiry_time = "P90D";
    for (int v = 0; v < kVaults; ++v) {
      VaultState vault = Vault(VaultName(v));
      vault.rbac_authorization = true;
      CMK_ASSERT_OK(cloud_->PutVault(vault));
      for (int k = 0; k < kKeysPerVault; ++k) {
        KeyState key = Key(VaultName(v), KeyName(k), "RSA", 2048);
        key.expires = cloud_->Now() + 80 * 86400;
        CMK_ASSERT_OK(cloud_->CreateKey(key));
        if (k == 0) CMK_ASSERT_OK(cloud_->PutRotationPolicy(VaultName(v), KeyName(k), policy));
      }
    }
    CMK_ASSERT_OK(cloud_->PutIdentity(Identity("uami")));
    for (int a = 0; a < kAccounts; ++a) {
      accounts_.push_back("st" + std::to_string(a));
      CMK_ASSERT_OK(cloud_->SeedStorageAccount(Account(accounts_.back()), {12 + a, true}));
      CMK_ASSERT_OK(Grant(a));
      CMK_ASSERT_OK(Bind(a, /*pinned=*/a % 3 == 2));
    }
  }

  static std::string VaultName(int v) { return "kv" + std::to_string(v); }
  static std::string KeyName(int k) { return "k" + std::to_string(k); }
  // Account a uses vault a%2, key a%2 (so some accounts share a key), and
  // the user-assigned identity when a is 1.
  static int VaultOf(int a) { return a % kVaults; }
  static int KeyOf(int a) { return (a / kVaults) % kKeysPerVault; }

  std::string Principal(int a) {
    if (a == 1) return (*cloud_->GetIdentity(kSub, kRg, "uami"))->principal_id;
    return (*cloud_->GetStorageAccount(kSub, kRg, accounts_[a]))->system_principal_id;
  }
  std::string RoleId(int a) { return DeterministicGuid("role|" + accounts_[a]); }
  Status Grant(int a) {
    RoleAssignmentState r;
    r.id = RoleId(a);
    r.scope = KeyArmId(kSub, kRg, VaultName(VaultOf(a)), KeyName(KeyOf(a)));
    r.role_definition_id = kRoleCryptoServiceEncryptionUser;
    r.principal_id = Principal(a);
    return cloud_->PutRoleAssignment(r).status();
  }
  Status Bind(int a, bool pinned) {
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://" + VaultName(VaultOf(a)) + ".vault.azure.net";
    e.key_name = KeyName(KeyOf(a));
    if (a == 1) e.user_assigned_identity = IdentityArmId(kSub, kRg, "uami");
    if (pinned) {
      auto key = cloud_->GetKey(VaultName(VaultOf(a)), KeyName(KeyOf(a)));
      if (!key.ok() || !key->has_value() || (*key)->versions.empty())
        return NotFound("no version to pin");
      e.key_version = (*key)->versions.back().version;
    }
    return cloud_->UpdateStorageEncryption(kSub, kRg, accounts_[a], e).status();
  }

  // One random operation; refusals are part of the game (the point is that
  // whatever happened, both evaluations agree).
  std::string Step(std::mt19937& rng) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::string vault = VaultName(pick(kVaults)), key = KeyName(pick(kKeysPerVault));
    const int account = pick(kAccounts);
    switch (pick(12)) {
      case 0: {
        auto k = cloud_->GetKey(vault, key);
        if (!k.ok() || !k->has_value()) return "no key";
        KeyVersionState v = (*k)->versions[static_cast<size_t>(pick(
            static_cast<int>((*k)->versions.size())))];
        v.enabled = !v.enabled;
        (void)cloud_->UpdateKeyVersion(vault, key, v);
        return "toggle " + vault + "/" + key + "/" + v.version;
      }
      case 1:
        (void)cloud_->DeleteKey(vault, key);
        return "delete key " + vault + "/" + key;
      case 2:
        (void)cloud_->RecoverKey(vault, key);
        return "recover key " + vault + "/" + key;
      case 3:
        (void)cloud_->DeleteRoleAssignment(RoleId(account));
        return "revoke " + accounts_[account];
      case 4:
        (void)Grant(account);
        return "grant " + accounts_[account];
      case 5:
        (void)cloud_->RotateKey(vault, key);
        return "rotate " + vault + "/" + key;
      case 6:
      case 7: {
        int64_t seconds = static_cast<int64_t>(rng() % (40 * 86400));
        (void)cloud_->AdvanceClock(seconds);
        return "advance " + std::to_string(seconds);
      }
      case 8: {
        auto v = cloud_->GetVault(kSub, kRg, vault);
        if (!v.ok() || !v->has_value()) return "no vault";
        VaultState s = **v;
        bool closed = s.network_acls.default_action == "Deny";
        s.network_acls.default_action = closed ? "Allow" : "Deny";
        s.network_acls.bypass = closed ? "AzureServices" : "None";
        (void)cloud_->PutVault(s);
        return "firewall " + vault;
      }
      case 9:
        (void)Bind(account, pick(2) == 0);
        return "bind " + accounts_[account];
      case 10:
        (void)cloud_->SeedStorageAccount(Account(accounts_[account]), {12 + account, pick(2) == 0});
        return "identity " + accounts_[account];
      default: {
        auto k = cloud_->GetKey(vault, key);
        if (!k.ok() || !k->has_value()) return "no key";
        KeyVersionState v = (*k)->versions.back();
        v.expires = cloud_->Now() + static_cast<int64_t>(rng() % (30 * 86400));
        (void)cloud_->UpdateKeyVersion(vault, key, v);
        return "expire " + vault + "/" + key;
      }
    }
  }

  // A second cloud opened on a copy of the directory derives everything anew.
  std::string FromScratch() {
    std::string copy = root_ + "/copy";
    std::filesystem::remove_all(copy);
    std::filesystem::copy(dir_, copy);
    auto fresh = SandboxCloud::Open(copy);
    if (!fresh.ok()) return fresh.status().ToString();
    return Derived(**fresh, accounts_);
  }

  std::vector<std::string> accounts_;
};

// The rows themselves, as text: vaults, keys with their versions, deleted
// keys, identities, role assignments, storage accounts.
std::string Rows(SandboxCloud& cloud) {
  std::string out;
  auto vaults = cloud.ListVaults(kSub);
  if (!vaults.ok()) return vaults.status().ToString();
  for (const auto& v : *vaults) {
    out += "vault " + v.name + " " + v.network_acls.default_action + " " + v.etag + "\n";
    auto keys = cloud.ListKeys(v.name);
    if (!keys.ok()) return out + keys.status().ToString();
    for (const auto& name : *keys) {
      auto k = cloud.GetKey(v.name, name);
      if (!k.ok() || !k->has_value()) return out + "key " + name + " unreadable";
      for (const auto& version : (*k)->versions)
        out += "  " + name + " " + version.version + (version.enabled ? " on " : " off ") +
               std::to_string(version.expires.value_or(0)) + "\n";
    }
    auto deleted = cloud.ListDeletedKeys(v.name);
    if (!deleted.ok()) return out + deleted.status().ToString();
    for (const auto& d : *deleted) out += "  deleted " + d.name + "\n";
  }
  auto identities = cloud.ListIdentities(kSub);
  if (!identities.ok()) return out + identities.status().ToString();
  for (const auto& i : *identities) out += "identity " + i.name + " " + i.principal_id + "\n";
  auto grants = cloud.ListRoleAssignments("/");
  if (!grants.ok()) return out + grants.status().ToString();
  for (const auto& r : *grants) out += "grant " + r.id + " " + r.principal_id + "\n";
  auto accounts = cloud.ListStorageAccounts(kSub);
  if (!accounts.ok()) return out + accounts.status().ToString();
  for (const auto& a : *accounts)
    out += "account " + a.name + " " + a.system_principal_id + " " +
           a.encryption.current_versioned_key_id + "\n";
  return out;
}

// Another connection on the same directory (another process) follows every
// step through the rows the step changed, and then agrees with the writer
// on every row and with a from-scratch evaluation on everything derived.
TEST_F(IncrementalTest, AnotherConnectionFollowsEveryStep) {
  auto watcher = SandboxCloud::Open(dir_);
  CMK_ASSERT_OK(watcher);
  ASSERT_EQ(Rows(**watcher), Rows(*cloud_));
  std::mt19937 rng(20261204);
  std::string trail;
  for (int i = 0; i < 80; ++i) {
    trail += Step(rng) + "\n";
    ASSERT_EQ(Rows(**watcher), Rows(*cloud_)) << "after:\n" << trail;
    ASSERT_EQ(Derived(**watcher, accounts_), FromScratch()) << "after:\n" << trail;
  }
}

TEST_F(IncrementalTest, EveryStepAgreesWithAFromScratchEvaluation) {
  std::mt19937 rng(20261203);
  std::string trail;
  for (int i = 0; i < 120; ++i) {
    trail += Step(rng) + "\n";
    std::string incremental = Derived(*cloud_, accounts_);
    ASSERT_EQ(incremental, FromScratch()) << "after:\n" << trail;
  }
  // The sequence did cut accounts off and bring them back.
  auto incidents = cloud_->ListIncidents();
  CMK_ASSERT_OK(incidents);
  EXPECT_GT(incidents->size(), 3u);
  EXPECT_TRUE(std::any_of(incidents->begin(), incidents->end(),
                          [](const AccessIncident& i) { return i.until.has_value(); }));
}

}  // namespace
}  // namespace cmk
