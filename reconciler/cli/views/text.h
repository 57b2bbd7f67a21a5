// Helpers the text views share. Formatting only.
#pragma once

#include <string>

namespace cmk {

// `s` padded to `width` visible characters, and at least one space after it
// (UTF-8 aware: "…" counts as one character, as a terminal shows it).
inline std::string Pad(const std::string& s, size_t width) {
  size_t visible = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++visible;
  return visible >= width ? s + " " : s + std::string(width - visible, ' ');
}

}  // namespace cmk
