// Inventory: what `show` reports, as values. The live state of what the
// manifests manage, each key version's consumers (every kind's own
// evidence of the version it uses, and the versions it still needs), and the findings and upcoming
// dates of the same pure Diff a plan runs. Views print it; nothing here
// prints.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/plan/plan.h"
#include "model/world.h"
#include "provider/provider.h"

namespace cmk {

struct VersionConsumer {
  std::string address;  // "storage/NAME", "sql/NAME", "des/NAME"
  ConsumerKind kind = ConsumerKind::kStorage;
  std::string name;
  bool pinned = false;    // the binding names a version (else it follows the newest)
  bool retained = false;  // not in use now but still needed (ConsumerState::retained_key_ids)
  std::string Label() const {
    return address + (retained ? " (still needed)" : pinned ? " (pinned)" : " (auto)");
  }
};

struct Inventory {
  TargetInfo target;
  int64_t now = 0;
  LiveState live;
  // The Diff of the manifests against `live` (never applied): its per-key
  // version tables carry the findings and upcoming dates.
  Plan analysis;

  // Consumers of one key version, sorted by address; empty when none.
  const std::vector<VersionConsumer>& ConsumersOf(const std::string& vault, const std::string& key,
                                                  const std::string& version) const;
  // The version table of a desired key address, or nullptr.
  const KeyVersions* TableOf(const std::string& key_address) const;
  // The desired key address of a live key, "" when the manifests do not name it.
  std::string AddressOf(const KeyState& key) const;

  // Filled by BuildInventory: "vault/key" (lower) -> version (lower) -> consumers.
  std::map<std::string, std::map<std::string, std::vector<VersionConsumer>>> consumers;
  std::map<std::string, std::string> key_addresses;  // "vault/key" (lower) -> key address
  std::map<std::string, size_t> tables;               // key address -> index in analysis.keys
};

// Reads what `desired` names (no prune candidates) and analyses it at the
// provider's time.
[[nodiscard]] Result<Inventory> BuildInventory(const DesiredState& desired, Provider& provider);

}  // namespace cmk
