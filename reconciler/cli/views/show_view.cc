#include "cli/views/show_view.h"

#include <iomanip>
#include <sstream>

#include "base/duration.h"
#include "base/strings.h"
#include "cli/views/text.h"
#include "manifest/roles.h"
#include "model/codec.h"
#include "model/key_id.h"

namespace cmk {
namespace {

std::string Time(const std::optional<int64_t>& t) { return t ? FormatRfc3339(*t) : "-"; }

// {storageAccount | sqlServer | diskEncryptionSet: NAME, kind (not for storage), pinned, retained}
Json ConsumerUserJson(const VersionConsumer& c) {
  Json j{{ConsumerNameMember(c.kind), c.name}, {"pinned", c.pinned}};
  if (c.kind != ConsumerKind::kStorage) j["kind"] = ConsumerPrefix(c.kind);
  if (c.retained) j["retained"] = true;
  return j;
}

void Vaults(const DesiredState& desired, const LiveState& live, std::ostream& o) {
  o << "\nVaults\n";
  for (const auto& [address, d] : desired.vaults) {
    auto it = live.vaults.find(address);
    if (it == live.vaults.end()) {
      o << "  " << address << "  (absent: not applied yet)\n";
      continue;
    }
    const VaultState& v = it->second;
    o << "  " << address << "  " << v.sku << "  " << v.location << "  retention "
      << v.soft_delete_retention_days << "d  purge protection " << (v.purge_protection ? "on" : "OFF")
      << "  " << (v.rbac_authorization ? "RBAC" : "access policies") << "  network "
      << v.network_acls.default_action << "\n";
  }
}

void Keys(const DesiredState& desired, const Inventory& inv, std::ostream& o) {
  o << "\nKeys\n";
  for (const auto& [address, d] : desired.keys) {
    auto it = inv.live.keys.find(d.value.vault + "/" + d.value.name);
    if (it == inv.live.keys.end()) {
      o << "  " << address << "  (absent: not applied yet)\n";
      continue;
    }
    const KeyState& k = it->second;
    o << "  " << address << "  " << k.kty << " " << (k.key_size ? std::to_string(k.key_size) : k.curve)
      << "  in vault/" << k.vault << "  ";
    if (k.rotation_policy) {
      const auto& p = *k.rotation_policy;
      if (p.rotate_after_create) o << "rotate " << *p.rotate_after_create << " after create";
      if (p.rotate_before_expiry) o << "rotate " << *p.rotate_before_expiry << " before expiry";
      if (p.expiry_time) o << ", new versions expire after " << *p.expiry_time;
      if (p.notify_before_expiry) o << ", notify " << *p.notify_before_expiry << " before expiry";
    } else {
      o << "no rotation policy";
    }
    o << "\n    " << std::left << std::setw(11) << "VERSION" << std::setw(22) << "CREATED"
      << std::setw(22) << "EXPIRES" << std::setw(9) << "ENABLED" << "CONSUMERS\n";
    for (auto v = k.versions.rbegin(); v != k.versions.rend(); ++v) {
      std::string users;
      for (const auto& u : inv.ConsumersOf(k.vault, k.name, v->version))
        users += (users.empty() ? "" : ", ") + u.Label();
      o << "    " << Pad(ShortenVersions(v->version), 11) << std::setw(22) << Time(v->created)
        << std::setw(22) << Time(v->expires) << std::setw(9) << (v->enabled ? "yes" : "no")
        << (users.empty() ? "-" : users) << "\n";
    }
  }
}

void Access(const DesiredState& desired, const LiveState& live, std::ostream& o) {
  o << "\nIdentities\n";
  for (const auto& [address, d] : desired.identities) {
    auto it = live.identities.find(address);
    if (it == live.identities.end()) {
      o << "  " << address << "  (absent: not applied yet)\n";
      continue;
    }
    o << "  " << address << "  principal " << it->second.principal_id << "  client "
      << it->second.client_id << "\n";
  }
  o << "\nRole assignments\n";
  for (const auto& [address, d] : desired.role_assignments) {
    auto it = live.role_assignments.find(d.value.id);
    o << "  " << address << "  " << RoleDisplayName(d.value.role_definition_id) << "  "
      << (it == live.role_assignments.end() ? "(absent: not applied yet)"
                                            : "principal " + it->second.principal_id)
      << "\n";
  }
  o << "\nBindings (version in use is the consumer's own evidence)\n";
  for (const auto& [address, d] : desired.bindings) {
    const BindingState& b = d.value;
    const std::string consumer = ConsumerAddress(b.consumer_kind, b.consumer);
    auto it = live.consumers.find(consumer);
    o << "  " << address << "  " << consumer << " -> key/" << b.key << " ("
      << (b.key_version.empty() ? "auto" : "pinned " + ShortenVersions(b.key_version)) << ")  ";
    if (it == live.consumers.end()) {
      o << Traits(b.consumer_kind).noun << " not found\n";
      continue;
    }
    const EncryptionState& e = it->second.encryption;
    if (e.key_source != "Microsoft.Keyvault") {
      o << "not bound (" << e.key_source << ")\n";
      continue;
    }
    KeyId kid = ParseKeyId(e.current_versioned_key_id).value_or(KeyId{});
    o << "in use: " << (kid.version.empty() ? "-" : ShortenVersions(kid.version));
    if (!e.last_key_rotation_timestamp.empty()) o << " since " << e.last_key_rotation_timestamp;
    o << "\n";
  }
}

void Findings(const Plan& analysis, std::ostream& o) {
  o << "\nFindings\n";
  size_t findings = 0;
  for (const auto& k : analysis.keys)
    for (const auto& f : k.findings) {
      o << "  " << Pad(k.address, 24) << Pad("[" + f.kind + "]", 12) << ShortenVersions(f.message)
        << "\n";
      ++findings;
    }
  if (findings == 0) o << "  (none)\n";
  o << "\nUpcoming\n";
  size_t upcoming = 0;
  for (const auto& k : analysis.keys)
    for (const auto& u : k.upcoming) {
      o << "  " << Pad(k.address, 24) << ShortenVersions(u) << "\n";
      ++upcoming;
    }
  if (upcoming == 0) o << "  (none)\n";
}

// Posture rules on what the target has now.
void Policy(const Plan& analysis, std::ostream& o) {
  size_t shown = 0;
  for (const auto& f : analysis.policy) {
    if (f.state != "live") continue;
    if (shown++ == 0) o << "\nPolicy (live)\n";
    o << "  " << Pad(f.address, 24) << Pad(f.severity, 8) << f.rule << " (" << f.policy << "): "
      << ShortenVersions(f.message) << "\n";
  }
}

}  // namespace

void RenderShowText(const DesiredState& desired, const Inventory& inv, std::ostream& out) {
  std::ostringstream o;
  o << "Target: " << inv.target.ToString() << "\n";
  o << "Clock: " << FormatRfc3339(inv.now) << "\n";
  Vaults(desired, inv.live, o);
  Keys(desired, inv, o);
  Access(desired, inv.live, o);
  Findings(inv.analysis, o);
  Policy(inv.analysis, o);
  out << o.str();
}

Json ShowJson(const DesiredState& desired, const Inventory& inv) {
  Json out{{"target", {{"kind", inv.target.kind}, {"location", inv.target.location}}},
           {"now", inv.now}};
  Json vaults = Json::array(), keys = Json::array(), identities = Json::array(),
       roles = Json::array(), bindings = Json::array();
  for (const auto& [a, v] : inv.live.vaults) vaults.push_back(ToJson(v));
  for (const auto& [a, k] : inv.live.keys) {
    Json j = ToJson(k);
    for (auto& version : j["versions"]) {
      Json users = Json::array();
      for (const auto& c : inv.ConsumersOf(k.vault, k.name, version["version"].get<std::string>()))
        users.push_back(ConsumerUserJson(c));
      version["consumers"] = users;
    }
    Json findings = Json::array(), upcoming = Json::array();
    std::string address = inv.AddressOf(k);
    if (const KeyVersions* table = address.empty() ? nullptr : inv.TableOf(address)) {
      j["address"] = address;
      for (const auto& f : table->findings)
        findings.push_back({{"kind", f.kind}, {"subject", f.subject}, {"message", f.message}});
      upcoming = table->upcoming;
    }
    j["findings"] = findings;
    j["upcoming"] = upcoming;
    keys.push_back(j);
  }
  for (const auto& [a, i] : inv.live.identities) identities.push_back(ToJson(i));
  for (const auto& [a, r] : inv.live.role_assignments) roles.push_back(ToJson(r));
  for (const auto& [a, b] : desired.bindings) {
    auto it = inv.live.consumers.find(ConsumerAddress(b.value.consumer_kind, b.value.consumer));
    Json j{{"address", a}};
    if (b.value.consumer_kind != ConsumerKind::kStorage) j["kind"] = ConsumerPrefix(b.value.consumer_kind);
    j[ConsumerNameMember(b.value.consumer_kind)] = b.value.consumer;
    if (it != inv.live.consumers.end()) j["encryption"] = ToJson(it->second.encryption);
    bindings.push_back(j);
  }
  out["vaults"] = vaults;
  out["keys"] = keys;
  out["identities"] = identities;
  out["roleAssignments"] = roles;
  out["bindings"] = bindings;
  Json policy = Json::array();
  for (const auto& f : inv.analysis.policy)
    if (f.state == "live")
      policy.push_back({{"rule", f.rule}, {"policy", f.policy}, {"severity", f.severity}, {"address", f.address},
                        {"message", f.message}, {"source", f.loc.ToString()}});
  out["policy"] = policy;
  return out;
}

}  // namespace cmk
