// ARM Microsoft.Sql (api-version 2023-08-01) over the sandbox's SQL servers:
// GET and PATCH of a server (identity, primaryUserAssignedIdentityId), the
// subscription's and resource group's lists, GET of the server keys (list and
// one), PUT of a Key Vault server key (201 when new), GET of the
// encryptionProtector list, GET and PUT of encryptionProtector/current, and
// POST encryptionProtector/current/revalidate.
//
// The sandbox keeps a server's Key Vault keys as its encryption: the
// protector's version and the versions it retains. A server key PUT and the
// protector PUT naming it are one UpdateConsumerEncryption (the version from
// the key's name {vault}_{key}_{version}, autoRotationEnabled as "follow the
// newest"); until then the server key, like a primary user-assigned identity
// set by PATCH, is kept as the server's wire state (stored with the server in
// the sandbox, so a restart loses nothing), and is applied by the next
// protector PUT. Servers are created only by seeding.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "base/duration.h"
#include "base/strings.h"
#include "crypto/crypto.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "sandbox/sandbox_util.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"

namespace cmk {
namespace {

std::optional<std::array<std::string, 3>> SqlKeyNameParts(const std::string& name) {
  size_t a = name.find('_');
  if (a == std::string::npos) return std::nullopt;
  size_t b = name.find('_', a + 1);
  if (b == std::string::npos || name.find('_', b + 1) != std::string::npos) return std::nullopt;
  std::array<std::string, 3> p{name.substr(0, a), name.substr(a + 1, b - a - 1), name.substr(b + 1)};
  if (p[0].empty() || p[1].empty() || p[2].empty()) return std::nullopt;
  return p;
}

// The server's wire state: {"serverKeys": {lower name: versioned uri},
// "primaryUserAssignedIdentityId": id}, both awaiting a protector PUT.
constexpr const char* kWireServerKeys = "serverKeys";
constexpr const char* kWirePrimary = "primaryUserAssignedIdentityId";

std::string SqlKeyNameOf(const std::string& kid) {
  std::optional<KeyId> k = ParseKeyId(kid);
  if (!k || k->version.empty()) return "";
  return k->vault + "_" + k->name + "_" + k->version;
}

}  // namespace

Json ServerCore::ConsumerIdentityJson(const ConsumerState& a, const char* both) {
  Json identity{{"type", "None"}};
  bool system = !a.system_principal_id.empty();
  bool user = !a.user_assigned_identities.empty();
  if (system || user) identity["type"] = system && user ? both : system ? "SystemAssigned" : "UserAssigned";
  if (system) {
    identity["principalId"] = a.system_principal_id;
    identity["tenantId"] = tenant_id_;
  }
  if (user) {
    Json uamis = Json::object();
    for (const auto& id : a.user_assigned_identities) {
      Json entry = Json::object();
      std::vector<std::string> p = SplitPath(id);
      if (p.size() == 8) {
        auto ident = cloud_->GetIdentity(p[1], p[3], p[7]);
        if (ident.ok() && *ident) {
          entry["principalId"] = (*ident)->principal_id;
          entry["clientId"] = (*ident)->client_id;
        }
      }
      uamis[id] = entry;
    }
    identity["userAssignedIdentities"] = uamis;
  }
  return identity;
}

Json ServerCore::SqlWireState(const ConsumerState& s) {
  auto state = cloud_->ConsumerWireState(ConsumerKind::kSqlServer, s.subscription, s.resource_group, s.name);
  return state.ok() ? *state : Json::object();
}

// The server with its wire state (a primary identity set by PATCH and not
// yet used by a protector PUT).
Json ServerCore::SqlServerJson(const ConsumerState& s) {
  ConsumerState shown = s;
  std::string primary = s.encryption.user_assigned_identity;
  if (std::string pending = JString(SqlWireState(s), kWirePrimary); !pending.empty()) {
    primary = pending;
    bool has = false;
    for (const auto& u : shown.user_assigned_identities) has |= EqualsIgnoreCase(u, primary);
    if (!has) shown.user_assigned_identities.push_back(primary);
    std::sort(shown.user_assigned_identities.begin(), shown.user_assigned_identities.end());
  }
  Json props{{"administratorLogin", "sqladmin"},
             {"version", "12.0"},
             {"state", "Ready"},
             {"fullyQualifiedDomainName", s.name + ".database.windows.net"},
             {"publicNetworkAccess", "Enabled"}};
  if (!primary.empty()) props["primaryUserAssignedIdentityId"] = primary;
  return Json{{"id", s.id},
              {"name", s.name},
              {"type", "Microsoft.Sql/servers"},
              {"location", s.location},
              {"kind", "v12.0"},
              {"tags", s.tags},
              {"identity", ConsumerIdentityJson(shown, "SystemAssigned,UserAssigned")},
              {"properties", props}};
}

Json ServerCore::SqlProtectorJson(const ConsumerState& s) {
  const EncryptionState& e = s.encryption;
  Json body{{"id", s.id + "/encryptionProtector/current"},
            {"name", "current"},
            {"type", "Microsoft.Sql/servers/encryptionProtector"},
            {"location", s.location}};
  if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault") || e.current_versioned_key_id.empty()) {
    body["kind"] = "servicemanaged";
    body["properties"] = {{"serverKeyName", "ServiceManaged"}, {"serverKeyType", "ServiceManaged"},
                          {"autoRotationEnabled", false}};
    return body;
  }
  body["kind"] = "azurekeyvault";
  body["properties"] = {{"serverKeyName", SqlKeyNameOf(e.current_versioned_key_id)},
                        {"serverKeyType", "AzureKeyVault"},
                        {"uri", e.current_versioned_key_id},
                        {"autoRotationEnabled", e.key_version.empty()}};
  return body;
}

