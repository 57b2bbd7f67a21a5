// Exit codes of every cmkctl command: a contract with CI pipelines
// (documented in docs/cli.md).
#pragma once

namespace cmk {

inline constexpr int kExitOk = 0;          // success; `plan --detailed-exitcode`: no changes
inline constexpr int kExitError = 1;       // invalid manifests, plan errors, apply failures, refusals
inline constexpr int kExitChanges = 2;     // `plan --detailed-exitcode`: the plan has changes
inline constexpr int kExitVerifyFailed = 3;  // `verify`: at least one canary failed
// `drift`: what the most serious difference found was (risky wins over
// unobservable, which wins over expected); kExitOk when there is none.
inline constexpr int kExitDriftExpected = 4;
inline constexpr int kExitDriftRisky = 5;
inline constexpr int kExitDriftUnobservable = 6;
inline constexpr int kExitUsage = 64;      // bad command line (EX_USAGE)

}  // namespace cmk
