// The views of `cmkctl show`: an Inventory as text (for people) or JSON (for
// tools). Formatting only; what is shown is decided in engine/inventory.
#pragma once

#include <ostream>

#include "base/json.h"
#include "engine/inventory/inventory.h"
#include "model/world.h"

namespace cmk {

void RenderShowText(const DesiredState& desired, const Inventory& inventory, std::ostream& out);
Json ShowJson(const DesiredState& desired, const Inventory& inventory);

}  // namespace cmk
