// Change: one step of a plan, typed from diff to provider.
//
// Diff decides a change's action, reason and risk and builds the request
// apply will send: a provider request (model/requests.h) or one of the
// engine's version and access steps below, which apply expands into
// provider calls. `before` is the live object the change was computed from;
// rollback builds the inverse request from it. Nothing between diff and the
// provider is JSON: the plan's JSON (plan_codec.h) is only how a plan is
// saved and read back. Plain values; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/refs.h"
#include "model/requests.h"
#include "model/state.h"

namespace cmk {

// kRotate and kDisableVersion act on key versions (apply/apply_versions.h);
// kRepin is a binding update that only moves the key version it is pinned
// to (or unpins it), so retirements can be ordered after it.
// kRecover brings a soft-deleted vault or key back under its name.
enum class Action { kNoOp, kCreate, kUpdate, kReplace, kDelete, kRotate, kDisableVersion, kRepin, kRecover };
enum class Risk { kNone, kLow, kMedium, kHigh };

// Why a change is in the plan; its human line says the details.
enum class ChangeReason {
  kUpToDate,           // "up to date"
  kMissing,            // "not found in rg (subscription s)", "new key", ...
  kDiffers,            // "tags.env, sku differ"
  kAdopt,              // "adopt: add managed-by tag; ..."
  kReplace,            // "replace: kty RSA→EC forces a new key", a replaced principal
  kCreatedElsewhere,   // "exists as GUID, created outside cmkctl"
  kEnableIdentity,     // a consumer's system identity, needed by a binding
  kBind,               // "bind: Microsoft.Storage → key k (auto)"
  kRebind,             // "rebind: key a → key b (auto)"
  kRepin,              // "repin: keyVersion 3f2a… → auto"
  kSwitchIdentity,     // "identity: system → uami"
  kRotate,             // "rotate: generation 2 requested, ..."
  kRetire,             // "disable: version ... superseded by ..."
  kPrune,              // "managed by cmkctl, absent from the manifests ..."
  kRecover,            // "recover: soft-deleted 2026-..., purge scheduled ..."
};

// "no-op", "create", "update", "replace", "delete", "rotate", "disable-version", "repin", "recover".
const char* ActionName(Action action);
std::optional<Action> ActionFromName(const std::string& name);
const char* RiskName(Risk risk);  // "none", "low", "medium", "high"
std::optional<Risk> RiskFromName(const std::string& name);
// "up-to-date", "missing", "differs", "adopt", "replace", "created-elsewhere",
// "enable-identity", "bind", "rebind", "repin", "switch-identity", "rotate",
// "retire", "prune", "recover".
const char* ChangeReasonName(ChangeReason reason);
std::optional<ChangeReason> ChangeReasonFromName(const std::string& name);

// A manual rotation requested by `rotation.generation`: apply re-reads the
// key and rotates only when no version carries `generation` yet.
struct RotateToGeneration {
  KeyRef key;
  int64_t generation = 0;
};

// A consumer that uses a key, as a retirement re-reads it.
struct ConsumerAccount {
  ConsumerRef consumer;
};

// Retiring an old version: apply re-reads every consumer's evidence, runs a
// canary on the versions they use, then disables (or expires) `version`.
struct RetireVersion {
  KeyRef key;
  std::string version;
  std::string action = "disable";  // disable | expire
  std::vector<ConsumerAccount> consumers;
  std::vector<std::string> canary_versions;  // sorted
};

// How apply finds a principal id that is unknown at plan time: the
// user-assigned identity, or a consumer's system-assigned identity.
struct PrincipalLookup {
  std::optional<ArmRef> identity;
  std::optional<ConsumerRef> consumer;
};

// A role assignment; `principal` is set when assignment.principal_id is
// known only after earlier changes apply.
struct GrantRole {
  RoleAssignmentState assignment;
  PrincipalLookup principal;
};

using Request = std::variant<PutVault, DeleteVault, CreateKey, UpdateKey, DeleteKey, PutRotationPolicy,
                             RotateToGeneration, RetireVersion, PutIdentity, DeleteIdentity, GrantRole,
                             DeleteRoleAssignment, EnableSystemIdentity, UpdateConsumerEncryption,
                             RecoverVault, RecoverKey>;
// "put-vault", "delete-vault", "create-key", ...: the `op` of a saved request.
const char* RequestOp(const Request& request);
// The key a request is about: a key's own requests, its versions' and
// policy's, a binding's key, a role assignment scoped to one key; nullopt
// for the rest. Hooks get it as cmk.change.key and cmk.change.vault.
std::optional<KeyRef> KeyOfRequest(const Request& request);

// Live objects a change can be computed from, as the plan records them.
struct KeyPolicy {
  KeyRef key;
  RotationPolicyState policy;
};
struct KeyNewest {  // a rotation: the version that was newest
  KeyRef key;
  std::string newest;
};
struct ConsumerEncryption {  // a binding: the consumer's encryption, with its evidence
  ConsumerRef consumer;
  EncryptionState encryption;
};
using LiveObject = std::variant<std::monostate, VaultState, KeyState, KeyVersionState, KeyPolicy,
                                KeyNewest, IdentityState, RoleAssignmentState, ConsumerEncryption>;

struct FieldChange {
  std::string path;  // "tags.env", "networkAcls.defaultAction"
  Json before;       // null when the member is absent
  Json after;
};

struct Change {
  // "vault/bank-kv", "key/bank-cmk", "key/bank-cmk/rotation-policy",
  // "identity/x", "role-assignment/x", "binding/x", "storage/acct/identity".
  std::string address;
  Kind kind = Kind::kVault;
  Action action = Action::kNoOp;
  ChangeReason reason_code = ChangeReason::kUpToDate;
  std::string reason;  // one human line
  Risk risk = Risk::kNone;
  std::string owner;
  std::string source;  // "file:line:col" of the manifest document; "" for prune
  Request request;     // what apply sends (the desired object for a no-op)
  LiveObject before;   // what it was computed from (monostate for a create)
  std::vector<FieldChange> fields;      // update/replace, sorted by path
  std::vector<std::string> depends_on;  // addresses, sorted
  std::vector<std::string> hooks;       // names of matching hooks, sorted
};

// The JSON of the request's own members (no `op`): what `plan` shows for a
// create and what hooks see as cmk.change.after. Defined in plan_codec.cc.
Json RequestPayload(const Request& request);
Json LiveObjectJson(const LiveObject& before);

}  // namespace cmk
