// JSON -> Lua conversion for the hook sandbox, with size and depth limits.
//
// CheckJsonForLua runs in C++ land (it may allocate, never touches Lua) and
// refuses documents beyond the limits; PushJson then builds the Lua value. It
// may raise Lua errors (memory) and is written so that a longjmp over it is
// safe: only references and trivially destructible iterators live on its
// frames. Objects become tables keyed by member name, arrays 1-based
// sequences, null becomes nil (an absent member; a hole in an array).
// Read-only tables are empty proxies whose __index is the real table, whose
// __newindex raises, and whose __pairs/__len forward to it (so pairs, ipairs
// and # work; next() on a proxy sees nothing). Internal to hooks/.
#pragma once

#include <cstddef>

#include <lua.hpp>

#include "base/status.h"
#include "model/state.h"

namespace cmk {

struct JsonLuaLimits {
  int max_depth = 32;
  size_t max_nodes = 200'000;
  size_t max_string_bytes = 4u << 20;  // summed over all strings and keys
};

[[nodiscard]] Status CheckJsonForLua(const Json& j, const JsonLuaLimits& limits = {});

// Pushes j (checked first with CheckJsonForLua). Raises Lua errors. With a
// read_only_name ("cmk.change") every table is a read-only proxy whose
// error names it; with nullptr the tables are plain.
void PushJson(lua_State* L, const Json& j, const char* read_only_name);

// Replaces the table at the top of the stack by a read-only proxy of it.
void MakeReadOnly(lua_State* L, const char* what);

}  // namespace cmk
