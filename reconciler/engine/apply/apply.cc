#include "engine/apply/apply.h"

#include "engine/apply/apply_run.h"
#include "engine/apply/apply_versions.h"

namespace cmk {
namespace {

// Sends one change's request. Each overload is what apply does for one kind
// of request; the change's action and `before` matter only for replaces.
class Sender {
 public:
  Sender(const Change& change, Provider& provider, const VersionCanary& canary)
      : change_(change), p_(provider), canary_(canary) {}

  Status operator()(const PutVault& r) {
    if (change_.action == Action::kReplace) return Internal("a vault is never replaced");
    return p_.PutVault(r).status();
  }
  Status operator()(const DeleteVault& r) { return p_.DeleteVault(r); }
  // Idempotent: after a crash between CreateKey and the next change the key
  // exists; creating it again would add a second version.
  Status operator()(const CreateKey& r) {
    CMK_ASSIGN_OR_RETURN(std::optional<KeyState> existing, p_.GetKey(KeyRef{r.key.vault, r.key.name}));
    if (!existing) return p_.CreateKey(r).status();
    return p_.UpdateKey(UpdateKey{r.key}).status();
  }
  Status operator()(const UpdateKey& r) {
    if (change_.action == Action::kReplace) return Internal("a key is never replaced");
    return p_.UpdateKey(r).status();
  }
  Status operator()(const DeleteKey& r) { return p_.DeleteKey(r); }
  Status operator()(const PutRotationPolicy& r) { return p_.PutRotationPolicy(r); }
  Status operator()(const RotateToGeneration& r) { return ApplyRotation(r, p_); }
  Status operator()(const RetireVersion& r) { return ApplyRetirement(r, p_, canary_); }
  Status operator()(const PutIdentity& r) {
    if (change_.action == Action::kReplace) {
      const auto* old = std::get_if<IdentityState>(&change_.before);
      if (old == nullptr) return Internal(change_.address + ": a replace without the identity it replaces");
      CMK_RETURN_IF_ERROR(p_.DeleteIdentity(DeleteIdentity{ArmRef{old->subscription, old->resource_group, old->name}}));
    }
    return p_.PutIdentity(r).status();
  }
  Status operator()(const DeleteIdentity& r) { return p_.DeleteIdentity(r); }
  Status operator()(const GrantRole& r) {
    if (change_.action == Action::kReplace) {
      const auto* old = std::get_if<RoleAssignmentState>(&change_.before);
      if (old == nullptr) return Internal(change_.address + ": a replace without the assignment it replaces");
      CMK_RETURN_IF_ERROR(p_.DeleteRoleAssignment(DeleteRoleAssignment{old->scope, old->id}));
    }
    RoleAssignmentState want = r.assignment;
    if (want.principal_id.empty()) {
      CMK_ASSIGN_OR_RETURN(want.principal_id, ResolvePrincipal(r.principal));
    }
    return p_.PutRoleAssignment(PutRoleAssignment{want}).status();
  }
  Status operator()(const DeleteRoleAssignment& r) { return p_.DeleteRoleAssignment(r); }
  Status operator()(const EnableSystemIdentity& r) { return p_.EnableSystemIdentity(r).status(); }
  Status operator()(const UpdateConsumerEncryption& r) { return p_.UpdateConsumerEncryption(r).status(); }
  Status operator()(const RecoverVault& r) { return p_.RecoverVault(r).status(); }
  Status operator()(const RecoverKey& r) { return p_.RecoverKey(r).status(); }

 private:
  Result<std::string> ResolvePrincipal(const PrincipalLookup& lookup) {
    if (lookup.identity) {
      CMK_ASSIGN_OR_RETURN(std::optional<IdentityState> i, p_.GetIdentity(*lookup.identity));
      if (!i || i->principal_id.empty())
        return NotFound("identity/" + lookup.identity->name + " has no principal id yet");
      return i->principal_id;
    }
    if (lookup.consumer) {
      CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> s, p_.GetConsumer(*lookup.consumer));
      if (!s || s->system_principal_id.empty())
        return NotFound(ConsumerAddress(lookup.consumer->kind, lookup.consumer->name) +
                        " has no system-assigned identity");
      return s->system_principal_id;
    }
    return InvalidArgument("the plan does not say how to find the principal");
  }

  const Change& change_;
  Provider& p_;
  const VersionCanary& canary_;
};

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
  if (c.action == Action::kNoOp) return Status::Ok();
  Sender send(c, provider, canary);
  return std::visit(send, c.request);
}

ApplyResult Apply(const Plan& plan, Provider& provider, ApplyObserver* observer,
                  const ApplyOptions& options) {
  ApplyRun run(plan, provider, observer, options);
  return run.Run();
}

}  // namespace cmk
