// Guards around standard-library functions whose cost escapes the sandbox's
// count hook: C loops that run no Lua instruction and allocate nothing.
//
//   setmetatable    refuses metatables with __gc (Lua runs finalizers with
//                   hooks disabled: a looping __gc would hang cmkctl)
//   xpcall          calls the message handler after unwinding (the stock
//                   one runs it inside the count hook, where hooks are off)
//   string.rep      returns "" at once for empty pieces (the stock version
//                   loops n times copying nothing)
//   table.move      refuses ranges beyond kMaxTableRange elements
//   table.insert/remove  refuse tables with a __len metamethod (a huge
//                   length makes the shift loop run for ages on nils)
//   string.find/match/gmatch/gsub  refuse calls whose worst-case backtracking
//                   work (an upper bound from subject length, pattern length
//                   and the number of repetition items) exceeds a budget
//
// Called once from the sandbox's protected setup; may raise Lua errors.
// Internal to hooks/.
#pragma once

#include <lua.hpp>

namespace cmk {

inline constexpr long long kMaxTableRange = 1 << 22;
inline constexpr double kMaxPatternWork = 2e8;

// Expects the string and table libraries opened and in the global table.
void InstallLibraryGuards(lua_State* L);

// The bound used by the pattern guard (exposed for tests): an upper bound on
// the matcher's steps for a subject of `subject_len` bytes.
double PatternWorkBound(const char* pattern, size_t pattern_len, size_t subject_len, bool plain,
                        bool iterate_all_starts);

}  // namespace cmk
