// Several processes on one sandbox: a clock move commits per step, so other
// connections read (and write) while it runs instead of waiting for all of
// it; the steps give the same result as one transaction did; waiting longer
// than the bound is kUnavailable. Each "process" is a SandboxCloud or
// SandboxStore of its own (its own SQLite connection), driven from its own
// thread; all are opened before any thread starts (Open sets the umask).
//
// Time bounds here are deliberately loose (a fraction of the whole move,
// measured in the same run): they only show that nobody was queued behind
// the entire move, on a loaded 2-core machine too. Correctness is asserted
// exactly.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <chrono>
#include <thread>

#include "model/arm_id.h"
#include "sandbox/sandbox_store.h"
#include "sandbox_test_util.h"

namespace cmk {
namespace concurrency_test {  // named: the tests are built as one unity file

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

constexpr const char* kVault = "load-kv";
inline const int64_t kT0 = At("2027-01-01T00:00:00Z");

std::string KeyName(int i) { return (i < 10 ? "k0" : "k") + std::to_string(i); }

// An estate whose clock moves are busy at many instants: `keys` keys
// created an hour apart (so each rotates at instants of its own), rotating
// weekly, each version expiring after two weeks with a notice three days
// before, and `accounts` storage accounts on automatic version update of
// the first keys (RSA; the rest are EC) (adoptions, and access re-evaluated at every step). A week
// of simulated time is about 3 * keys + accounts events.
void BuildLoad(SandboxCloud& c, int keys, int accounts) {
  CMK_ASSERT_OK(c.SetClock(kT0));
  VaultState v;
  v.name = kVault;
  v.subscription = kSub;
  v.resource_group = kRg;
  v.location = "westeurope";
  v.sku = "standard";
  v.soft_delete_retention_days = 7;
  v.purge_protection = true;
  CMK_ASSERT_OK(c.PutVault(v));
  RotationPolicyState policy;
  policy.rotate_after_create = "P7D";
  policy.expiry_time = "P14D";
  policy.notify_before_expiry = "P3D";
  for (int i = 0; i < keys; ++i) {
    KeyState k;
    k.vault = kVault;
    k.name = KeyName(i);
    // The accounts' keys are RSA, as Storage requires; the others EC (cheap material).
    if (i < accounts) {
      k.kty = "RSA";
      k.key_size = 2048;
    } else {
      k.kty = "EC";
      k.curve = "P-256";
    }
    k.expires = c.Now() + 14 * 86400;
    CMK_ASSERT_OK(c.CreateKey(k));
    CMK_ASSERT_OK(c.PutRotationPolicy(kVault, k.name, policy));
    CMK_ASSERT_OK(c.AdvanceClock(3600));
  }
  for (int i = 0; i < accounts; ++i) {
    ConsumerState a;
    a.name = "loadacct" + std::to_string(i);
    a.subscription = kSub;
    a.resource_group = kRg;
    a.location = "westeurope";
    CMK_ASSERT_OK(c.SeedStorageAccount(a, {6, true}));
    auto seeded = c.GetStorageAccount(kSub, kRg, a.name);
    CMK_ASSERT_OK(seeded);
    RoleAssignmentState r;
    r.id = DeterministicGuid("load-role|" + a.name);
    r.scope = KeyArmId(kSub, kRg, kVault, KeyName(i));
    r.role_definition_id = kRoleCryptoServiceEncryptionUser;
    r.principal_id = (*seeded)->system_principal_id;
    CMK_ASSERT_OK(c.PutRoleAssignment(r));
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://" + std::string(kVault) + ".vault.azure.net";
    e.key_name = KeyName(i);
    CMK_ASSERT_OK(c.UpdateStorageEncryption(kSub, kRg, a.name, e));
  }
}

std::string Line(const SandboxEvent& e) {
  return std::to_string(e.seq) + " " + FormatRfc3339(e.time) + " " + e.kind + " " + e.object +
         " " + e.message;
}

std::vector<std::string> Lines(SandboxCloud& c) {
  auto events = c.ListEvents();
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  std::vector<std::string> out;
  if (events.ok())
    for (const auto& e : *events) out.push_back(Line(e));
  return out;
}

// Everything a move changes, as text: keys with every version, accounts
// with the version they use and their incidents, and the clock.
std::string StateOf(SandboxCloud& c, int keys) {
  std::string out = "clock " + FormatRfc3339(c.Now()) + "\n";
  for (int i = 0; i < keys; ++i) {
    auto k = c.GetKey(kVault, KeyName(i));
    if (!k.ok()) return k.status().ToString();
    if (!k->has_value()) {
      out += KeyName(i) + " gone\n";
      continue;
    }
    for (const auto& v : (*k)->versions)
      out += KeyName(i) + " " + v.version + " " + std::to_string(v.created) + " " +
             std::to_string(v.expires.value_or(0)) + (v.enabled ? "" : " disabled") + "\n";
  }
  auto accounts = c.ListStorageAccounts(kSub);
  if (!accounts.ok()) return accounts.status().ToString();
  for (const auto& a : *accounts)
    out += a.name + " " + a.encryption.current_versioned_key_id + " " +
           a.encryption.last_key_rotation_timestamp + "\n";
  auto incidents = c.ListIncidents();
  if (!incidents.ok()) return incidents.status().ToString();
  for (const auto& i : *incidents)
    out += i.account + " " + i.cause + " " + std::to_string(i.since) + "\n";
  return out;
}

class ConcurrencyTest : public SandboxTest {
 protected:
  std::unique_ptr<SandboxCloud> OpenCloud(const std::string& dir, int busy_timeout_ms =
                                                                      SandboxStore::kDefaultBusyTimeoutMs) {
    SandboxOptions options;
    options.busy_timeout_ms = busy_timeout_ms;
    auto cloud = SandboxCloud::Open(dir, options);
    EXPECT_TRUE(cloud.ok()) << cloud.status().ToString();
    return cloud.ok() ? std::move(cloud).value() : nullptr;
  }
};

// (a) A reader on another connection is never queued behind a long move:
// its reads succeed while the move runs, each within a small fraction of
// the move's length, and each shows a state the move committed on its way
// (a prefix of the final activity log and of the key's final versions).
// A writer on a third connection gets in between two steps (the turnstile),
// and the move's next step sees what it wrote: a key deleted midway rotates
// no more and is purged at the end of its retention.
TEST_F(ConcurrencyTest, ReadersAndWritersGetInBetweenTheStepsOfALongMove) {
  constexpr int kKeys = 24;  // half a year: about 2,000 events, 2,000 steps
  BuildLoad(*cloud_, kKeys, 4);
  if (HasFatalFailure()) return;
  auto reader = OpenCloud(dir_);
  auto writer = OpenCloud(dir_);
  ASSERT_TRUE(reader && writer);
  const size_t events_before = Lines(*cloud_).size();
  const std::string deleted = KeyName(7);

  std::atomic<bool> done{false};
  Status moved;
  double move_seconds = 0;
  std::thread mover([&] {
    auto start = Clock::now();
    moved = cloud_->AdvanceClockBy("P6M");
    move_seconds = Seconds(start);
    done = true;
  });

  struct Seen {
    size_t events;
    std::string last_event;
    size_t versions;
    std::vector<std::string> version_ids;
  };
  std::vector<Seen> seen;
  std::vector<std::string> errors;
  double slowest_read = 0, write_took = -1;
  Status write_status;
  std::thread writing([&] {
    // Once the move is well under way, delete a key, as another process would.
    while (!done && writer->Now() < kT0 + 60 * 86400)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (done) return;
    auto start = Clock::now();
    write_status = writer->DeleteKey(kVault, deleted);
    write_took = Seconds(start);
  });
  while (!done) {
    auto start = Clock::now();
    auto names = reader->ListKeys(kVault);
    auto key = reader->GetKey(kVault, KeyName(0));
    auto events = reader->ListEvents();
    double took = Seconds(start);
    if (!names.ok() || !key.ok() || !events.ok() || !key->has_value()) {
      errors.push_back(!names.ok() ? names.status().ToString()
                       : !key.ok() ? key.status().ToString()
                       : !events.ok() ? events.status().ToString()
                                      : "key vanished");
      break;
    }
    if (done) break;  // only reads made entirely while the move ran count
    slowest_read = std::max(slowest_read, took);
    Seen s{events->size(), events->empty() ? "" : Line(events->back()), (*key)->versions.size(), {}};
    for (const auto& v : (*key)->versions) s.version_ids.push_back(v.version);
    seen.push_back(std::move(s));
  }
  mover.join();
  writing.join();
  CMK_ASSERT_OK(moved);
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(cloud_->Now(), AddDuration(kT0 + kKeys * 3600, *ParseIsoDuration("P6M")));

  // What the reader saw were states on the move's way: prefixes of the end.
  const std::vector<std::string> final_events = Lines(*cloud_);
  auto final_key = cloud_->GetKey(kVault, KeyName(0));
  CMK_ASSERT_OK(final_key);
  ASSERT_TRUE(final_key->has_value());
  const auto& final_versions = (*final_key)->versions;
  ASSERT_GT(final_versions.size(), 25u);  // weekly for half a year
  int in_between = 0;
  for (const auto& s : seen) {
    ASSERT_LE(s.events, final_events.size());
    ASSERT_GE(s.events, events_before);
    EXPECT_EQ(s.last_event, final_events[s.events - 1]);
    ASSERT_LE(s.versions, final_versions.size());
    for (size_t i = 0; i < s.versions; ++i) EXPECT_EQ(s.version_ids[i], final_versions[i].version);
    if (s.versions > 1 && s.versions < final_versions.size()) ++in_between;
  }
  // Not queued behind the move: reads returned states from its middle, each
  // quickly compared with the whole move.
  if (getenv("CMK_TEST_VERBOSE"))
    std::cerr << "move " << move_seconds << " s, " << final_events.size() - events_before
              << " events; " << seen.size() << " reads, " << in_between
              << " in between, slowest " << slowest_read << " s; write " << write_took << " s\n";
  EXPECT_GE(in_between, 2) << seen.size() << " reads during a move of " << move_seconds << " s";
  EXPECT_LT(slowest_read, move_seconds / 3) << "move " << move_seconds << " s";

  // The writer got in between two steps, and the steps after it saw the
  // deletion: no rotation of that key after it, and its purge a retention
  // period later.
  ASSERT_GE(write_took, 0) << "the move ended before the writer wrote";
  CMK_ASSERT_OK(write_status);
  EXPECT_LT(write_took, move_seconds / 3) << "move " << move_seconds << " s";
  std::optional<int64_t> deleted_at, purged_at;
  auto all = cloud_->ListEvents();
  CMK_ASSERT_OK(all);
  const std::string object = "key/" + std::string(kVault) + "/" + deleted;
  for (const auto& e : *all) {
    if (e.object != object) continue;
    if (e.kind == "key.delete") {
      deleted_at = e.time;
    } else if (deleted_at) {
      EXPECT_NE(e.kind, "key.rotate") << Line(e);
      if (e.kind == "key.purge") purged_at = e.time;
    }
  }
  ASSERT_TRUE(deleted_at.has_value());
  EXPECT_GE(*deleted_at, kT0 + 60 * 86400);  // in the middle of the move
  ASSERT_TRUE(purged_at.has_value());
  EXPECT_EQ(*purged_at, *deleted_at + 7 * 86400);
  auto gone = cloud_->GetKey(kVault, deleted);
  CMK_ASSERT_OK(gone);
  EXPECT_FALSE(gone->has_value());
}

// (b) Committing per step changes nothing: the same move on a twin sandbox,
// whose every step is made to find that another connection committed (and
// so re-derives everything from the rows), gives the same activity log, line
// for line, the same versions (ids, dates) and the same accounts.
TEST_F(ConcurrencyTest, StepsThatReReadEverythingGiveTheSameMove) {
  constexpr int kKeys = 12;
  BuildLoad(*cloud_, kKeys, 3);
  auto twin = OpenCloud(root_ + "/twin");
  ASSERT_TRUE(twin);
  BuildLoad(*twin, kKeys, 3);
  if (HasFatalFailure()) return;
  auto poker = SandboxStore::Open(root_ + "/twin");
  CMK_ASSERT_OK(poker);
  ASSERT_EQ(Lines(*cloud_).size(), Lines(*twin).size());

  std::atomic<bool> done{false};
  int pokes = 0;
  std::vector<std::string> errors;
  std::thread poking([&] {
    // A commit that changes nothing the sandbox reads, between steps.
    while (!done) {
      auto txn = (*poker)->Begin();
      Status s = txn.ok() ? (*poker)->SetMeta("test.poke", std::to_string(pokes)) : txn.status();
      if (s.ok()) s = txn->Commit();
      if (!s.ok()) {
        errors.push_back(s.ToString());
        return;
      }
      ++pokes;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  Status twin_moved = twin->AdvanceClockBy("P1Y");
  done = true;
  poking.join();
  CMK_ASSERT_OK(twin_moved);
  ASSERT_TRUE(errors.empty()) << errors.front();
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P1Y"));
  EXPECT_GE(pokes, 5);  // the move was disturbed (each poke lands between two steps)

  // The first two lines carry the real time each sandbox was created at
  // (sandbox.create, and the clock's start from it), which differ when a
  // second boundary falls between the two creations; the rest is simulated.
  auto simulated = [](std::vector<std::string> lines) {
    EXPECT_GE(lines.size(), 2u);
    if (lines.size() >= 2) lines.erase(lines.begin(), lines.begin() + 2);
    return lines;
  };
  const std::vector<std::string> expected = simulated(Lines(*cloud_)), got = simulated(Lines(*twin));
  ASSERT_GT(expected.size(), 1500u);  // the move did work: 52 weeks of 12 keys
  EXPECT_EQ(got, expected);
  EXPECT_EQ(StateOf(*twin, kKeys), StateOf(*cloud_, kKeys));
}

// (c) A write that waits longer than the bound fails with kUnavailable and
// says the sandbox is busy; reads do not wait at all; once the lock is
// free, the same write succeeds.
TEST_F(ConcurrencyTest, BusyBeyondTheBoundIsUnavailableAndReadsDoNotWait) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  auto impatient = OpenCloud(dir_, 300);
  ASSERT_TRUE(impatient);
  auto holder = SandboxStore::Open(dir_);
  CMK_ASSERT_OK(holder);
  {
    auto held = (*holder)->Begin();  // another process mid-write
    CMK_ASSERT_OK(held);
    CMK_ASSERT_OK((*holder)->SetMeta("test.held", "1"));

    auto start = Clock::now();
    auto vaults = impatient->ListVaults(kSub);
    CMK_ASSERT_OK(vaults);
    EXPECT_EQ(vaults->size(), 1u);
    CMK_ASSERT_OK(impatient->GetKey("bank-kv", "none"));
    CMK_ASSERT_OK(impatient->ListStorageAccounts(kSub));
    EXPECT_LT(Seconds(start), 0.3) << "reads waited for the writer";

    start = Clock::now();
    auto put = impatient->PutVault(Vault("other-kv"));
    double waited = Seconds(start);
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.status().code(), StatusCode::kUnavailable) << put.status().ToString();
    EXPECT_NE(put.status().message().find("is busy"), std::string::npos) << put.status().message();
    EXPECT_NE(put.status().message().find(dir_), std::string::npos) << put.status().message();
    EXPECT_GE(waited, 0.25);
    Status advance = impatient->AdvanceClockBy("P1D");
    EXPECT_EQ(advance.code(), StatusCode::kUnavailable) << advance.ToString();
    // A store's own write transaction, too.
    auto other = SandboxStore::Open(dir_, 100);
    CMK_ASSERT_OK(other);
    auto begun = (*other)->Begin();
    EXPECT_EQ(begun.status().code(), StatusCode::kUnavailable) << begun.status().ToString();
  }  // rolled back: the lock is free
  CMK_ASSERT_OK(impatient->PutVault(Vault("other-kv")));
  // Errors that are not about waiting keep their codes.
  EXPECT_EQ(impatient->DeleteKey("bank-kv", "none").code(), StatusCode::kNotFound);
}

// Between two steps of a job, LetWaitersIn lets a writer that is waiting
// have the lock before the job's next step: SQLite alone would give it to
// whoever asks first, which is the job, microseconds after its commit.
TEST_F(ConcurrencyTest, AWaitingWriterGetsTheLockBeforeTheJobsNextStep) {
  auto job = SandboxStore::Open(dir_, 200);
  auto waiter = SandboxStore::Open(dir_);
  CMK_ASSERT_OK(job);
  CMK_ASSERT_OK(waiter);
  auto step = (*job)->Begin();
  CMK_ASSERT_OK(step);
  std::atomic<bool> release{false};
  Status waited;
  std::thread waiting([&] {
    auto txn = (*waiter)->Begin();  // waits for the job's step
    waited = txn.status();
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (txn.ok()) waited = txn->Commit();
  });
  // Time enough for the waiter to find the lock taken and start waiting.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CMK_ASSERT_OK(step->Commit());
  EXPECT_TRUE((*job)->LetWaitersIn());
  // The waiter has the lock now (and keeps it until released): the job's
  // next step waits, here past its bound.
  auto next = (*job)->Begin();
  EXPECT_EQ(next.status().code(), StatusCode::kUnavailable) << next.status().ToString();
  release = true;
  waiting.join();
  CMK_ASSERT_OK(waited);
  // Nobody waiting: LetWaitersIn returns at once.
  auto start = Clock::now();
  EXPECT_TRUE((*job)->LetWaitersIn());
  EXPECT_LT(Seconds(start), 0.1);
}

// A clock move that finds the clock moved by someone else between its steps
// stops (kConflict) rather than move it back or miscount; what it committed
// stays, and time never went backwards.
TEST_F(ConcurrencyTest, AMoveStopsWhenAnotherMovesTheClockUnderIt) {
  BuildLoad(*cloud_, 20, 0);
  if (HasFatalFailure()) return;
  auto other = OpenCloud(dir_);
  ASSERT_TRUE(other);
  const int64_t start = cloud_->Now();
  std::atomic<bool> done{false};
  Status moved;
  std::thread mover([&] {
    moved = cloud_->AdvanceClockBy("P1Y");
    done = true;
  });
  while (!done && other->Now() < start + 30 * 86400)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status jumped = other->AdvanceClock(7 * 86400);  // a week of events: several steps
  mover.join();
  if (moved.ok() && jumped.ok()) GTEST_SKIP() << "the two moves did not overlap";
  // Whichever noticed the other stopped; the other finished.
  const Status& stopped = moved.ok() ? jumped : moved;
  if (getenv("CMK_TEST_VERBOSE")) std::cerr << stopped.ToString() << "\n";
  const Status& finished = moved.ok() ? moved : jumped;
  EXPECT_EQ(stopped.code(), StatusCode::kConflict) << stopped.ToString();
  EXPECT_NE(stopped.message().find("moved by another operation"), std::string::npos);
  EXPECT_TRUE(finished.ok()) << finished.ToString();
  // Time never went back, and the clock is where the last step left it.
  int64_t last = 0;
  auto events = cloud_->ListEvents();
  CMK_ASSERT_OK(events);
  for (const auto& e : *events) {
    EXPECT_GE(e.time, last) << Line(e);
    last = std::max(last, e.time);
  }
  EXPECT_EQ(cloud_->Now(), last);
  EXPECT_GT(last, start + 30 * 86400);
}

// The write-ahead log and its index are as private as the database.
TEST_F(ConcurrencyTest, LogFilesArePrivate) {
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  EXPECT_EQ(ModeOf(dir_ + "/sandbox.db"), 0600u);
  EXPECT_EQ(ModeOf(dir_ + "/sandbox.db-wal"), 0600u);
  EXPECT_EQ(ModeOf(dir_ + "/sandbox.db-shm"), 0600u);
}

// CopyTo copies what was committed, including what is still only in the
// write-ahead log, and nothing of a transaction still open elsewhere.
TEST_F(ConcurrencyTest, CopyToTakesTheCommittedStateWhileOthersWrite) {
  CMK_ASSERT_OK(cloud_->SetClock(kT0));
  CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
  auto writer = SandboxStore::Open(dir_);
  CMK_ASSERT_OK(writer);
  auto open = (*writer)->Begin();
  CMK_ASSERT_OK(open);
  CMK_ASSERT_OK((*writer)->SetMeta("test.uncommitted", "1"));
  const std::string copy = root_ + "/copy";
  CMK_ASSERT_OK(cloud_->CopyTo(copy));
  EXPECT_EQ(ModeOf(copy), 0700u);
  EXPECT_EQ(ModeOf(copy + "/sandbox.db"), 0600u);
  CMK_ASSERT_OK(open->Commit());

  auto copied = OpenCloud(copy);
  ASSERT_TRUE(copied);
  EXPECT_EQ(copied->Now(), kT0);
  EXPECT_EQ(copied->tenant_id(), cloud_->tenant_id());
  auto vault = copied->GetVault(kSub, kRg, "bank-kv");
  CMK_ASSERT_OK(vault);
  EXPECT_TRUE(vault->has_value());
  EXPECT_EQ(Lines(*copied), Lines(*cloud_));
  auto store = SandboxStore::Open(copy);
  CMK_ASSERT_OK(store);
  auto uncommitted = (*store)->GetMeta("test.uncommitted");
  CMK_ASSERT_OK(uncommitted);
  EXPECT_FALSE(uncommitted->has_value());
}

}  // namespace concurrency_test
}  // namespace cmk
