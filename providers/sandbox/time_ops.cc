// SandboxCloud: moving the simulated clock, and what Azure does as time
// passes: rotation policies rotate and notify, key versions expire,
// consumers on automatic version update adopt new versions and release the
// versions they left (both live in consumer_access_ops.cc), soft-deleted
// vaults and keys are purged at their scheduled purge date.
//
// The interval is simulated as an event queue: collect every event the
// current state makes due, apply the earliest at its own timestamp (the clock
// is set to it first, so what it creates is stamped right), re-evaluate
// consumer access, repeat, committing every few milliseconds of work. The
// clock jumps from event to event; advancing years costs a handful of
// events, not one per hour.
#include <algorithm>
#include <chrono>
#include <tuple>
#include <unordered_map>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "model/codec.h"

namespace cmk {
namespace {


// Order of one object's events at one time.
constexpr int kRankPurge = 0;
constexpr int kRankRotate = 1;
constexpr int kRankExpire = 2;
constexpr int kRankNotify = 3;

// Key Vault's minimum rotation interval. The sandbox never rotates a version
// younger than this by policy, so a policy whose expiry is shorter than its
// rotation lead cannot rotate in a loop.
constexpr int64_t kMinRotationAge = 7 * 86400;
// A safety net against an object that keeps producing events at one instant
// (an estate may have thousands of objects with events at one time).
constexpr int kMaxEventsPerObjectAtOneTime = 100;

// How long one step of a clock move holds the write lock (MoveClock): long
// next to what a commit costs (a fraction of a millisecond), short enough
// that a process waiting for the lock does not notice.
constexpr auto kStepBudget = std::chrono::milliseconds(10);

constexpr const char* kExpiredReported = "expiredReported";  // the exp already reported
constexpr const char* kNotifiedFor = "notifiedFor";          // the exp already notified

IsoDuration Negated(IsoDuration d) {
  d.years = -d.years;
  d.months = -d.months;
  d.weeks = -d.weeks;
  d.days = -d.days;
  d.hours = -d.hours;
  d.minutes = -d.minutes;
  d.seconds = -d.seconds;
  return d;
}

// Policies are validated when they are put; an unparsable one is ignored.
std::optional<IsoDuration> Duration(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto d = ParseIsoDuration(*text);
  if (!d.ok()) return std::nullopt;
  return *d;
}

}  // namespace

bool SandboxCloud::DueOrder::operator()(const DueEvent& a, const DueEvent& b) const {
  return std::tie(a.time, a.object, a.rank, a.version, a.kind) <
         std::tie(b.time, b.object, b.rank, b.version, b.kind);
}

void SandboxCloud::ForgetDue(const std::string& subject) {
  auto it = due_of_.find(subject);
  if (it == due_of_.end()) return;
  for (auto event : it->second) due_.erase(event);
  due_of_.erase(it);
}

void SandboxCloud::AddDue(const std::string& subject, DueEvent event) {
  due_of_[subject].push_back(due_.insert(std::move(event)));
}

Status SandboxCloud::RefreshDueInTxn() {
  Dependents::Stale stale = timeline_.Take(Now());
  if (stale.all) {
    due_.clear();
    due_of_.clear();
    for (StoreTable table : {StoreTable::kVaults, StoreTable::kKeys, StoreTable::kConsumers}) {
      CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(table));
      const char* kind = table == StoreTable::kVaults ? "vault:"
                         : table == StoreTable::kKeys ? "key:"
                                                      : "consumer:";
      for (const auto& row : rows) CMK_RETURN_IF_ERROR(DueOfInTxn(kind + row.key));
    }
    return Status::Ok();
  }
  for (const auto& subject : stale.subjects) CMK_RETURN_IF_ERROR(DueOfInTxn(subject));
  return Status::Ok();
}

Status SandboxCloud::DueOfInTxn(const std::string& subject) {
  ForgetDue(subject);
  timeline_.Forget(subject);
  size_t colon = subject.find(':');
  std::string kind = subject.substr(0, colon), row = subject.substr(colon + 1);
  if (kind == "vault") return DueOfVaultInTxn(subject, row);
  if (kind == "key") return DueOfKeyInTxn(subject, row);
  if (kind == "consumer") return DueOfAccountInTxn(subject, row);
  return Internal("sandbox: no time-driven events for " + subject);
}

