// SandboxCloud: moving the simulated clock, and what Azure does as time
// passes: rotation policies rotate and notify, key versions expire, storage
// accounts on automatic version update adopt new versions (the adoption
// itself lives in storage_access_ops.cc), soft-deleted vaults and keys are
// purged at their scheduled purge date.
//
// The interval is simulated as an event queue: collect every event the
// current state makes due, apply the earliest at its own timestamp (the clock
// is set to it first, so what it creates is stamped right), re-evaluate
// storage access, repeat. The clock jumps from event to event; advancing
// years costs a handful of steps, not one per hour.
#include <algorithm>
#include <tuple>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "model/codec.h"

namespace cmk {
namespace {

using sandbox::kMetaClock;

// Order of one object's events at one time.
constexpr int kRankPurge = 0;
constexpr int kRankRotate = 1;
constexpr int kRankExpire = 2;
constexpr int kRankNotify = 3;

// Key Vault's minimum rotation interval. The sandbox never rotates a version
// younger than this by policy, so a policy whose expiry is shorter than its
// rotation lead cannot rotate in a loop.
constexpr int64_t kMinRotationAge = 7 * 86400;
// A safety net against a state that keeps producing events at one instant.
constexpr int kMaxEventsPerMove = 10000;

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

Result<std::vector<SandboxCloud::DueEvent>> SandboxCloud::CollectDueEventsInTxn() {
  const int64_t now = Now();
  std::vector<DueEvent> out;
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> vaults, store_->List(StoreTable::kVaults));
  for (const auto& vault_row : vaults) {
    VaultState vault = FromJson<VaultState>(sandbox::DocObject(vault_row.doc, "vault"));
    if (sandbox::IsDeleted(vault_row.doc)) {
      DueEvent e;
      e.time = sandbox::ScheduledPurgeDate(vault_row.doc);
      e.object = "vault/" + vault.name;
      e.rank = kRankPurge;
      e.kind = "vault.purge";
      e.vault = vault.name;
      e.detail = "scheduled purge of the soft-deleted vault";
      out.push_back(std::move(e));
      continue;
    }
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> keys,
                         store_->List(StoreTable::kKeys, sandbox::KeyRowPrefix(vault.name)));
    for (const auto& key_row : keys) {
      const std::string name = sandbox::DocString(key_row.doc, "name");
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
      if (sandbox::IsDeleted(key_row.doc)) {
        DueEvent e = event(sandbox::ScheduledPurgeDate(key_row.doc), kRankPurge, "key.purge");
        e.detail = "scheduled purge of the soft-deleted key";
        out.push_back(std::move(e));
        continue;
      }
      CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                           store_->List(StoreTable::kKeyVersions,
                                        sandbox::VersionRowPrefix(vault.name, name)));
      if (rows.empty()) continue;
      std::optional<RotationPolicyState> policy;
      if (key_row.doc.contains("rotationPolicy"))
        policy = FromJson<RotationPolicyState>(key_row.doc["rotationPolicy"]);

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
          out.push_back(std::move(e));
        }
      }

      std::optional<IsoDuration> notify =
          policy ? Duration(policy->notify_before_expiry) : std::nullopt;
      for (const auto& row : rows) {
        KeyVersionState v = FromJson<KeyVersionState>(row.doc);
        if (!v.expires) continue;
        if (sandbox::DocInt(row.doc, kExpiredReported) != *v.expires) {
          DueEvent e = event(*v.expires, kRankExpire, "key.expired");
          e.version = v.version;
          e.exp = *v.expires;
          e.detail = "version " + v.version + " expires";
          out.push_back(std::move(e));
        }
        if (notify && v.enabled && now < *v.expires &&
            sandbox::DocInt(row.doc, kNotifiedFor) != *v.expires) {
          DueEvent e = event(AddDuration(*v.expires, Negated(*notify)), kRankNotify, "key.notify");
          e.version = v.version;
          e.exp = *v.expires;
          e.detail = "version " + v.version + " expires at " + FormatRfc3339(*v.expires) +
                     " (Notify " + notify->text + " before expiry)";
          out.push_back(std::move(e));
        }
      }
    }
  }
  CMK_RETURN_IF_ERROR(CollectAdoptionsInTxn(out));
  std::sort(out.begin(), out.end(), [](const DueEvent& a, const DueEvent& b) {
    return std::tie(a.time, a.object, a.rank, a.version) <
           std::tie(b.time, b.object, b.rank, b.version);
  });
  return out;
}

