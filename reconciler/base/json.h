// JSON (nlohmann::json) and the one set of tolerant getters every layer
// uses to read members out of documents it did not write (Azure's answers,
// stored sandbox rows, saved plans): a missing member or one of the wrong
// type reads as empty, never throws. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cmk {

using Json = nlohmann::json;

// The member `key` of object `j`; a null Json when `j` is not an object or
// has no such member. (nlohmann's const operator[] on a missing member is
// undefined behaviour: use this instead.)
const Json& JsonMember(const Json& j, std::string_view key);
// The member if it is an object, else an empty object.
const Json& JsonObject(const Json& j, std::string_view key);
// The member as a string; "" when absent or not a string.
std::string JsonString(const Json& j, std::string_view key);
// The member as an integer; `fallback` when absent or not an integer.
int64_t JsonInt(const Json& j, std::string_view key, int64_t fallback = 0);
// The member as a boolean; `fallback` when absent or not a boolean.
bool JsonBool(const Json& j, std::string_view key, bool fallback = false);
// The string elements of an array member, in order; others are skipped.
std::vector<std::string> JsonStrings(const Json& j, std::string_view key);

}  // namespace cmk
