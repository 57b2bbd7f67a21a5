#include "engine/rollback.h"

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

RevertResult NoInverse(std::string why) {
  return RevertResult{RevertKind::kNoInverse, "no safe inverse: " + std::move(why), Status::Ok()};
}

// `what` completes "reverted ..." / "reverting ... failed".
RevertResult Done(const Status& status, const std::string& what) {
  if (status.ok()) return RevertResult{RevertKind::kReverted, "reverted " + what, Status::Ok()};
  return RevertResult{RevertKind::kFailed, "reverting " + what + " failed: " + status.message(),
                      status};
}

std::string VersionWord(const std::string& v) { return v.empty() ? "auto" : ShortenVersions(v); }

// What a binding revert changes, in the plan's reason style.
std::string EncryptionMove(const EncryptionState& from, const EncryptionState& to) {
  const std::string arrow = " \xE2\x86\x92 ";
  if (EqualsIgnoreCase(to.key_source, "Microsoft.Storage"))
    return "encryption key " + from.key_name + " (" + VersionWord(from.key_version) + ")" + arrow +
           "Microsoft.Storage";
  if (!EqualsIgnoreCase(from.key_source, to.key_source))
    return "encryption " + from.key_source + arrow + "key " + to.key_name + " (" +
           VersionWord(to.key_version) + ")";
  if (!EqualsIgnoreCase(from.key_name, to.key_name) || !SameUri(from.key_vault_uri, to.key_vault_uri))
    return "key " + from.key_name + arrow + to.key_name + " (" + VersionWord(to.key_version) + ")";
  if (!EqualsIgnoreCase(from.key_version, to.key_version))
    return "keyVersion " + VersionWord(from.key_version) + arrow + VersionWord(to.key_version);
  return "identity " + (from.user_assigned_identity.empty() ? "system" : TrailingSegment(from.user_assigned_identity)) +
         arrow + (to.user_assigned_identity.empty() ? "system" : TrailingSegment(to.user_assigned_identity));
}

RevertResult RevertBinding(const Change& c, Provider& p) {
  if (c.address.rfind("storage/", 0) == 0)
    return NoInverse("the system-assigned identity of " + JsonString(c.after, "name") +
                     " stays on (turning it off would orphan its role assignments)");
  if (c.action != Action::kUpdate && c.action != Action::kCreate && c.action != Action::kRepin)
    return NoInverse(c.address + " was not bound by this change");
  if (!c.before.is_object() || !c.before.contains("encryption"))
    return NoInverse("the plan does not record " + c.address + "'s previous encryption");
  EncryptionState previous = FromJson<EncryptionState>(c.before["encryption"]);
  previous.current_versioned_key_id.clear();  // read-only evidence, not a setting
  previous.last_key_rotation_timestamp.clear();
  EncryptionState applied = FromJson<EncryptionState>(JsonMember(c.after, "encryption"));
  Status s = p.UpdateStorageEncryption(JsonString(c.before, "subscription"), JsonString(c.before, "resourceGroup"),
                                       JsonString(c.before, "storageAccount"), previous)
                 .status();
  return Done(s, EncryptionMove(applied, previous));
}

RevertResult RevertKey(const Change& c, Provider& p) {
  if (c.action == Action::kCreate)
    return NoInverse("key " + JsonString(c.after, "name") +
                     " was created; a key (or key version) cannot be un-created, and deleting it "
                     "would leave a soft-deleted name");
  if (c.action != Action::kUpdate) return NoInverse(c.address + " cannot be restored by cmkctl");
  KeyState previous = FromJson<KeyState>(c.before);
  std::string what = "the attributes of " + c.address;
  for (const auto& f : c.fields)
    if (f.path == "enabled") what += previous.enabled ? " (enabled again)" : " (disabled again)";
  return Done(p.UpdateKey(previous).status(), what);
}

