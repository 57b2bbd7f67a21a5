// Running one hook: the entry points the engine and `validate` call.
//
// RunHook reads the hook's script, builds a fresh LuaSandbox with the cmk.*
// API over the given HookHost, runs it under the limits and returns a
// HookResult; it never throws, never prints, and never lets a script crash or
// hang cmkctl (see lua_sandbox.h for the limits and the one known gap).
// Which hooks run for which change is decided by the plan (SelectHooks in
// the engine), never here. What a failure
// *means* (rollback, halt, warn) is decided by the caller from
// HookSpec::on_failure; see docs/hooks.md.
//
// Thread-compatible: concurrent RunHook calls on different hosts are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "hooks/host_api.h"
#include "model/state.h"
#include "model/world.h"

namespace cmk {

struct HookLimits {
  int64_t instructions = 50'000'000;
  size_t memory_bytes = 32u << 20;
  double wall_seconds = 30;  // a cap on HookSpec::timeout_seconds
};

struct HookRunInput {
  const HookSpec* spec = nullptr;
  Json change;        // the plan change: action, address, kind, before, after, reason, ...
  Json plan_summary;  // {create: n, update: n, ...}
  bool rollback_script = false;  // run spec->rollback_script instead of spec->script
};

// Why a hook did not pass.
enum class HookFailure {
  kNone,
  kLoad,          // script missing, too large, bytecode, syntax error
  kScriptError,   // a Lua error escaped the script
  kFailed,        // cmk.fail(message)
  kInstructions,  // instruction budget exhausted
  kMemory,        // memory cap hit
  kWallClock,     // wall-clock limit (timeout) reached
  kInternal,
};
const char* HookFailureName(HookFailure failure);  // "none", "load", "script-error", ...

struct HookResult {
  std::string hook;
  bool ok = false;
  HookFailure failure = HookFailure::kNone;
  // Names the hook and the limit or error: "hook 'canary' failed: version 3f2a... FAIL".
  std::string message;
  std::vector<std::string> logs;  // "info: ..." / "warn: ...", in order
  double seconds = 0;             // charged time (real + simulated sleeps)
};

HookResult RunHook(const HookRunInput& input, HookHost& host, const HookLimits& limits = {});

// Loads the script without running it: errors as "file:line: message".
Status CheckHookScript(const std::string& path);

}  // namespace cmk
