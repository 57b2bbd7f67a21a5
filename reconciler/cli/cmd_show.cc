// `cmkctl show`: the live inventory of what the manifests manage: vaults,
// each key's versions with the consumers on each, identities, role
// assignments and each binding's key version in use (read-only evidence),
// then the inventory findings (keys without a rotation policy, pinned
// bindings, consumers lagging behind the newest version, stale enabled
// versions) and upcoming dates, computed by the same pure Diff as the plan.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "model/codec.h"
#include "base/duration.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "base/strings.h"
#include "model/key_id.h"
#include "manifest/roles.h"

namespace cmk {
namespace {

// Pads to `width` visible characters (UTF-8 aware: "…" is one character).
std::string Pad(const std::string& s, size_t width) {
  size_t visible = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++visible;
  return visible >= width ? s + " " : s + std::string(width - visible, ' ');
}

std::string Time(const std::optional<int64_t>& t) { return t ? FormatRfc3339(*t) : "-"; }

struct Consumer {
  std::string account;
  bool pinned = false;
};

}  // namespace

int RunShow(const GlobalOptions& global, const ShowArgs& args) {
  auto desired = LoadDesired(global, std::cerr);
  if (!desired.ok()) return kExitError;
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  auto live = ReadLive(provider, BuildQuery(*desired), /*include_prune_candidates=*/false);
  if (!live.ok()) {
    std::cerr << "error: " << live.status().message() << "\n";
    return kExitError;
  }
  DiffOptions diff_options;
  diff_options.vault_dns_suffix = provider.VaultDnsSuffix();
  diff_options.now = provider.Now();
  const Plan inventory = Diff(*desired, *live, diff_options, provider.Target());
  std::map<std::string, const KeyVersions*> key_findings;  // key address -> table
  for (const auto& k : inventory.keys) key_findings[k.address] = &k;

  // consumers[vault/key][version]
  std::map<std::string, std::map<std::string, std::vector<Consumer>>> consumers;
  for (const auto& [address, account] : live->storage_accounts) {
    const auto& enc = account.encryption;
    if (enc.current_versioned_key_id.empty()) continue;
    KeyId kid = ParseKeyId(enc.current_versioned_key_id).value_or(KeyId{});
    consumers[kid.vault + "/" + kid.name][kid.version].push_back(
        {account.name, !enc.key_version.empty()});
  }

  if (args.format == "json") {
    Json out{{"target", {{"kind", provider.Target().kind}, {"location", provider.Target().location}}},
             {"now", provider.Now()}};
    Json vaults = Json::array(), keys = Json::array(), identities = Json::array(),
         roles = Json::array(), bindings = Json::array();
    for (const auto& [a, v] : live->vaults) vaults.push_back(ToJson(v));
    for (const auto& [a, k] : live->keys) {
      Json j = ToJson(k);
      for (auto& version : j["versions"]) {
        Json users = Json::array();
        for (const auto& c : consumers[k.vault + "/" + k.name][version["version"]])
          users.push_back({{"storageAccount", c.account}, {"pinned", c.pinned}});
        version["consumers"] = users;
      }
      Json findings = Json::array(), upcoming = Json::array();
      for (const auto& [address, d] : desired->keys) {
        if (!EqualsIgnoreCase(d.value.vault, k.vault) || !EqualsIgnoreCase(d.value.name, k.name) ||
            !key_findings.count(address))
          continue;
        j["address"] = address;
        for (const auto& f : key_findings[address]->findings)
          findings.push_back({{"kind", f.kind}, {"subject", f.subject}, {"message", f.message}});
        upcoming = key_findings[address]->upcoming;
      }
      j["findings"] = findings;
      j["upcoming"] = upcoming;
      keys.push_back(j);
    }
    for (const auto& [a, i] : live->identities) identities.push_back(ToJson(i));
    for (const auto& [a, r] : live->role_assignments) roles.push_back(ToJson(r));
    for (const auto& [a, b] : desired->bindings) {
      auto it = live->storage_accounts.find("storage/" + b.value.storage_account);
      Json j{{"address", a}, {"storageAccount", b.value.storage_account}};
      if (it != live->storage_accounts.end()) j["encryption"] = ToJson(it->second.encryption);
      bindings.push_back(j);
    }
    out["vaults"] = vaults;
    out["keys"] = keys;
    out["identities"] = identities;
    out["roleAssignments"] = roles;
    out["bindings"] = bindings;
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }

  std::ostringstream o;
  PrintTarget(provider, o);
  o << "Clock: " << FormatRfc3339(provider.Now()) << "\n\nVaults\n";
  for (const auto& [address, d] : desired->vaults) {
    auto it = live->vaults.find(address);
    if (it == live->vaults.end()) {
      o << "  " << address << "  (absent: not applied yet)\n";
      continue;
    }
    const VaultState& v = it->second;
    o << "  " << address << "  " << v.sku << "  " << v.location << "  retention " << v.soft_delete_retention_days
      << "d  purge protection " << (v.purge_protection ? "on" : "OFF") << "  "
      << (v.rbac_authorization ? "RBAC" : "access policies") << "  network "
      << v.network_acls.default_action << "\n";
  }
  o << "\nKeys\n";
  for (const auto& [address, d] : desired->keys) {
    auto it = live->keys.find(d.value.vault + "/" + d.value.name);
    if (it == live->keys.end()) {
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
    const auto& by_version = consumers[k.vault + "/" + k.name];
    for (auto v = k.versions.rbegin(); v != k.versions.rend(); ++v) {
      std::string users;
      auto c = by_version.find(v->version);
      if (c != by_version.end())
        for (const auto& u : c->second)
          users += (users.empty() ? "" : ", ") + std::string("storage/") + u.account +
                   (u.pinned ? " (pinned)" : " (auto)");
      o << "    " << Pad(ShortenVersions(v->version), 11) << std::setw(22) << Time(v->created)
        << std::setw(22) << Time(v->expires) << std::setw(9) << (v->enabled ? "yes" : "no")
        << (users.empty() ? "-" : users) << "\n";
    }
  }
  o << "\nIdentities\n";
  for (const auto& [address, d] : desired->identities) {
    auto it = live->identities.find(address);
    if (it == live->identities.end()) {
      o << "  " << address << "  (absent: not applied yet)\n";
      continue;
    }
    o << "  " << address << "  principal " << it->second.principal_id << "  client "
      << it->second.client_id << "\n";
  }
  o << "\nRole assignments\n";
  for (const auto& [address, d] : desired->role_assignments) {
    auto it = live->role_assignments.find(d.value.id);
    o << "  " << address << "  " << RoleDisplayName(d.value.role_definition_id) << "  "
      << (it == live->role_assignments.end() ? "(absent: not applied yet)"
                                             : "principal " + it->second.principal_id)
      << "\n";
  }
  o << "\nBindings (version in use is the storage account's own evidence)\n";
  for (const auto& [address, d] : desired->bindings) {
    const BindingState& b = d.value;
    auto it = live->storage_accounts.find("storage/" + b.storage_account);
    o << "  " << address << "  storage/" << b.storage_account << " -> key/" << b.key << " ("
      << (b.key_version.empty() ? "auto" : "pinned " + ShortenVersions(b.key_version)) << ")  ";
    if (it == live->storage_accounts.end()) {
      o << "storage account not found\n";
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
  o << "\nFindings\n";
  size_t findings = 0;
  for (const auto& k : inventory.keys)
    for (const auto& f : k.findings) {
      o << "  " << Pad(k.address, 24) << Pad("[" + f.kind + "]", 12) << ShortenVersions(f.message)
        << "\n";
      ++findings;
    }
  if (findings == 0) o << "  (none)\n";
  o << "\nUpcoming\n";
  size_t upcoming = 0;
  for (const auto& k : inventory.keys)
    for (const auto& u : k.upcoming) {
      o << "  " << Pad(k.address, 24) << ShortenVersions(u) << "\n";
      ++upcoming;
    }
  if (upcoming == 0) o << "  (none)\n";
  std::cout << o.str();
  return kExitOk;
}

}  // namespace cmk
