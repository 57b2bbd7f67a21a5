// ARM Microsoft.KeyVault: vaults (create/update incl. createMode recover,
// PATCH, GET, DELETE, lists), deleted vaults (list, get, purge) and the
// operation resources of asynchronous creates.
#include <algorithm>
#include <limits>

#include "base/duration.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

ServerResponse MethodNotAllowed(const std::string& method) {
  return ArmError(405, "MethodNotAllowed",
                  "The requested resource does not support http method '" + method + "'.");
}

ServerResponse VaultNotFound(const std::string& rg, const std::string& name) {
  return ArmError(404, "ResourceNotFound",
                  "The Resource 'Microsoft.KeyVault/vaults/" + name + "' under resource group '" +
                      rg + "' was not found.");
}

// The members a vault PUT/PATCH may carry, with their JSON types (ARM's
// Microsoft.KeyVault/vaults schema; unknown members are ignored, as ARM
// does).
const std::vector<FieldRule>& VaultBodyRules() {
  static const std::vector<FieldRule> kRules = {
      {"location", JType::kString},
      {"tags", JType::kObject},
      {"tags.*", JType::kString},
      {"properties", JType::kObject},
      {"properties.tenantId", JType::kString},
      {"properties.sku", JType::kObject},
      {"properties.sku.family", JType::kString},
      {"properties.sku.name", JType::kString},
      {"properties.accessPolicies", JType::kArray},
      {"properties.accessPolicies[]", JType::kObject},
      {"properties.accessPolicies[].tenantId", JType::kString},
      {"properties.accessPolicies[].objectId", JType::kString},
      {"properties.accessPolicies[].applicationId", JType::kString},
      {"properties.accessPolicies[].permissions", JType::kObject},
      {"properties.accessPolicies[].permissions.keys", JType::kArray},
      {"properties.accessPolicies[].permissions.keys[]", JType::kString},
      {"properties.accessPolicies[].permissions.secrets", JType::kArray},
      {"properties.accessPolicies[].permissions.secrets[]", JType::kString},
      {"properties.accessPolicies[].permissions.certificates", JType::kArray},
      {"properties.accessPolicies[].permissions.certificates[]", JType::kString},
      {"properties.vaultUri", JType::kString},
      {"properties.enabledForDeployment", JType::kBool},
      {"properties.enabledForDiskEncryption", JType::kBool},
      {"properties.enabledForTemplateDeployment", JType::kBool},
      {"properties.enableSoftDelete", JType::kBool},
      {"properties.softDeleteRetentionInDays", JType::kInt, std::numeric_limits<int32_t>::min(),
       std::numeric_limits<int32_t>::max()},
      {"properties.enableRbacAuthorization", JType::kBool},
      {"properties.enablePurgeProtection", JType::kBool},
      {"properties.createMode", JType::kString},
      {"properties.publicNetworkAccess", JType::kString},
      {"properties.networkAcls", JType::kObject},
      {"properties.networkAcls.defaultAction", JType::kString},
      {"properties.networkAcls.bypass", JType::kString},
      {"properties.networkAcls.ipRules", JType::kArray},
      {"properties.networkAcls.ipRules[]", JType::kObject},
      {"properties.networkAcls.ipRules[].value", JType::kString},
      {"properties.networkAcls.virtualNetworkRules", JType::kArray},
      {"properties.networkAcls.virtualNetworkRules[]", JType::kObject},
      {"properties.networkAcls.virtualNetworkRules[].id", JType::kString},
  };
  return kRules;
}

