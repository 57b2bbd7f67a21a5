// base64url (strict and lenient) and hex. No OpenSSL: the EVP base64 codec
// accepts whitespace and padding, which the JWK rules forbid.
#include <array>

#include "crypto/crypto.h"

namespace cmk {
namespace {

constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of one character, or -1. `standard` additionally maps '+' and '/'.
int SextetOf(char c, bool url, bool standard) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (url && c == '-') return 62;
  if (url && c == '_') return 63;
  if (standard && c == '+') return 62;
  if (standard && c == '/') return 63;
  return -1;
}

// Decodes unpadded text. Error messages name positions, never content.
Result<Bytes> DecodeUnpadded(const std::string& text, bool url, bool standard) {
  if (text.size() % 4 == 1) {
    return InvalidArgument("base64url: invalid length " + std::to_string(text.size()));
  }
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = SextetOf(text[i], url, standard);
    if (v < 0) {
      return InvalidArgument("base64url: invalid character at offset " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero, or two texts decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgument("base64url: non-canonical trailing bits");
  }
  return out;
}

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Base64UrlEncode(const Bytes& data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
    out += kUrlAlphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string Base64Encode(const Bytes& data) {
  std::string out = Base64UrlEncode(data);
  for (char& c : out) c = c == '-' ? '+' : c == '_' ? '/' : c;
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

Result<Bytes> Base64UrlDecode(const std::string& text) {
  return DecodeUnpadded(text, /*url=*/true, /*standard=*/false);
}

Result<Bytes> Base64AnyDecode(const std::string& text) {
  std::string body = text;
  size_t first_pad = body.find('=');
  if (first_pad != std::string::npos) {
    // Padding only at the end, at most two, and only to a multiple of 4.
    size_t pads = body.size() - first_pad;
    if (pads > 2 || body.find_first_not_of('=', first_pad) != std::string::npos ||
        body.size() % 4 != 0) {
      return InvalidArgument("base64: invalid padding");
    }
    body.resize(first_pad);
  }
  bool has_url = body.find_first_of("-_") != std::string::npos;
  bool has_std = body.find_first_of("+/") != std::string::npos;
  if (has_url && has_std) return InvalidArgument("base64: mixes the url and standard alphabets");
  return DecodeUnpadded(body, /*url=*/true, /*standard=*/true);
}

std::string HexEncode(const Bytes& data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Result<Bytes> HexDecode(const std::string& hex) {
  if (hex.size() % 2 != 0) return InvalidArgument("hex: odd length");
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexNibble(hex[i]);
    int lo = HexNibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("hex: invalid character at offset " + std::to_string(i));
    out.push_back(static_cast<uint8_t>((hi << 4) | lo));
  }
  return out;
}

}  // namespace cmk