// Version actions (apply_versions.h): a rotation made a new version, which
// cannot be un-created; a retired version gets its previous attributes back.
RevertResult RevertVersionChange(const Change& c, Provider& p) {
  const std::string vault = JsonString(c.after, "vault"), key = JsonString(c.after, "key");
  if (c.action == Action::kRotate)
    return NoInverse("key " + key +
                     " was rotated; a new key version cannot be un-created (the previous version "
                     "stays enabled)");
  if (!c.before.is_object() || !c.before.contains("version"))
    return NoInverse("the plan does not record the previous attributes of the retired version");
  KeyVersionState previous = FromJson<KeyVersionState>(c.before);
  return Done(p.UpdateKeyVersion(vault, key, previous),
              "version " + ShortenVersions(previous.version) + " of key " + key + " (" +
                  (previous.enabled ? "enabled" : "disabled") + " again)");
}

RevertResult RevertRotationPolicy(const Change& c, Provider& p) {
  if (c.before.is_null() || !c.before.contains("policy"))
    return NoInverse(JsonString(c.after, "key") +
                     " had no rotation policy before; Key Vault cannot remove one, so the new "
                     "policy stays");
  RotationPolicyState previous = FromJson<RotationPolicyState>(c.before["policy"]);
  return Done(p.PutRotationPolicy(JsonString(c.before, "vault"), JsonString(c.before, "key"), previous),
              "the previous rotation policy of key " + JsonString(c.before, "key"));
}

RevertResult RevertVault(const Change& c, Provider& p) {
  if (c.action == Action::kCreate)
    return NoInverse("vault " + JsonString(c.after, "name") +
                     " was created; deleting it would leave a soft-deleted name, and cmkctl never "
                     "purges");
  if (c.action != Action::kUpdate) return NoInverse(c.address + " cannot be restored by cmkctl");
  VaultState previous = FromJson<VaultState>(c.before);
  VaultState applied = FromJson<VaultState>(c.after);
  std::string what = "the previous settings of " + c.address;
  if (applied.purge_protection && !previous.purge_protection) {
    previous.purge_protection = true;  // Azure never turns it off again
    what += " (purge protection stays on: it cannot be disabled)";
  }
  previous.soft_delete_retention_days = applied.soft_delete_retention_days;
  return Done(p.PutVault(previous).status(), what);
}

RevertResult RevertIdentity(const Change& c, Provider& p) {
  if (c.action == Action::kCreate)
    return NoInverse("identity " + JsonString(c.after, "name") +
                     " was created; deleting it could orphan principals that already use it");
  if (c.action != Action::kUpdate)
    return NoInverse(c.address + " was replaced or deleted; its principal id cannot be restored");
  return Done(p.PutIdentity(FromJson<IdentityState>(c.before)).status(),
              "the previous settings of " + c.address);
}

RevertResult RevertRoleAssignment(const Change& c, Provider& p) {
  if (c.action != Action::kCreate)
    return NoInverse(c.address + " was " + ActionName(c.action) +
                     "d; only a new role assignment is removed");
  RoleAssignmentState created = FromJson<RoleAssignmentState>(c.after);
  return Done(p.DeleteRoleAssignment(created), c.address + " (the new assignment was removed)");
}

}  // namespace

RevertResult Revert(const Change& change, Provider& provider) {
  if (change.action == Action::kDelete)
    return NoInverse(change.address + " was deleted; cmkctl does not recover deleted objects");
  if (change.action == Action::kRotate || change.action == Action::kDisableVersion)
    return RevertVersionChange(change, provider);
  switch (change.kind) {
    case Kind::kVault: return RevertVault(change, provider);
    case Kind::kKey: return RevertKey(change, provider);
    case Kind::kRotationPolicy: return RevertRotationPolicy(change, provider);
    case Kind::kIdentity: return RevertIdentity(change, provider);
    case Kind::kRoleAssignment: return RevertRoleAssignment(change, provider);
    case Kind::kStorageCmkBinding: return RevertBinding(change, provider);
    case Kind::kHook: break;
  }
  return NoInverse(change.address + " has nothing to revert");
}

}  // namespace cmk
