#include "engine/live_query.h"

namespace cmk {
namespace {

Json ArmRefsToJson(const std::map<std::string, ArmRef>& refs) {
  Json j = Json::object();
  for (const auto& [address, r] : refs)
    j[address] = {{"subscription", r.subscription}, {"resourceGroup", r.resource_group},
                  {"name", r.name}};
  return j;
}

std::map<std::string, ArmRef> ArmRefsFromJson(const Json& j, const char* key) {
  std::map<std::string, ArmRef> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_object()) return out;
  for (auto it = j[key].begin(); it != j[key].end(); ++it)
    out[it.key()] = ArmRef{JsonString(it.value(), "subscription"), JsonString(it.value(), "resourceGroup"),
                           JsonString(it.value(), "name")};
  return out;
}

}  // namespace

Json ToJson(const LiveQuery& q) {
  Json keys = Json::object();
  for (const auto& [address, k] : q.keys) keys[address] = {{"vault", k.vault}, {"name", k.name}};
  return Json{{"subscriptions", q.subscriptions},
              {"vaults", ArmRefsToJson(q.vaults)},
              {"keys", keys},
              {"identities", ArmRefsToJson(q.identities)},
              {"storageAccounts", ArmRefsToJson(q.storage_accounts)},
              {"roleAssignmentScopes", q.role_assignment_scopes},
              {"includePruneCandidates", q.include_prune_candidates}};
}

LiveQuery LiveQueryFromJson(const Json& j) {
  LiveQuery q;
  q.subscriptions = JsonStrings(j, "subscriptions");
  q.vaults = ArmRefsFromJson(j, "vaults");
  q.identities = ArmRefsFromJson(j, "identities");
  q.storage_accounts = ArmRefsFromJson(j, "storageAccounts");
  if (j.is_object() && j.contains("keys") && j["keys"].is_object())
    for (auto it = j["keys"].begin(); it != j["keys"].end(); ++it)
      q.keys[it.key()] = KeyRef{JsonString(it.value(), "vault"), JsonString(it.value(), "name")};
  q.role_assignment_scopes = JsonStrings(j, "roleAssignmentScopes");
  if (j.is_object() && j.contains("includePruneCandidates") &&
      j["includePruneCandidates"].is_boolean())
    q.include_prune_candidates = j["includePruneCandidates"].get<bool>();
  return q;
}

}  // namespace cmk
