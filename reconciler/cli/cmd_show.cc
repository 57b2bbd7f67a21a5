// `cmkctl show`: the live inventory of what the manifests manage: vaults,
// each key's versions with the consumers on each, identities, role
// assignments and each binding's key version in use (read-only evidence),
// then the inventory findings (keys without a rotation policy, pinned
// bindings, consumers lagging behind the newest version, stale enabled
// versions) and upcoming dates. The inventory is the engine's
// (engine/inventory); the views are cli/views/show_view.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/views/sarif_view.h"
#include "cli/views/show_view.h"
#include "engine/inventory/inventory.h"

namespace cmk {

int RunShow(const GlobalOptions& global, const ShowArgs& args) {
  auto desired = LoadDesired(global, std::cerr);
  if (!desired.ok()) return kExitError;
  std::optional<Inventory> inventory = ReadInventory(global, *desired, std::cerr);
  if (!inventory) return kExitError;
  if (args.format == "sarif") {
    std::cout << RenderSarif({"show", RepositoryRoot(), SarifFromInventory(*desired, inventory->analysis)}).dump(2)
              << "\n";
  } else if (args.format == "json") {
    std::cout << ShowJson(*desired, *inventory).dump(2) << "\n";
  } else {
    RenderShowText(*desired, *inventory, std::cout);
  }
  return kExitOk;
}

}  // namespace cmk
