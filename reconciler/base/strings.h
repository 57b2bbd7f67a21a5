// Small string helpers shared by every layer: ASCII case folding (Azure
// names, ids and URIs compare case-insensitively), concatenation and
// joining. Pure functions; thread-safe. The one place these are written.
#pragma once

#include <cstdint>
#include <optional>
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
// "true" (any case) or "1": how environment switches such as CI and
// AZURE_CLIENT_SEND_CERTIFICATE_CHAIN say yes.
bool IsTruthy(std::string_view s);

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

// The one rule for text that comes in (manifests, seeds, hook output): valid
// UTF-8 made of the characters YAML calls printable. Tab and line feed are
// allowed; carriage return only where `allow_cr` (a file's line ends); no
// other C0 control, no DEL, no C1 control but NEL, no surrogate, no U+FFFE or
// U+FFFF. Such text is safe to hand to nlohmann-json and to a terminal.
struct TextFault {
  size_t offset = 0;  // byte offset of the first bad byte
  std::string what;   // "byte 0xFF is not UTF-8", "control character U+001B"
};
std::optional<TextFault> FindTextFault(std::string_view text, bool allow_cr = false);

// `text` with every fault replaced: bad bytes become U+FFFD, control
// characters their escaped form (\x1b). For text that must be shown whatever
// it holds (a hook's output, a value read from the wire).
std::string SanitizeText(std::string_view text);

}  // namespace cmk