Status SandboxCloud::DueOfVaultInTxn(const std::string& subject, const std::string& row) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kVaults, row));
  if (!doc) return Status::Ok();  // purged: nothing more to come
  timeline_.Record(subject, {}, std::nullopt);
  if (!IsDeleted(*doc)) return Status::Ok();
  VaultState vault = FromJson<VaultState>(DocObject(*doc, "vault"));
  DueEvent e;
  e.time = ScheduledPurgeDate(*doc);
  e.object = "vault/" + vault.name;
  e.rank = kRankPurge;
  e.kind = "vault.purge";
  e.vault = vault.name;
  e.detail = "scheduled purge of the soft-deleted vault";
  AddDue(subject, std::move(e));
  return Status::Ok();
}

Status SandboxCloud::DueOfKeyInTxn(const std::string& subject, const std::string& row) {
  const int64_t now = Now();
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc, store_->Get(StoreTable::kKeys, row));
  if (!key_doc) return Status::Ok();  // purged
  const std::string vault_row = row.substr(0, row.find('/'));
  // A key's events wait while its vault is deleted (the vault's purge takes it along).
  timeline_.Record(subject, {"vault:" + vault_row, "versions:" + row}, std::nullopt);
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, store_->Get(StoreTable::kVaults, vault_row));
  if (!vault_doc || IsDeleted(*vault_doc)) return Status::Ok();
  VaultState vault = FromJson<VaultState>(DocObject(*vault_doc, "vault"));

  const std::string name = DocString(*key_doc, "name");
  const std::string object = "key/" + vault.name + "/" + name;
  auto event = [&](int64_t time, int rank, const char* kind) {
    DueEvent e;
    e.time = time;
    e.object = object;
    e.rank = rank;
    e.kind = kind;
    e.vault = vault.name;
    e.key = name;
    return e;
  };
  if (IsDeleted(*key_doc)) {
    DueEvent e = event(ScheduledPurgeDate(*key_doc), kRankPurge, "key.purge");
    e.detail = "scheduled purge of the soft-deleted key";
    AddDue(subject, std::move(e));
    return Status::Ok();
  }
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                       store_->List(StoreTable::kKeyVersions,
                                    VersionRowPrefix(vault.name, name)));
  if (rows.empty()) return Status::Ok();
  std::optional<RotationPolicyState> policy;
  if (key_doc->contains("rotationPolicy"))
    policy = FromJson<RotationPolicyState>((*key_doc)["rotationPolicy"]);

  if (policy) {
    KeyVersionState newest = FromJson<KeyVersionState>(rows.back().doc);
    std::optional<int64_t> due;
    std::string trigger;
    if (auto d = Duration(policy->rotate_after_create)) {
      due = AddDuration(newest.created, *d);
      trigger = "timeAfterCreate " + d->text;
    } else if (auto b = Duration(policy->rotate_before_expiry); b && newest.expires) {
      due = AddDuration(*newest.expires, Negated(*b));
      trigger = "timeBeforeExpiry " + b->text;
    }
    if (due) {
      DueEvent e = event(std::max(*due, newest.created + kMinRotationAge), kRankRotate,
                         "key.rotate");
      e.version = newest.version;
      e.detail = trigger;
      AddDue(subject, std::move(e));
    }
  }

  std::optional<IsoDuration> notify =
      policy ? Duration(policy->notify_before_expiry) : std::nullopt;
  std::optional<int64_t> recheck;  // a notice is due only before its expiry
  for (const auto& version_row : rows) {
    KeyVersionState v = FromJson<KeyVersionState>(version_row.doc);
    if (!v.expires) continue;
    if (DocInt(version_row.doc, kExpiredReported) != *v.expires) {
      DueEvent e = event(*v.expires, kRankExpire, "key.expired");
      e.version = v.version;
      e.exp = *v.expires;
      e.detail = "version " + v.version + " expires";
      AddDue(subject, std::move(e));
    }
    if (notify && v.enabled && now < *v.expires &&
        DocInt(version_row.doc, kNotifiedFor) != *v.expires) {
      if (!recheck || *v.expires < *recheck) recheck = *v.expires;
      DueEvent e = event(AddDuration(*v.expires, Negated(*notify)), kRankNotify, "key.notify");
      e.version = v.version;
      e.exp = *v.expires;
      e.detail = "version " + v.version + " expires at " + FormatRfc3339(*v.expires) +
                 " (Notify " + notify->text + " before expiry)";
      AddDue(subject, std::move(e));
    }
  }
  if (recheck) timeline_.Record(subject, {"vault:" + vault_row, "versions:" + row}, recheck);
  return Status::Ok();
}