// Applies the members present in a PUT/PATCH body to `v`.
void ApplyVaultBody(const Json& body, VaultState& v) {
  if (auto loc = JString(body, "location"); !loc.empty()) v.location = loc;
  if (body.contains("tags")) v.tags = JTags(body, "tags");
  const Json& p = JObject(body, "properties");
  if (auto sku = JString(JObject(p, "sku"), "name"); !sku.empty()) v.sku = sku;
  if (auto days = JInt(p, "softDeleteRetentionInDays")) v.soft_delete_retention_days = static_cast<int>(*days);
  if (auto pp = JBool(p, "enablePurgeProtection")) v.purge_protection = *pp;
  if (auto rbac = JBool(p, "enableRbacAuthorization")) v.rbac_authorization = *rbac;
  if (p.contains("networkAcls") && p["networkAcls"].is_object()) {
    const Json& n = p["networkAcls"];
    NetworkAcls acls;
    acls.default_action = JString(n, "defaultAction", "Allow");
    acls.bypass = JString(n, "bypass", "AzureServices");
    if (n.contains("ipRules") && n["ipRules"].is_array())
      for (const auto& r : n["ipRules"])
        if (auto ip = JString(r, "value"); !ip.empty()) acls.ip_rules.push_back(ip);
    if (n.contains("virtualNetworkRules") && n["virtualNetworkRules"].is_array())
      for (const auto& r : n["virtualNetworkRules"])
        if (auto id = JString(r, "id"); !id.empty()) acls.virtual_network_rules.push_back(id);
    std::sort(acls.ip_rules.begin(), acls.ip_rules.end());
    std::sort(acls.virtual_network_rules.begin(), acls.virtual_network_rules.end());
    v.network_acls = acls;
  }
  // Access policies are kept as sent (a PUT replaces them); the sandbox
  // judges key access by them on a vault with RBAC off.
  if (p.contains("accessPolicies") && p["accessPolicies"].is_array()) {
    v.access_policies.clear();
    for (const auto& e : p["accessPolicies"]) {
      AccessPolicyState a;
      a.tenant_id = JString(e, "tenantId");
      a.object_id = JString(e, "objectId");
      const Json& perms = JObject(e, "permissions");
      for (auto [member, out] : {std::pair{"keys", &a.keys}, std::pair{"secrets", &a.secrets},
                                 std::pair{"certificates", &a.certificates}})
        if (perms.contains(member) && perms[member].is_array())
          for (const auto& k : perms[member])
            if (k.is_string()) out->push_back(k.get<std::string>());
      if (!a.object_id.empty()) v.access_policies.push_back(std::move(a));
    }
  }
}

Json DeletedVaultJson(const std::string& sub, const DeletedVault& d) {
  const VaultState& v = d.vault;
  return Json{
      {"id", "/subscriptions/" + sub + "/providers/Microsoft.KeyVault/locations/" + v.location +
                 "/deletedVaults/" + v.name},
      {"name", v.name},
      {"type", "Microsoft.KeyVault/deletedVaults"},
      {"properties",
       {{"vaultId", v.id.empty() ? VaultArmId(v.subscription, v.resource_group, v.name) : v.id},
        {"location", v.location},
        {"deletionDate", FormatRfc3339(d.deletion_date)},
        {"scheduledPurgeDate", FormatRfc3339(d.scheduled_purge_date)},
        {"tags", v.tags},
        {"purgeProtectionEnabled", v.purge_protection}}}};
}

}  // namespace

ServerResponse ServerCore::ArmVaults(Ctx& c, const std::string& sub, const std::string& rg,
                                   const std::string& name) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET") return MethodNotAllowed(m);
    auto vaults = cloud_->ListVaults(sub);
    if (!vaults.ok()) return ArmError(vaults.status());
    std::vector<VaultState> list;
    for (auto& v : *vaults)
      if (rg.empty() || EqualsIgnoreCase(v.resource_group, rg)) list.push_back(std::move(v));
    auto page = Paginate(c, list.size(), "$top", 1000, 1000);
    if (!page.ok()) return ArmError(page.status());
    Json items = Json::array();
    for (size_t i = page->begin; i < page->end; ++i) items.push_back(VaultJson(list[i]));
    Json body{{"value", items}};
    if (!page->next_link.is_null()) body["nextLink"] = page->next_link;
    return JsonResponse(200, body);
  }

  auto existing = cloud_->GetVault(sub, rg, name);
  if (!existing.ok()) return ArmError(existing.status());
  if (m == "GET") {
    if (!*existing) return VaultNotFound(rg, name);
    return JsonResponse(200, VaultJson(**existing));
  }
  if (m == "DELETE") {
    if (!*existing) {
      ServerResponse r;
      r.status = 204;
      return r;
    }
    Status st = cloud_->DeleteVault(sub, rg, name);
    if (!st.ok()) return ArmError(st);
    return JsonResponse(200, nullptr);
  }
  if (m != "PUT" && m != "PATCH") return MethodNotAllowed(m);
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  if (auto wrong = CheckFields(*body, VaultBodyRules())) return ArmFieldError(*wrong);
  const Json& props = JObject(*body, "properties");

  if (m == "PATCH") {
    if (!*existing) return VaultNotFound(rg, name);
    VaultState v = **existing;
    ApplyVaultBody(*body, v);
    auto put = cloud_->PutVault(v);
    if (!put.ok()) return ArmError(put.status());
    return JsonResponse(200, VaultJson(*put));
  }

  bool recover = EqualsIgnoreCase(JString(props, "createMode"), "recover");
  if (*existing && !recover) {
    VaultState v = **existing;
    ApplyVaultBody(*body, v);
    auto put = cloud_->PutVault(v);
    if (!put.ok()) return ArmError(put.status());
    return JsonResponse(200, VaultJson(*put));
  }
  if (recover) {
    if (!*existing) {
      auto recovered = cloud_->RecoverVault(name);
      if (!recovered.ok()) return ArmError(recovered.status());
      existing = std::optional<VaultState>(*recovered);
    }
    VaultState v = **existing;
    ApplyVaultBody(*body, v);
    auto put = cloud_->PutVault(v);
    if (!put.ok()) return ArmError(put.status());
    return JsonResponse(200, VaultJson(*put));
  }

  // Create.
  if (JString(*body, "location").empty())
    return ArmError(400, "LocationRequired", "The location property is required for this definition.");
  if (JString(props, "tenantId").empty() || JString(JObject(props, "sku"), "name").empty())
    return ArmError(400, "BadRequest",
                    "The properties 'tenantId' and 'sku' are required to create a vault.");
  VaultState v;
  v.name = name;
  v.subscription = sub;
  v.resource_group = rg;
  // 2026-04-01 declares enableRbacAuthorization default true; older versions false.
  v.rbac_authorization = c.api_version >= "2026-04-01";
  ApplyVaultBody(*body, v);
  auto created = cloud_->PutVault(v);
  if (!created.ok()) return ArmError(created.status());
  Json out = VaultJson(*created);
  if (!options_.async_vault_create) return JsonResponse(201, out);

  std::string id = NewOperationId(created->id);
  operations_[id] = Operation{created->id, std::max(0, options_.async_polls), 0};
  std::string base = c.base_url + "/subscriptions/" + sub + "/providers/Microsoft.KeyVault/locations/" +
                     created->location;
  std::string query = "?api-version=" + UrlEncode(c.api_version);
  out["properties"]["provisioningState"] = "RegisteringDns";
  ServerResponse r = JsonResponse(201, out);
  r.headers["Azure-AsyncOperation"] = base + "/operationStatuses/" + id + query;
  r.headers["Location"] = base + "/operationResults/" + id + query;
  r.headers["Retry-After"] = "1";
  return r;
}

