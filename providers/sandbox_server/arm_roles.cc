// ARM Microsoft.Authorization/roleAssignments at any scope: PUT/GET/DELETE by
// scope and name, and list for a scope with $filter atScope() or
// principalId eq '{id}'.
#include <algorithm>

#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "base/strings.h"

namespace cmk {
namespace {

// `target` is `scope` or below it (ARM ids, case-insensitive, by segment).
bool Covers(const std::string& scope, const std::string& target) {
  std::string s = Lower(scope), t = Lower(target);
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.empty() || s == "/") return true;
  if (t.compare(0, s.size(), s) != 0) return false;
  return t.size() == s.size() || t[s.size()] == '/';
}

std::string AssignmentId(const std::string& scope, const std::string& name) {
  return (scope == "/" ? "" : scope) + "/providers/Microsoft.Authorization/roleAssignments/" + name;
}

Json AssignmentJson(const RoleAssignmentState& r) {
  std::vector<std::string> p = SplitPath(r.scope);
  std::string def = (p.size() >= 2 && EqualsIgnoreCase(p[0], "subscriptions") ? "/subscriptions/" + p[1] : "") +
                    "/providers/Microsoft.Authorization/roleDefinitions/" + r.role_definition_id;
  Json props{{"roleDefinitionId", def},
             {"principalId", r.principal_id},
             {"principalType", r.principal_type},
             {"scope", r.scope}};
  if (!r.description.empty()) props["description"] = r.description;
  return Json{{"id", AssignmentId(r.scope, r.id)},
              {"name", r.id},
              {"type", "Microsoft.Authorization/roleAssignments"},
              {"properties", props}};
}

// "principalId eq 'abc'" -> "abc"; "" when the filter is something else.
std::string PrincipalFilter(const std::string& filter) {
  std::string f = Lower(filter);
  const std::string prefix = "principalid eq ";
  if (f.rfind(prefix, 0) != 0) return "";
  std::string v = filter.substr(prefix.size());
  while (!v.empty() && (v.front() == '\'' || v.front() == ' ')) v.erase(v.begin());
  while (!v.empty() && (v.back() == '\'' || v.back() == ' ')) v.pop_back();
  return v;
}

}  // namespace

ServerResponse ServerCore::ArmRoleAssignments(Ctx& c, const std::string& scope,
                                            const std::string& name) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    auto all = cloud_->ListRoleAssignments("/");
    if (!all.ok()) return ArmError(all.status());
    std::string filter = c.req.Query("$filter");
    std::string principal = PrincipalFilter(filter);
    bool at_scope = Lower(filter).find("atscope()") != std::string::npos;
    std::vector<RoleAssignmentState> list;
    for (auto& r : *all) {
      bool above = Covers(r.scope, scope), below = Covers(scope, r.scope);
      bool keep = at_scope ? above : (above || below);
      if (!principal.empty() && !EqualsIgnoreCase(r.principal_id, principal)) keep = false;
      if (keep) list.push_back(std::move(r));
    }
    auto page = Paginate(c, list.size(), "$top", 1000, 1000);
    if (!page.ok()) return ArmError(page.status());
    Json items = Json::array();
    for (size_t i = page->begin; i < page->end; ++i) items.push_back(AssignmentJson(list[i]));
    Json body{{"value", items}};
    if (!page->next_link.is_null()) body["nextLink"] = page->next_link;
    return JsonResponse(200, body);
  }

  auto existing = cloud_->GetRoleAssignment(name);
  if (!existing.ok()) return ArmError(existing.status());
  bool here = *existing && EqualsIgnoreCase((*existing)->scope, scope);
  if (m == "GET") {
    if (!here)
      return ArmError(404, "RoleAssignmentNotFound",
                      "The role assignment '" + name + "' is not found.");
    return JsonResponse(200, AssignmentJson(**existing));
  }
  if (m == "DELETE") {
    if (!here) {
      ServerResponse r;
      r.status = 204;
      return r;
    }
    Json body = AssignmentJson(**existing);
    Status st = cloud_->DeleteRoleAssignment(name);
    if (!st.ok()) return ArmError(st);
    return JsonResponse(200, body);
  }
  if (m != "PUT")
    return ArmError(405, "MethodNotAllowed",
                    "The requested resource does not support http method '" + m + "'.");
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  static const std::vector<FieldRule> kAssignmentRules = {
      {"properties", JType::kObject},
      {"properties.roleDefinitionId", JType::kString},
      {"properties.principalId", JType::kString},
      {"properties.principalType", JType::kString},
      {"properties.description", JType::kString},
      {"properties.condition", JType::kString},
      {"properties.conditionVersion", JType::kString},
  };
  if (auto wrong = CheckFields(*body, kAssignmentRules)) return ArmFieldError(*wrong);
  const Json& p = JObject(*body, "properties");
  RoleAssignmentState r;
  r.id = name;
  r.scope = scope;
  r.role_definition_id = JString(p, "roleDefinitionId");
  r.principal_id = JString(p, "principalId");
  r.principal_type = JString(p, "principalType", "User");
  r.description = JString(p, "description");
  r.name = ManagedNameFromDescription(r.description);
  if (r.role_definition_id.empty() || r.principal_id.empty())
    return ArmError(400, "InvalidRoleAssignmentRequest",
                    "The properties 'roleDefinitionId' and 'principalId' are required.");
  auto put = cloud_->PutRoleAssignment(r);
  if (!put.ok()) return ArmError(put.status());
  return JsonResponse(*existing ? 200 : 201, AssignmentJson(*put));
}

}  // namespace cmk
