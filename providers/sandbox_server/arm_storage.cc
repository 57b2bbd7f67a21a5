// ARM Microsoft.Storage/storageAccounts: GET, lists, PATCH of identity and
// properties.encryption, and PUT (creates by seeding the account, then
// applies identity/encryption like PATCH). Other account settings are not
// modelled and come back with fixed values. Removing a system-assigned
// identity and changing tags are not supported (ignored).
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "base/strings.h"

namespace cmk {

ServerResponse ServerCore::ArmStorage(Ctx& c, const std::string& sub, const std::string& rg,
                                    const std::string& name) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    return ArmConsumerList(c, ConsumerKind::kStorage, sub, rg, &ServerCore::StorageJson);
  }

  auto existing = cloud_->GetStorageAccount(sub, rg, name);
  if (!existing.ok()) return ArmError(existing.status());
  auto not_found = [&] {
    return ArmError(404, "ResourceNotFound",
                    "The Resource 'Microsoft.Storage/storageAccounts/" + name +
                        "' under resource group '" + rg + "' was not found.");
  };
  if (m == "GET") return *existing ? JsonResponse(200, StorageJson(**existing)) : not_found();
  if (m != "PUT" && m != "PATCH")
    return ArmError(405, "MethodNotAllowed",
                    "The requested resource does not support http method '" + m + "'.");
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  static const std::vector<FieldRule> kStorageRules = {
      {"location", JType::kString},
      {"kind", JType::kString},
      {"tags", JType::kObject},
      {"tags.*", JType::kString},
      {"sku", JType::kObject},
      {"sku.name", JType::kString},
      {"identity", JType::kObject},
      {"identity.type", JType::kString},
      {"identity.userAssignedIdentities", JType::kObject},
      {"properties", JType::kObject},
      {"properties.encryption", JType::kObject},
      {"properties.encryption.keySource", JType::kString},
      {"properties.encryption.requireInfrastructureEncryption", JType::kBool},
      {"properties.encryption.keyvaultproperties", JType::kObject},
      {"properties.encryption.keyvaultproperties.keyname", JType::kString},
      {"properties.encryption.keyvaultproperties.keyversion", JType::kString},
      {"properties.encryption.keyvaultproperties.keyvaulturi", JType::kString},
      {"properties.encryption.identity", JType::kObject},
      {"properties.encryption.identity.userAssignedIdentity", JType::kString},
  };
  if (auto wrong = CheckFields(*body, kStorageRules)) return ArmFieldError(*wrong);
  if (m == "PATCH" && !*existing) return not_found();
  bool want_system =
      Lower(JString(JObject(*body, "identity"), "type")).find("systemassigned") != std::string::npos;

  if (!*existing) {
    ConsumerState a;
    a.name = name;
    a.subscription = sub;
    a.resource_group = rg;
    a.location = JString(*body, "location");
    a.tags = JTags(*body, "tags");
    if (a.location.empty())
      return ArmError(400, "LocationRequired", "The location property is required.");
    SeedOptions seed;
    seed.system_identity = want_system;
    Status st = cloud_->SeedStorageAccount(a, seed);
    if (!st.ok()) return ArmError(st);
  } else if (want_system && (*existing)->system_principal_id.empty()) {
    auto enabled = cloud_->EnableSystemIdentity(sub, rg, name);
    if (!enabled.ok()) return ArmError(enabled.status());
  }

  const Json& props = JObject(*body, "properties");
  if (props.contains("encryption")) {
    const Json& enc = JObject(props, "encryption");
    const Json& kvp = JObject(enc, "keyvaultproperties");
    EncryptionState e;
    e.key_source = JString(enc, "keySource", "Microsoft.Storage");
    e.key_name = JString(kvp, "keyname");
    e.key_version = JString(kvp, "keyversion");
    e.key_vault_uri = JString(kvp, "keyvaulturi");
    e.user_assigned_identity = JString(JObject(enc, "identity"), "userAssignedIdentity");
    auto updated = cloud_->UpdateStorageEncryption(sub, rg, name, e);
    if (!updated.ok()) return ArmError(updated.status());
  }
  auto now = cloud_->GetStorageAccount(sub, rg, name);
  if (!now.ok()) return ArmError(now.status());
  if (!*now) return not_found();
  return JsonResponse(200, StorageJson(**now));
}

ServerResponse ServerCore::ArmConsumerList(Ctx& c, ConsumerKind kind, const std::string& sub, const std::string& rg,
                                           Json (ServerCore::*render)(const ConsumerState&)) {
  auto all = cloud_->ListConsumers(kind, sub);
  if (!all.ok()) return ArmError(all.status());
  std::vector<ConsumerState> list;
  for (auto& a : *all)
    if (rg.empty() || EqualsIgnoreCase(a.resource_group, rg)) list.push_back(std::move(a));
  auto page = Paginate(c, list.size(), "$top", 1000, 1000);
  if (!page.ok()) return ArmError(page.status());
  Json items = Json::array();
  for (size_t i = page->begin; i < page->end; ++i) items.push_back((this->*render)(list[i]));
  Json body{{"value", items}};
  if (!page->next_link.is_null()) body["nextLink"] = page->next_link;
  return JsonResponse(200, body);
}

}  // namespace cmk
