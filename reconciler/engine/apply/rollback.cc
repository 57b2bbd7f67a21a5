#include "engine/apply/rollback.h"

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

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

// Builds and sends the inverse of one applied change from its `before`.
class Reverter {
 public:
  Reverter(const Change& change, Provider& provider) : c_(change), p_(provider) {}

  RevertResult operator()(const UpdateConsumerEncryption& applied) {
    if (c_.action != Action::kUpdate && c_.action != Action::kCreate && c_.action != Action::kRepin)
      return NoInverse(c_.address + " was not bound by this change");
    const auto* before = std::get_if<ConsumerEncryption>(&c_.before);
    if (before == nullptr)
      return NoInverse("the plan does not record " + c_.address + "'s previous encryption");
    EncryptionState previous = before->encryption;
    previous.current_versioned_key_id.clear();  // read-only evidence, not a setting
    previous.last_key_rotation_timestamp.clear();
    Status s = p_.UpdateConsumerEncryption(UpdateConsumerEncryption{before->consumer, previous}).status();
    return Done(s, EncryptionMove(applied.encryption, previous));
  }
  RevertResult operator()(const RecoverVault& r) {
    return NoInverse("vault " + r.vault.name + " was recovered; deleting it again would be a destroy");
  }
  RevertResult operator()(const RecoverKey& r) {
    return NoInverse("key " + r.key.name + " was recovered; deleting it again would be a destroy");
  }
  RevertResult operator()(const EnableSystemIdentity& r) {
    return NoInverse("the system-assigned identity of " + ConsumerAddress(r.consumer.kind, r.consumer.name) +
                     " stays on (turning it off would orphan its role assignments)");
  }
  RevertResult operator()(const CreateKey& r) {
    return NoInverse("key " + r.key.name +
                     " was created; a key (or key version) cannot be un-created, and deleting it "
                     "would leave a soft-deleted name");
  }
  RevertResult operator()(const UpdateKey&) {
    const auto* previous = std::get_if<KeyState>(&c_.before);
    if (c_.action != Action::kUpdate || previous == nullptr)
      return NoInverse(c_.address + " cannot be restored by cmkctl");
    std::string what = "the attributes of " + c_.address;
    for (const auto& f : c_.fields)
      if (f.path == "enabled") what += previous->enabled ? " (enabled again)" : " (disabled again)";
    return Done(p_.UpdateKey(UpdateKey{*previous}).status(), what);
  }
  // A rotation made a new version, which cannot be un-created.
  RevertResult operator()(const RotateToGeneration& r) {
    return NoInverse("key " + r.key.name +
                     " was rotated; a new key version cannot be un-created (the previous version "
                     "stays enabled)");
  }
  // A retired version gets its previous attributes back.
  RevertResult operator()(const RetireVersion& r) {
    const auto* previous = std::get_if<KeyVersionState>(&c_.before);
    if (previous == nullptr)
      return NoInverse("the plan does not record the previous attributes of the retired version");
    return Done(p_.UpdateKeyVersion(UpdateKeyVersion{r.key, *previous}),
                "version " + ShortenVersions(previous->version) + " of key " + r.key.name + " (" +
                    (previous->enabled ? "enabled" : "disabled") + " again)");
  }
  RevertResult operator()(const PutRotationPolicy& r) {
    const auto* previous = std::get_if<KeyPolicy>(&c_.before);
    if (previous == nullptr)
      return NoInverse(r.key.name +
                       " had no rotation policy before; Key Vault cannot remove one, so the new "
                       "policy stays");
    return Done(p_.PutRotationPolicy(PutRotationPolicy{previous->key, previous->policy}),
                "the previous rotation policy of key " + previous->key.name);
  }
  RevertResult operator()(const PutVault& applied) {
    if (c_.action == Action::kCreate)
      return NoInverse("vault " + applied.vault.name +
                       " was created; deleting it would leave a soft-deleted name, and cmkctl never "
                       "purges");
    const auto* before = std::get_if<VaultState>(&c_.before);
    if (c_.action != Action::kUpdate || before == nullptr)
      return NoInverse(c_.address + " cannot be restored by cmkctl");
    VaultState previous = *before;
    std::string what = "the previous settings of " + c_.address;
    if (applied.vault.purge_protection && !previous.purge_protection) {
      previous.purge_protection = true;  // Azure never turns it off again
      what += " (purge protection stays on: it cannot be disabled)";
    }
    previous.soft_delete_retention_days = applied.vault.soft_delete_retention_days;
    return Done(p_.PutVault(PutVault{previous}).status(), what);
  }
  RevertResult operator()(const PutIdentity& applied) {
    if (c_.action == Action::kCreate)
      return NoInverse("identity " + applied.identity.name +
                       " was created; deleting it could orphan principals that already use it");
    const auto* previous = std::get_if<IdentityState>(&c_.before);
    if (c_.action != Action::kUpdate || previous == nullptr)
      return NoInverse(c_.address + " was replaced or deleted; its principal id cannot be restored");
    return Done(p_.PutIdentity(PutIdentity{*previous}).status(), "the previous settings of " + c_.address);
  }
  RevertResult operator()(const GrantRole& applied) {
    if (c_.action != Action::kCreate)
      return NoInverse(c_.address + " was " + ActionName(c_.action) +
                       "d; only a new role assignment is removed");
    return Done(p_.DeleteRoleAssignment(
                    DeleteRoleAssignment{applied.assignment.scope, applied.assignment.id}),
                c_.address + " (the new assignment was removed)");
  }
  // Deletes: checked before the visit (cmkctl does not recover deleted objects).
  template <typename R>
  RevertResult operator()(const R&) {
    return NoInverse(c_.address + " has nothing to revert");
  }

 private:
  const Change& c_;
  Provider& p_;
};

}  // namespace

RevertResult Revert(const Change& change, Provider& provider) {
  if (change.action == Action::kDelete)
    return NoInverse(change.address + " was deleted; cmkctl does not recover deleted objects");
  return std::visit(Reverter(change, provider), change.request);
}

}  // namespace cmk
