// Apply for the version actions: `rotate` (a manual rotation requested by a
// generation bump) and `disable-version` (retiring an old version).
//
// Both re-read the key before acting so that a retry, a crash or a second
// pipeline never does the work twice: a rotation whose generation already
// sits on a version does nothing, and a rotation interrupted between
// RotateKey and tagging is completed (tagged) rather than repeated. A
// retirement re-reads every consumer's evidence, refuses when one now uses
// the version, and runs a wrap/unwrap canary through the provider on the
// versions the consumers use (the caller's canary, e.g. the full envelope
// canary of the verify library, or else a fixed-probe wrap/unwrap through
// the provider): a failure blocks the retirement. Never decides
// what to retire (the plan did). Not thread-safe (one provider call at a time).
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "engine/plan/change.h"
#include "provider/provider.h"

namespace cmk {

// Marker put on the newest version just before RotateKey: "GEN:VERSION".
inline constexpr const char* kRotatePendingTagKey = "cmkctl-rotate-pending";

// Proves that `version` of `key` works before another version is retired:
// ok, or a status whose message says why the retirement is blocked.
using VersionCanary =
    std::function<Status(Provider& provider, const KeyState& key, const std::string& version)>;

// A manual rotation to `request.generation` (nothing when a version already
// carries it).
[[nodiscard]] Status ApplyRotation(const RotateToGeneration& request, Provider& provider);
// A retirement; `canary` null: a fixed, non-secret probe wrapped and
// unwrapped through the provider.
[[nodiscard]] Status ApplyRetirement(const RetireVersion& request, Provider& provider,
                                     const VersionCanary& canary = nullptr);

}  // namespace cmk
