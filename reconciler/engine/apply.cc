#include "engine/apply.h"

#include "engine/apply_run.h"
#include "engine/apply_versions.h"
#include "model/codec.h"

namespace cmk {
namespace {

Status ApplyVault(const Change& c, Provider& p) {
  if (c.action == Action::kDelete) return p.DeleteVault(FromJson<VaultState>(c.before));
  if (c.action == Action::kReplace) return Internal("a vault is never replaced");
  return p.PutVault(FromJson<VaultState>(c.after)).status();
}

// Idempotent create: after a crash between CreateKey and the next change the
// key exists; creating again would add a second version.
Status ApplyKey(const Change& c, Provider& p) {
  if (c.action == Action::kDelete) {
    KeyState k = FromJson<KeyState>(c.before);
    return p.DeleteKey(k.vault, k.name);
  }
  if (c.action == Action::kReplace) return Internal("a key is never replaced");
  KeyState want = FromJson<KeyState>(c.after);
  if (c.action == Action::kCreate) {
    CMK_ASSIGN_OR_RETURN(std::optional<KeyState> existing, p.GetKey(want.vault, want.name));
    if (!existing) return p.CreateKey(want).status();
  }
  return p.UpdateKey(want).status();
}

Status ApplyRotationPolicy(const Change& c, Provider& p) {
  if (c.action == Action::kDelete) return Internal("rotation policies are not deleted");
  RotationPolicyState policy =
      FromJson<RotationPolicyState>(c.after.is_object() && c.after.contains("policy") ? c.after["policy"]
                                                                              : Json());
  return p.PutRotationPolicy(JsonString(c.after, "vault"), JsonString(c.after, "key"), policy);
}

Status ApplyIdentity(const Change& c, Provider& p) {
  if (c.action == Action::kDelete || c.action == Action::kReplace)
    CMK_RETURN_IF_ERROR(p.DeleteIdentity(FromJson<IdentityState>(c.before)));
  if (c.action == Action::kDelete) return Status::Ok();
  return p.PutIdentity(FromJson<IdentityState>(c.after)).status();
}

Result<std::string> ResolvePrincipal(const Json& resolve, Provider& p) {
  if (resolve.contains("identity")) {
    const Json& r = resolve["identity"];
    CMK_ASSIGN_OR_RETURN(std::optional<IdentityState> i,
                         p.GetIdentity(JsonString(r, "subscription"), JsonString(r, "resourceGroup"), JsonString(r, "name")));
    if (!i || i->principal_id.empty())
      return NotFound("identity/" + JsonString(r, "name") + " has no principal id yet");
    return i->principal_id;
  }
  if (resolve.contains("storageAccount")) {
    const Json& r = resolve["storageAccount"];
    CMK_ASSIGN_OR_RETURN(std::optional<StorageAccountState> s,
                         p.GetStorageAccount(JsonString(r, "subscription"), JsonString(r, "resourceGroup"),
                                             JsonString(r, "name")));
    if (!s || s->system_principal_id.empty())
      return NotFound("storage/" + JsonString(r, "name") + " has no system-assigned identity");
    return s->system_principal_id;
  }
  return InvalidArgument("the plan does not say how to find the principal");
}

Status ApplyRoleAssignment(const Change& c, Provider& p) {
  if (c.action == Action::kDelete || c.action == Action::kReplace)
    CMK_RETURN_IF_ERROR(p.DeleteRoleAssignment(FromJson<RoleAssignmentState>(c.before)));
  if (c.action == Action::kDelete) return Status::Ok();
  RoleAssignmentState want = FromJson<RoleAssignmentState>(c.after);
  if (want.principal_id.empty()) {
    Json resolve = c.after.is_object() && c.after.contains("resolvePrincipal")
                       ? c.after["resolvePrincipal"]
                       : Json::object();
    CMK_ASSIGN_OR_RETURN(want.principal_id, ResolvePrincipal(resolve, p));
  }
  return p.PutRoleAssignment(want).status();
}

Status ApplyStorage(const Change& c, Provider& p) {
  bool identity_change = c.address.rfind("storage/", 0) == 0;
  if (identity_change)
    return p.EnableSystemIdentity(JsonString(c.after, "subscription"), JsonString(c.after, "resourceGroup"),
                                  JsonString(c.after, "name"))
        .status();
  if (c.action == Action::kDelete) return Internal("bindings are not deleted");
  EncryptionState e = FromJson<EncryptionState>(c.after.is_object() && c.after.contains("encryption")
                                             ? c.after["encryption"]
                                             : Json());
  return p.UpdateStorageEncryption(JsonString(c.after, "subscription"), JsonString(c.after, "resourceGroup"),
                                   JsonString(c.after, "storageAccount"), e)
      .status();
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplied: return "applied";
    case Outcome::kFailed: return "failed";
    case Outcome::kSkipped: return "skipped";
    case Outcome::kNotAttempted: return "not attempted";
    case Outcome::kRolledBack: return "rolled back";
    case Outcome::kRollbackFailed: return "rollback failed";
    case Outcome::kSkippedByHook: return "skipped";
  }
  return "?";
}

Status ApplyChange(const Change& c, Provider& provider, const VersionCanary& canary) {
  if (c.action == Action::kRotate || c.action == Action::kDisableVersion)
    return ApplyVersionChange(c, provider, canary);
  switch (c.kind) {
    case Kind::kVault: return ApplyVault(c, provider);
    case Kind::kKey: return ApplyKey(c, provider);
    case Kind::kRotationPolicy: return ApplyRotationPolicy(c, provider);
    case Kind::kIdentity: return ApplyIdentity(c, provider);
    case Kind::kRoleAssignment: return ApplyRoleAssignment(c, provider);
    case Kind::kStorageCmkBinding: return ApplyStorage(c, provider);
    case Kind::kHook: break;
  }
  return Internal(c.address + ": nothing to apply for kind " + KindName(c.kind));
}

ApplyResult Apply(const Plan& plan, Provider& provider, ApplyObserver* observer,
                  const ApplyOptions& options) {
  ApplyRun run(plan, provider, observer, options);
  return run.Run();
}

}  // namespace cmk
