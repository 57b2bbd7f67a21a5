#include "engine/inventory/inventory.h"

#include <algorithm>

#include "base/strings.h"
#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"
#include "model/key_id.h"

namespace cmk {
const std::vector<VersionConsumer>& Inventory::ConsumersOf(const std::string& vault,
                                                           const std::string& key,
                                                           const std::string& version) const {
  static const std::vector<VersionConsumer> kNone;
  auto k = consumers.find(NormalizedKeyName(vault, key));
  if (k == consumers.end()) return kNone;
  auto v = k->second.find(Lower(version));
  return v == k->second.end() ? kNone : v->second;
}

const KeyVersions* Inventory::TableOf(const std::string& key_address) const {
  auto it = tables.find(key_address);
  return it == tables.end() ? nullptr : &analysis.keys[it->second];
}

std::string Inventory::AddressOf(const KeyState& key) const {
  auto it = key_addresses.find(NormalizedKeyName(key.vault, key.name));
  return it == key_addresses.end() ? "" : it->second;
}

Result<Inventory> BuildInventory(const DesiredState& desired, Provider& provider) {
  Inventory inv;
  inv.target = provider.Target();
  CMK_ASSIGN_OR_RETURN(inv.live,
                       ReadLive(provider, BuildQuery(desired), /*include_prune_candidates=*/false));
  // After the read: over the wire, the target's time is learnt from its
  // responses (the Date header), so asking before would give this machine's.
  inv.now = provider.Now();
  DiffOptions options;
  options.vault_dns_suffix = provider.VaultDnsSuffix();
  options.now = inv.now;
  inv.analysis = Diff(desired, inv.live, options, inv.target);
  for (const auto& [address, consumer] : inv.live.consumers) {
    const EncryptionState& e = consumer.encryption;
    auto add = [&](const std::string& id, bool retained) {
      auto kid = ParseKeyId(id);
      if (!kid) return;
      inv.consumers[NormalizedKeyName(kid->vault, kid->name)][Lower(kid->version)].push_back(
          {address, consumer.kind, consumer.name, !e.key_version.empty(), retained});
    };
    if (!e.current_versioned_key_id.empty()) add(e.current_versioned_key_id, false);
    for (const std::string& id : consumer.retained_key_ids)
      if (!EqualsIgnoreCase(id, e.current_versioned_key_id)) add(id, true);
  }
  for (auto& [key, versions] : inv.consumers)
    for (auto& [version, users] : versions)
      std::sort(users.begin(), users.end(), [](const VersionConsumer& a, const VersionConsumer& b) {
        return std::tie(a.address, a.retained) < std::tie(b.address, b.retained);
      });
  for (size_t i = 0; i < inv.analysis.keys.size(); ++i)
    inv.tables.try_emplace(inv.analysis.keys[i].address, i);
  for (const auto& [address, k] : desired.keys)
    inv.key_addresses.try_emplace(NormalizedKeyName(k.value.vault, k.value.name), address);
  return inv;
}

}  // namespace cmk
