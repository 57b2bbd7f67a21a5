#include "hooks/lua_json.h"

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace cmk {
namespace {

// PushJson's frames may be unwound by a Lua error (longjmp): keep them free of
// anything with a destructor.
static_assert(std::is_trivially_destructible_v<Json::const_iterator>);

struct JsonBudget {
  size_t nodes = 0;
  size_t string_bytes = 0;
};

Status Check(const Json& j, const JsonLuaLimits& limits, int depth, JsonBudget& budget) {
  if (depth > limits.max_depth)
    return InvalidArgument("JSON value nested deeper than " + std::to_string(limits.max_depth) +
                           " levels");
  if (++budget.nodes > limits.max_nodes)
    return InvalidArgument("JSON value has more than " + std::to_string(limits.max_nodes) +
                           " elements");
  if (j.is_string()) budget.string_bytes += j.get_ref<const std::string&>().size();
  if (j.is_object()) {
    for (auto it = j.cbegin(); it != j.cend(); ++it) {
      budget.string_bytes += it.key().size();
      CMK_RETURN_IF_ERROR(Check(it.value(), limits, depth + 1, budget));
    }
  } else if (j.is_array()) {
    for (const Json& e : j) CMK_RETURN_IF_ERROR(Check(e, limits, depth + 1, budget));
  }
  if (budget.string_bytes > limits.max_string_bytes)
    return InvalidArgument("JSON value holds more than " +
                           std::to_string(limits.max_string_bytes) + " bytes of text");
  return Status::Ok();
}

int ReadOnlyNewIndex(lua_State* L) {
  const char* what = lua_tostring(L, lua_upvalueindex(1));
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "attempt to modify read-only table %s (field '%s')", what,
                      lua_tostring(L, 2));
  return luaL_error(L, "attempt to modify read-only table %s", what);
}

int RawNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int ReadOnlyPairs(lua_State* L) {
  lua_pushcfunction(L, RawNext);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushnil(L);
  return 3;
}

int ReadOnlyLen(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, lua_upvalueindex(1))));
  return 1;
}

void Push(lua_State* L, const Json& j, const char* read_only_name) {
  luaL_checkstack(L, 6, "JSON value too deep");
  switch (j.type()) {
    case Json::value_t::boolean:
      lua_pushboolean(L, *j.get_ptr<const Json::boolean_t*>() ? 1 : 0);
      return;
    case Json::value_t::number_integer:
      lua_pushinteger(L, static_cast<lua_Integer>(*j.get_ptr<const Json::number_integer_t*>()));
      return;
    case Json::value_t::number_unsigned: {
      Json::number_unsigned_t u = *j.get_ptr<const Json::number_unsigned_t*>();
      if (u <= static_cast<Json::number_unsigned_t>(std::numeric_limits<lua_Integer>::max()))
        lua_pushinteger(L, static_cast<lua_Integer>(u));
      else
        lua_pushnumber(L, static_cast<lua_Number>(u));
      return;
    }
    case Json::value_t::number_float:
      lua_pushnumber(L, static_cast<lua_Number>(*j.get_ptr<const Json::number_float_t*>()));
      return;
    case Json::value_t::string: {
      const std::string* s = j.get_ptr<const std::string*>();
      lua_pushlstring(L, s->data(), s->size());
      return;
    }
    case Json::value_t::array: {
      size_t n = j.size();
      lua_createtable(L, n < 1u << 20 ? static_cast<int>(n) : 0, 0);
      for (size_t i = 0; i < n; ++i) {
        Push(L, j[i], read_only_name);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      break;
    }
    case Json::value_t::object: {
      lua_createtable(L, 0, j.size() < 1u << 20 ? static_cast<int>(j.size()) : 0);
      for (auto it = j.cbegin(); it != j.cend(); ++it) {
        if (it.value().is_null()) continue;
        const std::string& key = it.key();
        lua_pushlstring(L, key.data(), key.size());
        Push(L, it.value(), read_only_name);
        lua_rawset(L, -3);
      }
      break;
    }
    default:  // null, discarded, binary
      lua_pushnil(L);
      return;
  }
  if (read_only_name != nullptr) MakeReadOnly(L, read_only_name);
}

}  // namespace

Status CheckJsonForLua(const Json& j, const JsonLuaLimits& limits) {
  JsonBudget budget;
  return Check(j, limits, 1, budget);
}

void PushJson(lua_State* L, const Json& j, const char* read_only_name) {
  Push(L, j, read_only_name);
}

void MakeReadOnly(lua_State* L, const char* what) {
  luaL_checkstack(L, 6, "read-only proxy");
  int target = lua_gettop(L);
  lua_createtable(L, 0, 0);  // the proxy
  lua_createtable(L, 0, 5);  // its metatable
  lua_pushvalue(L, target);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, what);
  lua_pushcclosure(L, ReadOnlyNewIndex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, target);
  lua_pushcclosure(L, ReadOnlyPairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushvalue(L, target);
  lua_pushcclosure(L, ReadOnlyLen, 1);
  lua_setfield(L, -2, "__len");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_replace(L, target);
}

}  // namespace cmk