// A Key Vault server key as Azure shows it: its type and uri, when the key
// version was created and a thumbprint. Azure does not document how the
// thumbprint is derived; the sandbox's is the first 20 bytes of the SHA-256
// of the version's public key (DER SubjectPublicKeyInfo), upper-case hex:
// 40 characters, as Azure's.
Json ServerCore::SqlServerKeyJson(const ConsumerState& s, const std::string& name, const std::string& kid) {
  Json body{{"id", s.id + "/keys/" + name},
            {"name", name},
            {"type", "Microsoft.Sql/servers/keys"},
            {"location", s.location},
            {"kind", kid.empty() ? "servicemanaged" : "azurekeyvault"},
            {"properties", Json::object()}};
  if (kid.empty()) return body;
  Json& p = body["properties"];
  p["serverKeyType"] = "AzureKeyVault";
  p["uri"] = kid;
  std::optional<KeyId> k = ParseKeyId(kid);
  if (k) {
    if (auto pk = CachedPublicKey(k->vault, k->name, k->version)) {
      Json jwk{{"kty", pk->kty}};
      for (const auto& [member, value] : {std::pair{"n", pk->n}, {"e", pk->e}, {"crv", pk->crv}, {"x", pk->x}, {"y", pk->y}})
        if (!value.empty()) jwk[member] = value;
      auto parsed = ParsePublicJwk(jwk.dump());
      auto digest = parsed.ok() ? SpkiSha256(*parsed) : Result<Bytes>(parsed.status());
      if (digest.ok()) {
        digest->resize(std::min<size_t>(digest->size(), 20));
        std::string hex = HexEncode(*digest);
        std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char ch) { return std::toupper(ch); });
        p["thumbprint"] = hex;
      }
    }
    auto key = cloud_->GetKey(k->vault, k->name);
    if (key.ok() && *key)
      for (const auto& v : (*key)->versions)
        if (EqualsIgnoreCase(v.version, k->version)) p["creationDate"] = FormatRfc3339(v.created);
  }
  p["autoRotationEnabled"] = s.encryption.key_version.empty() &&
                             EqualsIgnoreCase(SqlKeyNameOf(s.encryption.current_versioned_key_id), name);
  return body;
}

// The Key Vault server keys (the protector's,
// the retained ones, those awaiting a protector PUT), by name.
std::map<std::string, std::pair<std::string, std::string>> ServerCore::SqlServerKeys(const ConsumerState& s,
                                                                                   const Json& wire) {
  std::map<std::string, std::pair<std::string, std::string>> keys;  // lower name -> (name, versioned uri)
  auto add = [&](const std::string& kid) {
    std::string name = SqlKeyNameOf(kid);
    if (!name.empty()) keys.emplace(Lower(name), std::make_pair(name, kid));
  };
  if (EqualsIgnoreCase(s.encryption.key_source, "Microsoft.Keyvault")) add(s.encryption.current_versioned_key_id);
  for (const auto& r : s.retained_key_ids) add(r);
  const Json& pending = JObject(wire, kWireServerKeys);
  for (auto it = pending.begin(); it != pending.end(); ++it)
    if (it->is_string()) add(it->get<std::string>());
  return keys;
}

