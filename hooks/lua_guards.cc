#include "hooks/lua_guards.h"

#include <cstdio>
#include <cstring>

namespace cmk {
namespace {

// Every function here runs inside Lua: trivially destructible locals only.

enum PatternFn { kFind = 0, kMatch = 1, kGmatch = 2, kGsub = 3 };
const char* kPatternFnNames[] = {"string.find", "string.match", "string.gmatch", "string.gsub"};

// Calls the original function (upvalue 1) with every argument; returns all results.
int CallOriginal(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

int SafeSetmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L,
                        "__gc metamethods are not allowed in hooks (Lua runs finalizers outside "
                        "the hook's instruction budget)");
    lua_pop(L, 1);
  }
  return CallOriginal(L);
}

// xpcall whose message handler runs after the stack is unwound. The stock
// one calls the handler at the point of the error; when the error comes from
// the sandbox's count hook, Lua is still inside the hook with hooks disabled,
// so a looping handler would run forever. Errors in the handler are returned
// like the stock "error in error handling" case: xpcall never raises.
int SafeXpcall(lua_State* L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checkstack(L, n + 2, "too many arguments to xpcall");
  lua_pushvalue(L, 1);
  for (int i = 3; i <= n; ++i) lua_pushvalue(L, i);
  if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_insert(L, n + 1);
    return lua_gettop(L) - n;
  }
  lua_pushvalue(L, 2);
  lua_insert(L, -2);
  lua_pcall(L, 1, 1, 0);
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

int SafeRep(lua_State* L) {
  size_t len = 0, sep_len = 0;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sep_len);
  if (n <= 0 || len + sep_len == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  return CallOriginal(L);
}

int SafeMove(lua_State* L) {
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  if (e >= f && static_cast<lua_Unsigned>(e) - static_cast<lua_Unsigned>(f) >=
                    static_cast<lua_Unsigned>(kMaxTableRange))
    return luaL_error(L, "table.move: range of more than %d elements refused in hooks",
                      static_cast<int>(kMaxTableRange));
  return CallOriginal(L);
}

int SafeShift(lua_State* L) {
  if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
    return luaL_error(L, "table.insert/table.remove on a table with __len are refused in hooks");
  return CallOriginal(L);
}

int SafePattern(lua_State* L) {
  int fn = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  size_t subject_len = 0, pattern_len = 0;
  luaL_checklstring(L, 1, &subject_len);
  const char* pattern = luaL_checklstring(L, 2, &pattern_len);
  bool plain = fn == kFind && lua_toboolean(L, 4);
  double work = PatternWorkBound(pattern, pattern_len, subject_len, plain, fn == kGmatch);
  if (work > kMaxPatternWork) {
    char message[256];
    std::snprintf(message, sizeof message,
                  "%s: pattern too expensive for the hook sandbox (worst case %.1e steps on a "
                  "%zu-byte subject); use a simpler pattern or a shorter subject",
                  kPatternFnNames[fn], work, subject_len);
    return luaL_error(L, "%s", message);
  }
  return CallOriginal(L);
}

void Wrap(lua_State* L, const char* name, lua_CFunction guard, int extra) {
  lua_getfield(L, -1, name);
  if (extra >= 0) {
    lua_pushinteger(L, extra);
    lua_pushcclosure(L, guard, 2);
  } else {
    lua_pushcclosure(L, guard, 1);
  }
  lua_setfield(L, -2, name);
}

// Skips one single-character class starting at p[i]; returns the index after it.
size_t SkipClass(const char* p, size_t len, size_t i) {
  if (p[i] == '%') return i + 2 <= len ? i + 2 : len;
  if (p[i] != '[') return i + 1;
  ++i;
  if (i < len && p[i] == '^') ++i;
  if (i < len) ++i;  // a leading ']' is literal
  while (i < len && p[i] != ']') i += (p[i] == '%' && i + 1 < len) ? 2 : 1;
  return i < len ? i + 1 : len;
}

}  // namespace

double PatternWorkBound(const char* p, size_t len, size_t subject_len, bool plain,
                        bool iterate_all_starts) {
  double n = static_cast<double>(subject_len);
  double m = static_cast<double>(len) + 1;
  if (plain) return (n + 1) * m;
  size_t i = 0;
  bool anchored = len > 0 && p[0] == '^' && !iterate_all_starts;
  if (anchored) i = 1;
  int repetitions = 0;
  int optionals = 0;
  while (i < len) {
    char c = p[i];
    if (c == '(' || c == ')') { ++i; continue; }
    if (c == '%' && i + 1 < len && p[i + 1] == 'b') { ++repetitions; i += 4; continue; }
    if (c == '%' && i + 1 < len && p[i + 1] == 'f') { i = SkipClass(p, len, i + 2); continue; }
    if (c == '%' && i + 1 < len && p[i + 1] >= '0' && p[i + 1] <= '9') { ++repetitions; i += 2; continue; }
    i = SkipClass(p, len, i);
    if (i < len && (p[i] == '*' || p[i] == '+' || p[i] == '-')) { ++repetitions; ++i; }
    else if (i < len && p[i] == '?') { ++optionals; ++i; }
  }
  // Paths through a match from one start: at most C(n + q, q) ways to split
  // the subject among q repetitions, times 2 per optional item.
  double paths = 1;
  for (int k = 1; k <= repetitions && paths < 1e30; ++k) paths *= (n + k) / k;
  for (int k = 0; k < optionals && paths < 1e30; ++k) paths *= 2;
  double starts = anchored ? 1 : n + 1;
  return starts * paths * m;
}

void InstallLibraryGuards(lua_State* L) {
  lua_pushglobaltable(L);
  Wrap(L, "setmetatable", SafeSetmetatable, -1);
  lua_pushcfunction(L, SafeXpcall);
  lua_setfield(L, -2, "xpcall");
  lua_getfield(L, -1, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  Wrap(L, "rep", SafeRep, -1);
  Wrap(L, "find", SafePattern, kFind);
  Wrap(L, "match", SafePattern, kMatch);
  Wrap(L, "gmatch", SafePattern, kGmatch);
  Wrap(L, "gsub", SafePattern, kGsub);
  lua_pop(L, 1);
  lua_getfield(L, -1, LUA_TABLIBNAME);
  Wrap(L, "move", SafeMove, -1);
  Wrap(L, "insert", SafeShift, -1);
  Wrap(L, "remove", SafeShift, -1);
  lua_pop(L, 2);
}

}  // namespace cmk
