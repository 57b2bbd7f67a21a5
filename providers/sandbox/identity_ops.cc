// SandboxCloud: user-assigned managed identities and role assignments.
#include <algorithm>

#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


std::string IdentityRowKey(const std::string& sub, const std::string& rg,
                           const std::string& name) {
  return Lower(IdentityArmId(sub, rg, name));
}

Status IdentityNotFound(const std::string& rg, const std::string& name) {
  return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                    "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/" + name +
                        "' under resource group '" + rg + "' was not found.");
}

// Same principal, role and scope: what makes two assignments the same grant.
bool SameGrant(const RoleAssignmentState& a, const RoleAssignmentState& b) {
  return EqualsIgnoreCase(a.scope, b.scope) &&
         Lower(TrailingSegment(a.role_definition_id)) == Lower(TrailingSegment(b.role_definition_id)) &&
         EqualsIgnoreCase(a.principal_id, b.principal_id);
}

}  // namespace

Result<std::optional<IdentityState>> SandboxCloud::GetIdentity(const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<IdentityState>> {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kIdentities,
                                     IdentityRowKey(subscription, resource_group, name)));
    if (!doc) return std::optional<IdentityState>();
    return std::optional<IdentityState>(FromJson<IdentityState>(*doc));
  });
}

Result<std::vector<IdentityState>> SandboxCloud::ListIdentities(const std::string& subscription) {
  return InReadTransaction([&]() -> Result<std::vector<IdentityState>> {
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         subscription.empty()
                             ? store_->List(StoreTable::kIdentities)
                             : store_->FindBy(StoreTable::kIdentities, "subscription", subscription));
    std::vector<IdentityState> out;
    for (const auto& row : rows) out.push_back(FromJson<IdentityState>(row.doc));
    std::sort(out.begin(), out.end(), [](const IdentityState& a, const IdentityState& b) {
      return Lower(a.id) < Lower(b.id);
    });
    return out;
  });
}

Result<IdentityState> SandboxCloud::PutIdentity(const IdentityState& desired) {
  if (desired.name.empty() || desired.subscription.empty() || desired.resource_group.empty())
    return AzureError(StatusCode::kInvalidArgument, "InvalidResourceId",
                      "an identity needs a name, a subscription and a resource group");
  if (desired.location.empty())
    return AzureError(StatusCode::kInvalidArgument, "LocationRequired",
                      "The location property is required for identity '" + desired.name + "'.");
  return InTransaction([&]() -> Result<IdentityState> {
    std::string key = IdentityRowKey(desired.subscription, desired.resource_group, desired.name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kIdentities, key));
    IdentityState i;
    if (doc) {
      i = FromJson<IdentityState>(*doc);
      i.location = desired.location;
      i.tags = desired.tags;
    } else {
      i = desired;
      i.id = IdentityArmId(i.subscription, i.resource_group, i.name);
      CMK_ASSIGN_OR_RETURN(i.principal_id, NewGuid("principal|" + i.id));
      CMK_ASSIGN_OR_RETURN(i.client_id, NewGuid("client|" + i.id));
      i.tenant_id = tenant_id_;
    }
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kIdentities, key, ToJson(i)));
    CMK_RETURN_IF_ERROR(Record(doc ? "identity.update" : "identity.create", "identity/" + i.name,
                               doc ? "updated location/tags"
                                   : "created (principal " + i.principal_id + ")"));
    return i;
  });
}

Status SandboxCloud::DeleteIdentity(const std::string& subscription,
                                    const std::string& resource_group, const std::string& name) {
  return InTransaction([&]() -> Status {
    std::string key = IdentityRowKey(subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kIdentities, key));
    if (!doc) return IdentityNotFound(resource_group, name);
    CMK_RETURN_IF_ERROR(store_->Delete(StoreTable::kIdentities, key));
    CMK_RETURN_IF_ERROR(Record("identity.delete", "identity/" + name, "deleted"));
    return EvaluateAccessInTxn();
  });
}

Result<bool> SandboxCloud::PrincipalExists(const std::string& object_id) {
  if (object_id.empty()) return false;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> foreign,
                       store_->Get(StoreTable::kPrincipals, Lower(object_id)));
  if (foreign) return true;
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> ids,
                       store_->FindBy(StoreTable::kIdentities, "principalId", object_id));
  if (!ids.empty()) return true;
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> accounts,
                       store_->FindBy(StoreTable::kConsumers, "systemPrincipalId", object_id));
  return !accounts.empty();
}

Result<std::optional<RoleAssignmentState>> SandboxCloud::GetRoleAssignment(const std::string& id) {
  return InReadTransaction([&]() -> Result<std::optional<RoleAssignmentState>> {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kRoleAssignments, Lower(id)));
    if (!doc) return std::optional<RoleAssignmentState>();
    return std::optional<RoleAssignmentState>(FromJson<RoleAssignmentState>(*doc));
  });
}