ServerResponse ServerCore::ArmOperation(Ctx& c, const std::string& sub, const std::string& location,
                                      bool status_form, const std::string& id) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  if (c.req.method != "GET") return MethodNotAllowed(c.req.method);
  auto it = operations_.find(Lower(id));
  if (it == operations_.end())
    return ArmError(404, "OperationNotFound", "The operation '" + id + "' was not found.");
  Operation& op = it->second;
  bool running = op.polls_left > 0;
  if (running) --op.polls_left;
  if (status_form) {
    Json body{{"id", c.req.path}, {"name", id}, {"status", running ? "InProgress" : "Succeeded"}};
    ServerResponse r = JsonResponse(200, body);
    if (running) r.headers["Retry-After"] = "1";
    return r;
  }
  if (running) {
    ServerResponse r;
    r.status = 202;
    r.headers["Location"] = c.base_url + c.req.path + "?api-version=" + UrlEncode(c.api_version);
    r.headers["Retry-After"] = "1";
    return r;
  }
  std::vector<std::string> p = SplitPath(op.resource_id);
  if (p.size() != 8) return ArmError(500, "InternalServerError", "Malformed operation resource.");
  auto v = cloud_->GetVault(p[1], p[3], p[7]);
  if (!v.ok()) return ArmError(v.status());
  if (!*v) return VaultNotFound(p[3], p[7]);
  return JsonResponse(200, VaultJson(**v));
}

ServerResponse ServerCore::ArmDeletedVaults(Ctx& c, const std::string& sub,
                                          const std::string& location, const std::string& name,
                                          bool purge) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (purge) {
    if (m != "POST") return MethodNotAllowed(m);
    Status st = cloud_->PurgeVault(name);
    if (!st.ok()) return ArmError(st);
    return JsonResponse(200, nullptr);
  }
  if (m != "GET") return MethodNotAllowed(m);
  auto deleted = cloud_->ListDeletedVaults(sub);
  if (!deleted.ok()) return ArmError(deleted.status());
  if (!name.empty()) {
    for (const auto& d : *deleted)
      if (EqualsIgnoreCase(d.vault.name, name) && (location.empty() || EqualsIgnoreCase(d.vault.location, location)))
        return JsonResponse(200, DeletedVaultJson(sub, d));
    return ArmError(404, "ResourceNotFound",
                    "The deleted vault '" + name + "' was not found in location '" + location + "'.");
  }
  std::sort(deleted->begin(), deleted->end(), [](const DeletedVault& a, const DeletedVault& b) {
    return Lower(a.vault.name) < Lower(b.vault.name);
  });
  auto page = Paginate(c, deleted->size(), "$top", 1000, 1000);
  if (!page.ok()) return ArmError(page.status());
  Json items = Json::array();
  for (size_t i = page->begin; i < page->end; ++i) items.push_back(DeletedVaultJson(sub, (*deleted)[i]));
  Json body{{"value", items}};
  if (!page->next_link.is_null()) body["nextLink"] = page->next_link;
  return JsonResponse(200, body);
}

}  // namespace cmk