Status SandboxCloud::DueOfAccountInTxn(const std::string& subject, const std::string& row) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, row));
  if (!doc) return Status::Ok();
  AccessBasis basis;
  CMK_ASSIGN_OR_RETURN(std::optional<DueEvent> adoption, AdoptionOfInTxn({row, *doc}, basis));
  timeline_.Record(subject, basis.topics, basis.recheck_at);
  if (adoption) AddDue(subject, std::move(*adoption));
  for (DueEvent& release : ReleasesOf({row, *doc})) AddDue(subject, std::move(release));
  return Status::Ok();
}

Status SandboxCloud::ApplyDueEventInTxn(const DueEvent& e) {
  if (e.kind == "vault.purge") return ForgetExpiredVault(e.vault);
  if (e.kind == "key.purge") return ForgetExpiredKey(e.vault, e.key);
  if (e.kind == "storage.adopt" || e.kind == "sql.adopt" || e.kind == "des.adopt")
    return AdoptInTxn(e);
  if (e.kind == "des.rewrapped" || e.kind == "sql.key-released") return ReleaseInTxn(e);
  if (e.kind == "key.rotate") {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(e.vault, e.key));
    CMK_ASSIGN_OR_RETURN(KeyVersionState v, RotateInTxn(key));
    return Record("key.rotate", e.object,
                  "rotated by policy (" + e.detail + " of version " + e.version +
                      "): new version " + v.version +
                      (v.expires ? ", expires " + FormatRfc3339(*v.expires) : ""));
  }
  if (e.kind == "key.expired" || e.kind == "key.notify") {
    std::string row_key = VersionRowKey(e.vault, e.key, e.version);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeyVersions, row_key));
    if (!doc) return Internal("sandbox: version " + e.version + " of " + e.object + " vanished");
    bool expired = e.kind == "key.expired";
    (*doc)[expired ? kExpiredReported : kNotifiedFor] = e.exp;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeyVersions, row_key, *doc));
    if (expired)
      return Record("key.expired", e.object,
                    "version " + e.version + " expired at " + FormatRfc3339(e.exp));
    return Record("key.notify", e.object, "near expiry: " + e.detail);
  }
  return Internal("sandbox: unknown time-driven event " + e.kind);
}

Status SandboxCloud::MoveClock(const std::function<Result<std::optional<ClockMove>>()>& start) {
  // In steps, one transaction each, so that other processes wait for one
  // step, never for the whole move, which may be years of thousands of keys.
  // A step applies events in order until it has held the lock for
  // kStepBudget (at least one event), so commits cost little however many
  // events there are. Each commits the clock (the last event's time) with
  // the events' effects and the re-evaluated access: a reader, or a crash,
  // finds the sandbox as the move left it at that instant; what is left due
  // at it is overdue and fires first in the next step (or the next move).
  // Nothing read in one step is trusted in the next: each begins by
  // revalidating the store, which drops the cache and everything derived
  // from it (Reset) when another process has committed meanwhile, and
  // recomputes what is due. So the next step sees a concurrent change, and
  // without one the steps do exactly what one transaction did.
  ClockMove move;
  int64_t clock = 0;  // the clock as this move's last committed step left it
  int applied = 0;
  int64_t instant = -1;
  std::unordered_map<std::string, int> at_instant;  // events per object at `instant`
  bool started = false, done = false, let_waiters_in = true;
  while (!done) {
    if (started && let_waiters_in) let_waiters_in = store_->LetWaitersIn();
    CMK_RETURN_IF_ERROR(InTransaction([&]() -> Status {
      const auto step_start = std::chrono::steady_clock::now();
      if (!started) {
        CMK_ASSIGN_OR_RETURN(std::optional<ClockMove> m, start());
        if (!m) {
          done = true;
          return Status::Ok();
        }
        move = std::move(*m);
        clock = move.from;
        CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(clock)));
        CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
      } else {
        // Another process may write between steps, but moving the clock
        // under this move would make its target and count meaningless.
        CMK_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->GetMeta(kMetaClock));
        if (!stored || *stored != std::to_string(clock))
          return Conflict("the sandbox clock was moved by another operation (to " +
                          (stored ? FormatRfc3339(Now()) : std::string("real time")) +
                          ") during this move to " + FormatRfc3339(move.target) +
                          "; it stopped at " + FormatRfc3339(clock) + " after " +
                          std::to_string(applied) + " time-driven events");
      }
      while (true) {
        CMK_RETURN_IF_ERROR(RefreshDueInTxn());
        if (due_.empty()) break;
        const DueEvent next = *due_.begin();
        const int64_t t = std::max(next.time, clock);  // an overdue event fires now
        if (t > move.target) break;
        if (t != instant) {
          instant = t;
          at_instant.clear();
        }
        if (++at_instant[next.object] > kMaxEventsPerObjectAtOneTime)
          return FailedPrecondition("sandbox: " + next.object + " keeps producing events at " +
                                    FormatRfc3339(t) + " (stuck at " + next.kind + ")");
        CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(t)));
        CMK_RETURN_IF_ERROR(ApplyDueEventInTxn(next));
        CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
        ++applied;
        clock = t;
        if (std::chrono::steady_clock::now() - step_start >= kStepBudget) return Status::Ok();
      }
      // Nothing more is due by the target (seen in this same transaction,
      // so nothing another process added slips through).
      CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(move.target)));
      CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
      done = true;
      return Record("sandbox.clock", "clock",
                    move.what + ": " + FormatRfc3339(move.from) + " -> " +
                        FormatRfc3339(move.target) + " (" + std::to_string(applied) +
                        " time-driven event" + (applied == 1 ? "" : "s") + ")");
    }));
    started = true;
  }
  return Status::Ok();
}

