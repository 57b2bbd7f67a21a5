// LuaSandbox: one fresh, locked-down Lua 5.4 state for one run of one hook.
//
// What the script gets: base (without load, loadfile, dofile, collectgarbage,
// rawset, print, warn), string (without dump), table, math, utf8. No io, os, package, debug, coroutine.
// Chunks are loaded as text only. Three limits hold whatever the script does:
//   * an instruction budget and a wall-clock limit, checked by a count hook;
//     once hit the sandbox is "stopped" and the hook raises on every following
//     instruction, so pcall cannot swallow it;
//   * a memory cap in the allocator; a refused allocation stops the sandbox
//     too, so a pcall'd "not enough memory" still fails the run.
// Standard functions whose cost the count hook cannot see (C loops, Lua code
// run with hooks disabled: __gc finalizers, stock xpcall handlers) are
// guarded or replaced; see lua_guards.h. A blocking host call is not
// interrupted: its time is charged once it returns.
//
// Lua 5.4 from Debian is C and raises errors with longjmp: code called from
// Lua never keeps C++ objects with non-trivial destructors on a frame that a
// Lua error may unwind, and never lets a C++ exception reach Lua. This class
// never raises into its caller: every entry point returns a Status.
//
// Not thread-safe; one sandbox per thread. Internal to hooks/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <lua.hpp>

#include "base/status.h"

namespace cmk {

struct SandboxLimits {
  int64_t instructions = 50'000'000;
  size_t memory_bytes = 32u << 20;
  double wall_seconds = 30;
};

// Why the sandbox stopped a script (sticky once set).
enum class SandboxStop { kNone, kInstructions, kMemory, kWallClock, kFailed };

class LuaSandbox {
 public:
  // Opens the allow-listed libraries. Globals are not locked yet: install the
  // host API, then call LockGlobals().
  static Result<std::unique_ptr<LuaSandbox>> Create(const SandboxLimits& limits);
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  lua_State* state() { return L_; }

  // Calls fn in protected mode with `ud` as a light userdata at index 1.
  // For setup code that may raise (every allocation may).
  Status Protected(lua_CFunction fn, void* ud);

  // From now on assigning a global raises "assignment to undeclared global",
  // reading a removed library raises "'os' is not available ...".
  Status LockGlobals();

  // Loads `text` (never bytecode) as the chunk to run.
  Status Load(const std::string& chunkname, const std::string& text);

  // Runs the loaded chunk under the limits. On failure the Status carries the
  // script's error (string errors truncated to 2 KiB; other error objects
  // described by type, never converted through metamethods). Check stop()
  // first: a limit or cmk.fail takes precedence over the script's own error.
  Status Run();

  // For Lua-facing code of hooks/.
  static LuaSandbox* From(lua_State* L);
  // Marks the sandbox stopped; every following instruction raises.
  void Stop(SandboxStop why);
  SandboxStop stop() const { return stop_; }
  const SandboxLimits& limits() const { return limits_; }
  // Seconds charged to the run: real time since Create plus host sleeps that
  // returned early (a simulated clock advances without real time passing).
  double Elapsed() const;
  double RemainingWall() const { return limits_.wall_seconds - Elapsed(); }
  void CreditSleep(double requested, double real);
  int64_t instructions_used() const { return instructions_; }
  size_t memory_used() const { return used_; }
  void* user_data() const { return user_data_; }
  void set_user_data(void* p) { user_data_ = p; }

  static constexpr size_t kMaxErrorBytes = 2048;

 private:
  explicit LuaSandbox(const SandboxLimits& limits);
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static void CountHook(lua_State* L, lua_Debug* ar);
  void InstallHook(int count);

  lua_State* L_ = nullptr;
  SandboxLimits limits_;
  SandboxStop stop_ = SandboxStop::kNone;
  bool closing_ = false;
  bool memory_hit_ = false;
  size_t used_ = 0;
  int64_t instructions_ = 0;
  int hook_period_ = 1000;
  double credited_seconds_ = 0;
  std::chrono::steady_clock::time_point start_;
  void* user_data_ = nullptr;
};

// "'os' is not available ..." style: the names a sandboxed script cannot reach.
bool IsRemovedGlobal(const char* name);

}  // namespace cmk
