// Reading a hook script from disk: a regular file of at most kMaxHookScriptBytes,
// Lua source text only (precompiled bytecode is refused before Lua sees it).
// No Lua here. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"

namespace cmk {

inline constexpr size_t kMaxHookScriptBytes = 256u << 10;

// Errors name the path: "hooks/x.lua: precompiled Lua bytecode is refused ...".
Result<std::string> ReadHookScript(const std::string& path);

}  // namespace cmk
