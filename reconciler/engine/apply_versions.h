// Apply for the version actions: `rotate` (a manual rotation requested by a
// generation bump) and `disable-version` (retiring an old version).
//
// Both re-read the key before acting so that a retry, a crash or a second
// pipeline never does the work twice: a rotation whose generation already
// sits on a version does nothing, and a rotation interrupted between
// RotateKey and tagging is completed (tagged) rather than repeated. A
// retirement re-reads every consumer's evidence, refuses when one now uses
// the version, and runs a wrap/unwrap canary through the provider on the
// versions the consumers use: a failure blocks the retirement. Never decides
// what to retire (the plan did). Not thread-safe (one provider call at a time).
#pragma once

#include "base/status.h"
#include "engine/plan.h"
#include "engine/provider.h"

namespace cmk {

// Marker put on the newest version just before RotateKey: "GEN:VERSION".
inline constexpr const char* kRotatePendingTagKey = "cmkctl-rotate-pending";

[[nodiscard]] Status ApplyVersionChange(const Change& change, Provider& provider);

}  // namespace cmk