Status SandboxCloud::SetClock(int64_t unix_seconds) {
  if (unix_seconds < 0) return InvalidArgument("sandbox clock cannot be set before 1970");
  return MoveClock([&]() -> Result<std::optional<ClockMove>> {
    CMK_ASSIGN_OR_RETURN(bool simulated, ClockIsSimulated());
    int64_t now = Now();
    if (unix_seconds < now) {
      if (simulated)
        return FailedPrecondition("the sandbox clock cannot go back: it is " +
                                  FormatRfc3339(now) + ", asked for " +
                                  FormatRfc3339(unix_seconds) +
                                  " (simulated time only moves forward)");
      CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(unix_seconds)));
      CMK_RETURN_IF_ERROR(Record("sandbox.clock", "clock",
                                 "simulated clock started at " + FormatRfc3339(unix_seconds) +
                                     " (before real time: nothing to simulate)"));
      return std::optional<ClockMove>();
    }
    return std::optional<ClockMove>(ClockMove{
        now, unix_seconds, simulated ? "simulated clock set" : "simulated clock started"});
  });
}

Status SandboxCloud::AdvanceClock(int64_t seconds) {
  if (seconds < 0) return InvalidArgument("sandbox clock cannot move backwards");
  return MoveClock([&]() -> Result<std::optional<ClockMove>> {
    int64_t now = Now();
    return std::optional<ClockMove>(ClockMove{
        now, now + seconds, "simulated clock advanced by " + std::to_string(seconds) + "s"});
  });
}

Status SandboxCloud::AdvanceClockBy(const std::string& iso_duration) {
  CMK_ASSIGN_OR_RETURN(IsoDuration d, ParseIsoDuration(iso_duration));
  return MoveClock([&]() -> Result<std::optional<ClockMove>> {
    int64_t now = Now();
    return std::optional<ClockMove>(
        ClockMove{now, AddDuration(now, d), "simulated clock advanced by " + d.text});
  });
}

Status SandboxCloud::UseRealClock() {
  return InTransaction([&]() -> Status {
    CMK_RETURN_IF_ERROR(store_->DeleteMeta(kMetaClock));
    return Record("sandbox.clock", "clock", "back to real time");
  });
}

Result<std::vector<PendingEvent>> SandboxCloud::ListPendingEvents() {
  return InReadTransaction([&]() -> Result<std::vector<PendingEvent>> {
    CMK_RETURN_IF_ERROR(RefreshDueInTxn());
    std::vector<PendingEvent> out;
    for (const auto& e : due_) {
      std::string detail = e.detail;
      if (e.kind == "key.rotate") detail = e.detail + " of version " + e.version;
      out.push_back({e.time, e.kind, e.object, detail});
    }
    return out;
  });
}

}  // namespace cmk