Result<std::vector<RoleAssignmentState>> SandboxCloud::ListRoleAssignments(
    const std::string& scope) {
  return InReadTransaction([&]() -> Result<std::vector<RoleAssignmentState>> {
    // Candidates by the scope's text (everything at or below a scope starts
    // with it), then ARM's segment-aware rule; the root scope covers all.
    const std::string prefix = NormalizedId(scope);  // "" for the root scope "/"
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         prefix.empty()
                             ? store_->List(StoreTable::kRoleAssignments)
                             : store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", prefix));
    std::vector<RoleAssignmentState> out;
    for (const auto& row : rows) {
      RoleAssignmentState r = FromJson<RoleAssignmentState>(row.doc);
      if (UnderScope(r.scope, scope)) out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(),
              [](const RoleAssignmentState& a, const RoleAssignmentState& b) {
                return Lower(a.id) < Lower(b.id);
              });
    return out;
  });
}

Result<RoleAssignmentState> SandboxCloud::PutRoleAssignment(const RoleAssignmentState& desired) {
  if (!LooksLikeGuid(desired.id))
    return AzureError(StatusCode::kInvalidArgument, "InvalidRoleAssignmentId",
                      "The role assignment ID '" + desired.id + "' is not valid: it must be a GUID.");
  if (desired.scope.empty() || desired.scope[0] != '/')
    return AzureError(StatusCode::kInvalidArgument, "InvalidScope",
                      "The scope '" + desired.scope + "' is not a valid ARM id.");
  if (!LooksLikeGuid(Lower(TrailingSegment(desired.role_definition_id))))
    return AzureError(StatusCode::kInvalidArgument, "InvalidRoleDefinitionId",
                      "The role definition ID '" + desired.role_definition_id + "' is not valid.");
  return InTransaction([&]() -> Result<RoleAssignmentState> {
    RoleAssignmentState r = desired;
    r.id = Lower(r.id);
    r.role_definition_id = Lower(TrailingSegment(r.role_definition_id));
    r.principal = PrincipalRef{};
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kRoleAssignments, r.id));
    if (doc) {
      RoleAssignmentState existing = FromJson<RoleAssignmentState>(*doc);
      if (!SameGrant(existing, r))
        return AzureError(StatusCode::kConflict, "RoleAssignmentUpdateNotPermitted",
                          "Tenant ID, application ID, principal ID, and scope are not allowed to "
                          "be updated (role assignment " + r.id + ").");
      if (existing.description == r.description && existing.principal_type == r.principal_type)
        return existing;
      existing.description = r.description;
      existing.principal_type = r.principal_type;
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kRoleAssignments, r.id, ToJson(existing)));
      CMK_RETURN_IF_ERROR(
          Record("role-assignment.update", "role-assignment/" + r.id, "description updated"));
      return existing;
    }
    CMK_ASSIGN_OR_RETURN(bool known, PrincipalExists(r.principal_id));
    if (!known)
      return AzureError(StatusCode::kInvalidArgument, "PrincipalNotFound",
                        "Principal " + r.principal_id + " does not exist in the directory " +
                            tenant_id_ + ".");
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->FindBy(StoreTable::kRoleAssignments, "principalId", r.principal_id));
    for (const auto& row : rows)
      if (SameGrant(FromJson<RoleAssignmentState>(row.doc), r))
        return AzureError(StatusCode::kConflict, "RoleAssignmentExists",
                          "The role assignment already exists (as " + row.key + ").");
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kRoleAssignments, r.id, ToJson(r)));
    CMK_RETURN_IF_ERROR(Record("role-assignment.create", "role-assignment/" + r.id,
                               "role " + r.role_definition_id + " for principal " +
                                   r.principal_id + " at " + r.scope));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());  // a restored role ends an outage
    return r;
  });
}

Status SandboxCloud::DeleteRoleAssignment(const std::string& id) {
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kRoleAssignments, Lower(id)));
    if (!doc)
      return AzureError(StatusCode::kNotFound, "RoleAssignmentNotFound",
                        "The role assignment '" + id + "' is not found.");
    CMK_RETURN_IF_ERROR(store_->Delete(StoreTable::kRoleAssignments, Lower(id)));
    RoleAssignmentState r = FromJson<RoleAssignmentState>(*doc);
    CMK_RETURN_IF_ERROR(Record("role-assignment.delete", "role-assignment/" + r.id,
                               "removed role " + r.role_definition_id + " for principal " +
                                   r.principal_id + " at " + r.scope));
    return EvaluateAccessInTxn();
  });
}

}  // namespace cmk
