// ARM Microsoft.ManagedIdentity/userAssignedIdentities.
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

Json IdentityJson(const IdentityState& i, const std::string& api_version) {
  Json props{{"tenantId", i.tenant_id}, {"principalId", i.principal_id}, {"clientId", i.client_id}};
  // Members added by the 2026 api-versions.
  if (api_version >= "2026-04-30") {
    props["isolationScope"] = "None";
    props["assignmentRestrictions"] = Json{{"providers", Json::array()}};
  }
  return Json{{"id", i.id.empty() ? IdentityArmId(i.subscription, i.resource_group, i.name) : i.id},
              {"name", i.name},
              {"type", "Microsoft.ManagedIdentity/userAssignedIdentities"},
              {"location", i.location},
              {"tags", i.tags},
              {"properties", props}};
}

}  // namespace

ServerResponse ServerCore::ArmIdentities(Ctx& c, const std::string& sub, const std::string& rg,
                                       const std::string& name) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET")
      return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    auto all = cloud_->ListIdentities(sub);
    if (!all.ok()) return ArmError(all.status());
    std::vector<IdentityState> list;
    for (auto& i : *all)
      if (rg.empty() || EqualsIgnoreCase(i.resource_group, rg)) list.push_back(std::move(i));
    auto page = Paginate(c, list.size(), "$top", 1000, 1000);
    if (!page.ok()) return ArmError(page.status());
    Json items = Json::array();
    for (size_t i = page->begin; i < page->end; ++i) items.push_back(IdentityJson(list[i], c.api_version));
    Json body{{"value", items}};
    if (!page->next_link.is_null()) body["nextLink"] = page->next_link;
    return JsonResponse(200, body);
  }
  auto existing = cloud_->GetIdentity(sub, rg, name);
  if (!existing.ok()) return ArmError(existing.status());
  auto not_found = [&] {
    return ArmError(404, "ResourceNotFound",
                    "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/" + name +
                        "' under resource group '" + rg + "' was not found.");
  };
  if (m == "GET") return *existing ? JsonResponse(200, IdentityJson(**existing, c.api_version)) : not_found();
  if (m == "DELETE") {
    if (!*existing) {
      ServerResponse r;
      r.status = 204;
      return r;
    }
    Status st = cloud_->DeleteIdentity(sub, rg, name);
    if (!st.ok()) return ArmError(st);
    return JsonResponse(200, nullptr);
  }
  if (m != "PUT" && m != "PATCH")
    return ArmError(405, "MethodNotAllowed",
                    "The requested resource does not support http method '" + m + "'.");
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  static const std::vector<FieldRule> kIdentityRules = {
      {"location", JType::kString}, {"tags", JType::kObject}, {"tags.*", JType::kString}};
  if (auto wrong = CheckFields(*body, kIdentityRules)) return ArmFieldError(*wrong);
  if (m == "PATCH" && !*existing) return not_found();
  IdentityState desired;
  if (*existing) {
    desired = **existing;
  } else {
    desired.name = name;
    desired.subscription = sub;
    desired.resource_group = rg;
  }
  if (auto loc = JString(*body, "location"); !loc.empty()) desired.location = loc;
  if (body->contains("tags")) desired.tags = JTags(*body, "tags");
  auto put = cloud_->PutIdentity(desired);
  if (!put.ok()) return ArmError(put.status());
  return JsonResponse(*existing ? 200 : 201, IdentityJson(*put, c.api_version));
}

}  // namespace cmk
