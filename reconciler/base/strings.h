// Small string helpers shared by every layer: ASCII case folding (Azure
// names, ids and URIs compare case-insensitively), concatenation and
// joining. Pure functions; thread-safe. The one place these are written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cmk {

// ASCII lower case (Azure's names are ASCII; other bytes pass unchanged).
std::string Lower(std::string_view s);
// Case-insensitive ASCII equality, without allocating.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);

// "a, b, c".
std::string Join(const std::vector<std::string>& parts, std::string_view separator = ", ");

// FNV-1a 64-bit of `s` (from `seed`), and as 16 lower-case hex digits.
uint64_t Fnv1a(std::string_view s, uint64_t seed = 14695981039346656037ULL);
std::string Fnv1aHex(std::string_view s);

namespace internal {
inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, char> &&
                                                  !std::is_same_v<T, bool>>>
void Append(std::string& out, T v) {
  out.append(std::to_string(v));
}
inline void Append(std::string& out, bool v) { out.append(v ? "true" : "false"); }
}  // namespace internal

// Concatenates strings, characters and numbers: StrCat("waited ", 5, " ms").
template <typename... Parts>
std::string StrCat(const Parts&... parts) {
  std::string out;
  (internal::Append(out, parts), ...);
  return out;
}

}  // namespace cmk
