// The cmk.* API that a hook script sees, and the host interface behind it.
//
// HookHost is what cmkctl (or a test) provides: fresh reads of live objects,
// the consumers of a key, the canary verification, a clock and a way to
// sleep. It has no mutating call: hooks cannot change Azure. The hooks
// library depends on nothing but this interface (no provider, no engine).
//
// InstallHostApi publishes, as the read-only global `cmk`:
//   cmk.change, cmk.plan, cmk.hook      read-only data
//   cmk.live(address)                   fresh read -> table | nil
//   cmk.consumers(key)                  {{account=, version=, pinned=}, ...}
//   cmk.verify(key[, version])          {outcome="pass"|"FAIL"|"skip", message=, version=, ...}
//   cmk.wait_until(fn, timeout_s[, interval_s])  -> true | false
//   cmk.now()                           unix seconds from the host's clock
//   cmk.env(name)                       allow-listed variables only
//   cmk.log.info(msg), cmk.log.warn(msg) collected, never printed (print() = log.info)
//   cmk.fail(message)                   fails the hook; pcall cannot undo it
// Host errors become Lua errors ("cmk.live(key/x): unavailable: ..."), which a
// script may catch with pcall. docs/hooks.md is the user documentation.
//
// A HookHost is used by one hook run at a time; implementations need not be
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/state.h"
#include "model/world.h"

namespace cmk {

class HookHost {
 public:
  virtual ~HookHost() = default;
  // The live object at `address` ("key/bank-cmk", "storage/acct", ...) as the
  // state model's JSON; a null Json when it does not exist.
  virtual Result<Json> Live(const std::string& address) = 0;
  // A JSON array of {"account": ..., "version": ..., "pinned": bool, ...}.
  virtual Result<Json> Consumers(const std::string& key) = 0;
  // The canary result for a key version ("" = the newest): a JSON object with
  // at least "outcome" ("pass" | "FAIL" | "skip") and "message".
  virtual Result<Json> Verify(const std::string& key, const std::string& version) = 0;
  virtual int64_t Now() = 0;  // unix seconds
  virtual void Sleep(double seconds) = 0;  // a simulated clock may just advance
};

class LuaSandbox;

// Per-run state of the API, owned by the runner; outlives the Lua state's use.
struct HostApiRun {
  const HookSpec* spec = nullptr;
  HookHost* host = nullptr;
  Json change;
  Json plan_summary;
  std::vector<std::string> logs;  // "info: ..." / "warn: ..."
  std::string failure;            // the cmk.fail message, when called
  bool failed = false;
  // Staging area for values crossing into Lua (see host_api.cc).
  Json scratch;
  std::string error;
  int64_t now = 0;
  size_t log_bytes = 0;
  bool logs_truncated = false;
};

inline constexpr size_t kMaxLogEntries = 200;
inline constexpr size_t kMaxLogMessageBytes = 2048;

// Checks the change and plan JSON against the conversion limits, then
// publishes `cmk` (and print) in the sandbox. Call before LockGlobals.
[[nodiscard]] Status InstallHostApi(LuaSandbox& sandbox, HostApiRun& run);

}  // namespace cmk
