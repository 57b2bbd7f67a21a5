// What goes into the HTML report (report_view.h): the live inventory of what
// the manifests manage, mapped to a ReportPage, and a rehearsal's outcome
// laid over it (adoption dates from its events, its verdict). Pure functions
// of values; no I/O. Thread-safe.
#pragma once

#include <string>

#include "cli/views/report_view.h"
#include "engine/inventory/inventory.h"
#include "engine/rehearsal/rehearsal.h"
#include "model/world.h"

namespace cmk {

// The page `cmkctl report` prints: keys in address order, each version with
// the consumers on it now (adopted at the storage account's
// lastKeyRotationTimestamp, where it has one), the inventory's findings and
// upcoming dates, and the posture policy's findings (live, then desired).
ReportPage ReportFromInventory(const DesiredState& desired, const Inventory& inventory);

// Adds a rehearsal to a page made from the inventory at the rehearsal's end:
// its verdict and counts, and the adoptions its timeline saw (storage.adopt
// and storage.encryption events), each at its simulated time.
void AddRehearsal(ReportPage& page, const RehearsalReport& report, const RehearsalSpec& spec,
                  const std::string& source);

}  // namespace cmk