ServerResponse ServerCore::ArmSql(Ctx& c, const std::string& sub, const std::string& rg, const std::string& name,
                                  const std::string& child, const std::string& child_name) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    return ArmConsumerList(c, ConsumerKind::kSqlServer, sub, rg, &ServerCore::SqlServerJson);
  }
  auto existing = cloud_->GetConsumer(ConsumerKind::kSqlServer, sub, rg, name);
  if (!existing.ok()) return ArmError(existing.status());
  if (!*existing)
    return ArmError(404, "ResourceNotFound",
                    "The Resource 'Microsoft.Sql/servers/" + name + "' under resource group '" + rg +
                        "' was not found.");
  ConsumerState server = **existing;
  if (server.id.empty()) server.id = ConsumerArmId(ConsumerKind::kSqlServer, sub, rg, name);
  Json wire = SqlWireState(server);
  auto save_wire = [&]() -> Status {
    return cloud_->SetConsumerWireState(ConsumerKind::kSqlServer, sub, rg, name, wire);
  };
  auto not_allowed = [&] {
    return ArmError(405, "MethodNotAllowed", "The requested resource does not support http method '" + m + "'.");
  };

  if (child.empty()) {  // the server
    if (m == "GET") return JsonResponse(200, SqlServerJson(server));
    if (m != "PATCH") return not_allowed();
    auto body = ParseBody(c.req.body);
    if (!body.ok()) return ArmError(body.status());
    static const std::vector<FieldRule> kServerRules = {
        {"tags", JType::kObject},
        {"tags.*", JType::kString},
        {"identity", JType::kObject},
        {"identity.type", JType::kString},
        {"identity.userAssignedIdentities", JType::kObject},
        {"properties", JType::kObject},
        {"properties.primaryUserAssignedIdentityId", JType::kString},
    };
    if (auto wrong = CheckFields(*body, kServerRules)) return ArmFieldError(*wrong);
    const Json& identity = JObject(*body, "identity");
    std::string type = Lower(JString(identity, "type"));
    if (type.find("systemassigned") != std::string::npos && server.system_principal_id.empty()) {
      auto enabled = cloud_->EnableSystemIdentity(ConsumerKind::kSqlServer, sub, rg, name);
      if (!enabled.ok()) return ArmError(enabled.status());
    }
    std::string primary = JString(JObject(*body, "properties"), "primaryUserAssignedIdentityId");
    if (!primary.empty()) {
      bool listed = JObject(identity, "userAssignedIdentities").contains(primary);
      for (const auto& u : server.user_assigned_identities) listed |= EqualsIgnoreCase(u, primary);
      if (!listed)
        return ArmError(400, "InvalidPrimaryIdentityId",
                        "The primary user assigned identity '" + primary +
                            "' is not among the user assigned identities of the server.");
      std::vector<std::string> p = SplitPath(primary);
      auto ident = p.size() == 8 ? cloud_->GetIdentity(p[1], p[3], p[7]) : Result<std::optional<IdentityState>>(std::optional<IdentityState>());
      if (!ident.ok()) return ArmError(ident.status());
      if (!*ident)
        return ArmError(400, "InvalidPrimaryIdentityId",
                        "The user assigned identity '" + primary + "' was not found.");
      if (EqualsIgnoreCase(primary, server.encryption.user_assigned_identity)) wire.erase(kWirePrimary);
      else wire[kWirePrimary] = primary;
      if (Status saved = save_wire(); !saved.ok()) return ArmError(saved);
    }
    auto now = cloud_->GetConsumer(ConsumerKind::kSqlServer, sub, rg, name);
    if (!now.ok()) return ArmError(now.status());
    if (!*now) return ArmError(404, "ResourceNotFound", "The server '" + name + "' was not found.");
    if ((*now)->id.empty()) (*now)->id = server.id;
    return JsonResponse(200, SqlServerJson(**now));
  }

  if (child == "keys") {
    auto keys = SqlServerKeys(server, wire);
    if (child_name.empty()) {
      if (m != "GET") return not_allowed();
      // Key Vault keys by name, then ServiceManaged, as Microsoft's example lists them.
      Json items = Json::array();
      for (const auto& [lower, k] : keys) items.push_back(SqlServerKeyJson(server, k.first, k.second));
      items.push_back(SqlServerKeyJson(server, "ServiceManaged", ""));
      return JsonResponse(200, Json{{"value", items}});
    }
    if (m == "GET") {
      if (EqualsIgnoreCase(child_name, "ServiceManaged"))
        return JsonResponse(200, SqlServerKeyJson(server, "ServiceManaged", ""));
      auto it = keys.find(Lower(child_name));
      if (it == keys.end())
        return ArmError(404, "ResourceNotFound", "The requested resource of type 'Microsoft.Sql/servers/keys' with name '" +
                                                      child_name + "' was not found.");
      return JsonResponse(200, SqlServerKeyJson(server, it->second.first, it->second.second));
    }
    if (m != "PUT") return not_allowed();
    auto body = ParseBody(c.req.body);
    if (!body.ok()) return ArmError(body.status());
    static const std::vector<FieldRule> kKeyRules = {
        {"properties", JType::kObject},
        {"properties.serverKeyType", JType::kString},
        {"properties.uri", JType::kString},
    };
    if (auto wrong = CheckFields(*body, kKeyRules)) return ArmFieldError(*wrong);
    const Json& p = JObject(*body, "properties");
    if (JString(p, "serverKeyType") != "AzureKeyVault")
      return ArmError(400, "InvalidServerKeyType", "Only AzureKeyVault server keys can be created.");
    const std::string uri = JString(p, "uri");
    std::optional<KeyId> kid = ParseKeyId(uri);
    if (!kid || kid->version.empty())
      return ArmError(400, "InvalidAzureKeyVaultKeyUri",
                      "The key vault key uri '" + uri + "' is not a versioned key identifier.");
    if (!EqualsIgnoreCase(SqlKeyNameOf(uri), child_name))
      return ArmError(400, "InvalidServerKeyName",
                      "The server key name '" + child_name + "' must be '" + SqlKeyNameOf(uri) + "'.");
    auto key = cloud_->GetKey(kid->vault, kid->name);
    if (!key.ok()) return ArmError(key.status());
    bool version_exists = false;
    if (*key)
      for (const auto& v : (*key)->versions) version_exists |= EqualsIgnoreCase(v.version, kid->version);
    if (!version_exists)
      return ArmError(400, "AzureKeyVaultKeyNotFound", "The key vault key '" + uri + "' was not found.");
    const bool created = !keys.count(Lower(child_name));
    if (created) {
      if (!wire[kWireServerKeys].is_object()) wire[kWireServerKeys] = Json::object();
      wire[kWireServerKeys][Lower(child_name)] = uri;
      if (Status saved = save_wire(); !saved.ok()) return ArmError(saved);
    }
    return JsonResponse(created ? 201 : 200, SqlServerKeyJson(server, SqlKeyNameOf(uri), uri));
  }

  // encryptionProtector: the list (one item, "current") and current.
  if (child_name.empty()) {
    if (m != "GET") return not_allowed();
    return JsonResponse(200, Json{{"value", Json::array({SqlProtectorJson(server)})}});
  }
  if (child_name == "revalidate") {
    if (m != "POST") return not_allowed();
    Status revalidated = cloud_->RevalidateConsumer(ConsumerKind::kSqlServer, sub, rg, name);
    if (!revalidated.ok()) return ArmError(revalidated);
    ServerResponse ok;
    ok.status = 200;
    return ok;
  }
  if (m == "GET") return JsonResponse(200, SqlProtectorJson(server));
  if (m != "PUT") return not_allowed();
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  static const std::vector<FieldRule> kProtectorRules = {
      {"properties", JType::kObject},
      {"properties.serverKeyType", JType::kString},
      {"properties.serverKeyName", JType::kString},
      {"properties.autoRotationEnabled", JType::kBool},
  };
  if (auto wrong = CheckFields(*body, kProtectorRules)) return ArmFieldError(*wrong);
  const Json& p = JObject(*body, "properties");
  const std::string type = JString(p, "serverKeyType");
  EncryptionState e;
  const std::string pending_primary = JString(wire, kWirePrimary);
  e.user_assigned_identity = !pending_primary.empty() ? pending_primary : server.encryption.user_assigned_identity;
  if (type == "ServiceManaged") {
    e.key_source = "ServiceManaged";
  } else if (type == "AzureKeyVault") {
    const std::string key_name = JString(p, "serverKeyName");
    auto keys = SqlServerKeys(server, wire);
    auto it = keys.find(Lower(key_name));
    if (it == keys.end() || !SqlKeyNameParts(key_name))
      return ArmError(404, "ServerKeyNotFound",
                      "The requested server key '" + key_name + "' was not found on server '" + name + "'.");
    std::optional<KeyId> kid = ParseKeyId(it->second.second);
    if (!kid) return ArmError(404, "ServerKeyNotFound", "The server key '" + key_name + "' has no key uri.");
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = kid->vault_url;
    e.key_name = kid->name;
    e.key_version = JBool(p, "autoRotationEnabled").value_or(false) ? "" : kid->version;
  } else {
    return ArmError(400, "InvalidServerKeyType", "serverKeyType must be ServiceManaged or AzureKeyVault.");
  }
  auto updated = cloud_->UpdateConsumerEncryption(ConsumerKind::kSqlServer, sub, rg, name, e);
  if (!updated.ok()) return ArmError(updated.status());
  // The sandbox now holds the protector's key and identity; other server
  // keys stay in the wire state.
  wire.erase(kWirePrimary);
  if (wire.contains(kWireServerKeys) && wire[kWireServerKeys].is_object()) {
    wire[kWireServerKeys].erase(Lower(SqlKeyNameOf(updated->encryption.current_versioned_key_id)));
    if (wire[kWireServerKeys].empty()) wire.erase(kWireServerKeys);
  }
  if (Status saved = save_wire(); !saved.ok()) return ArmError(saved);
  ConsumerState after = *updated;
  if (after.id.empty()) after.id = server.id;
  return JsonResponse(200, SqlProtectorJson(after));
}

}  // namespace cmk