Status SandboxCloud::ApplyDueEventInTxn(const DueEvent& e) {
  if (e.kind == "vault.purge") return ForgetExpiredVault(e.vault);
  if (e.kind == "key.purge") return ForgetExpiredKey(e.vault, e.key);
  if (e.kind == "storage.adopt") return AdoptInTxn(e);
  if (e.kind == "key.rotate") {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(e.vault, e.key));
    CMK_ASSIGN_OR_RETURN(KeyVersionState v, RotateInTxn(key));
    return Record("key.rotate", e.object,
                  "rotated by policy (" + e.detail + " of version " + e.version +
                      "): new version " + v.version +
                      (v.expires ? ", expires " + FormatRfc3339(*v.expires) : ""));
  }
  if (e.kind == "key.expired" || e.kind == "key.notify") {
    std::string row_key = sandbox::VersionRowKey(e.vault, e.key, e.version);
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

Status SandboxCloud::SimulateUntilInTxn(int64_t target, int* applied) {
  int n = 0;
  CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(Now())));
  CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
  while (true) {
    CMK_ASSIGN_OR_RETURN(std::vector<DueEvent> due, CollectDueEventsInTxn());
    if (due.empty()) break;
    const DueEvent& next = due.front();
    int64_t t = std::max(next.time, Now());  // an overdue event fires now
    if (t > target) break;
    if (++n > kMaxEventsPerMove)
      return FailedPrecondition("sandbox: more than " + std::to_string(kMaxEventsPerMove) +
                                " time-driven events before " + FormatRfc3339(target) +
                                " (stuck at " + next.kind + " " + next.object + ")");
    CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(t)));
    CMK_RETURN_IF_ERROR(ApplyDueEventInTxn(next));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
  }
  CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(target)));
  CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
  *applied = n;
  return Status::Ok();
}

Status SandboxCloud::MoveClockInTxn(int64_t target, const std::string& what) {
  int64_t from = Now();
  int applied = 0;
  CMK_RETURN_IF_ERROR(SimulateUntilInTxn(target, &applied));
  return Record("sandbox.clock", "clock",
                what + ": " + FormatRfc3339(from) + " -> " + FormatRfc3339(target) + " (" +
                    std::to_string(applied) + " time-driven event" + (applied == 1 ? "" : "s") +
                    ")");
}

Status SandboxCloud::SetClock(int64_t unix_seconds) {
  if (unix_seconds < 0) return InvalidArgument("sandbox clock cannot be set before 1970");
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(bool simulated, ClockIsSimulated());
    int64_t now = Now();
    if (unix_seconds < now) {
      if (simulated)
        return FailedPrecondition("the sandbox clock cannot go back: it is " +
                                  FormatRfc3339(now) + ", asked for " +
                                  FormatRfc3339(unix_seconds) +
                                  " (simulated time only moves forward)");
      CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(unix_seconds)));
      return Record("sandbox.clock", "clock",
                    "simulated clock started at " + FormatRfc3339(unix_seconds) +
                        " (before real time: nothing to simulate)");
    }
    return MoveClockInTxn(unix_seconds, simulated ? "simulated clock set"
                                                  : "simulated clock started");
  });
}

Status SandboxCloud::AdvanceClock(int64_t seconds) {
  if (seconds < 0) return InvalidArgument("sandbox clock cannot move backwards");
  return InTransaction([&]() -> Status {
    return MoveClockInTxn(Now() + seconds,
                          "simulated clock advanced by " + std::to_string(seconds) + "s");
  });
}

Status SandboxCloud::AdvanceClockBy(const std::string& iso_duration) {
  CMK_ASSIGN_OR_RETURN(IsoDuration d, ParseIsoDuration(iso_duration));
  return InTransaction([&]() -> Status {
    return MoveClockInTxn(AddDuration(Now(), d), "simulated clock advanced by " + d.text);
  });
}

Status SandboxCloud::UseRealClock() {
  return InTransaction([&]() -> Status {
    CMK_RETURN_IF_ERROR(store_->DeleteMeta(kMetaClock));
    return Record("sandbox.clock", "clock", "back to real time");
  });
}

Result<std::vector<PendingEvent>> SandboxCloud::ListPendingEvents() {
  return InTransaction([&]() -> Result<std::vector<PendingEvent>> {
    CMK_ASSIGN_OR_RETURN(std::vector<DueEvent> due, CollectDueEventsInTxn());
    std::vector<PendingEvent> out;
    for (const auto& e : due) {
      std::string detail = e.detail;
      if (e.kind == "key.rotate") detail = e.detail + " of version " + e.version;
      out.push_back({e.time, e.kind, e.object, detail});
    }
    return out;
  });
}

}  // namespace cmk
