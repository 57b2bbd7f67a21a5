#include "base/strings.h"

#include <cstdio>
#include <utility>

namespace cmk {
namespace {

constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  return true;
}

bool IsTruthy(std::string_view s) { return s == "1" || EqualsIgnoreCase(s, "true"); }

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

uint64_t Fnv1a(std::string_view s, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Fnv1aHex(std::string_view s) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a(s)));
  return buf;
}

namespace {

// Decodes one UTF-8 sequence at `i`: the code point and its length, or
// length 0 for a malformed sequence (overlong, truncated, out of range).
std::pair<uint32_t, size_t> DecodeUtf8(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1};
  size_t len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {0, 0};
  }
  if (i + len > s.size()) return {0, 0};
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF) return {0, 0};
  return {cp, len};
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

// Why a decoded code point is not allowed, or "".
std::string CodePointFault(uint32_t cp, bool allow_cr) {
  if (cp == '\t' || cp == '\n' || (cp == '\r' && allow_cr)) return "";
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F && cp != 0x85))
    return "control character " + CodePointName(cp);
  if (cp >= 0xD800 && cp <= 0xDFFF) return "surrogate " + CodePointName(cp);
  if (cp == 0xFFFE || cp == 0xFFFF) return "non-character " + CodePointName(cp);
  return "";
}

}  // namespace

std::optional<TextFault> FindTextFault(std::string_view text, bool allow_cr) {
  for (size_t i = 0; i < text.size();) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {  // the common case: printable ASCII
      ++i;
      continue;
    }
    auto [cp, len] = DecodeUtf8(text, i);
    if (len == 0) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "byte 0x%02X is not valid UTF-8", static_cast<unsigned>(b));
      return TextFault{i, buf};
    }
    // Surrogates decode (as 3 bytes) but are not UTF-8 either.
    if (std::string why = CodePointFault(cp, allow_cr); !why.empty()) return TextFault{i, why};
    i += len;
  }
  return std::nullopt;
}

std::string SanitizeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    auto [cp, len] = DecodeUtf8(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (!CodePointFault(cp, /*allow_cr=*/false).empty()) {
      if (cp < 0x100) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
        out += buf;
      } else {
        out += "\xEF\xBF\xBD";
      }
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace cmk
