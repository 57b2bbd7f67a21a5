#include "model/key_id.h"

#include <cctype>

#include "base/strings.h"

namespace cmk {

namespace {

// The length of "https://" or "http://" at the start of `uri`; 0 for anything else.
size_t SchemeLength(std::string_view uri) {
  for (std::string_view scheme : {"https://", "http://"})
    if (uri.size() > scheme.size() && EqualsIgnoreCase(uri.substr(0, scheme.size()), scheme))
      return scheme.size();
  return 0;
}

}  // namespace

std::optional<KeyId> ParseKeyId(std::string_view kid) {
  const size_t scheme = SchemeLength(kid);
  if (scheme == 0) return std::nullopt;
  size_t keys = kid.find("/keys/", scheme);
  if (keys == std::string_view::npos) return std::nullopt;
  KeyId id;
  id.vault_url = std::string(kid.substr(0, keys));
  if (id.vault_url.size() > 4 && id.vault_url.compare(id.vault_url.size() - 4, 4, ":443") == 0)
    id.vault_url.resize(id.vault_url.size() - 4);
  id.vault = VaultNameOfUri(kid);
  if (id.vault.empty() || id.vault_url.find('/', scheme) != std::string::npos)
    return std::nullopt;
  std::string_view rest = kid.substr(keys + 6);
  rest = rest.substr(0, rest.find('?'));
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t slash = rest.find('/');
  id.name = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) id.version = std::string(rest.substr(slash + 1));
  if (id.name.empty() || id.version.find('/') != std::string::npos) return std::nullopt;
  return id;
}

std::string NormalizedKeyName(std::string_view vault, std::string_view key) {
  return Lower(vault) + "/" + Lower(key);
}

std::string VaultNameOfUri(std::string_view uri) {
  const size_t scheme = SchemeLength(uri);
  if (scheme == 0) return "";
  std::string_view host = uri.substr(scheme);
  host = host.substr(0, host.find('/'));
  size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return std::string(host.substr(0, dot));
}

std::string ShortenVersions(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1]));
    bool word_end = j == s.size() || !std::isalnum(static_cast<unsigned char>(s[j]));
    if (j - i == 32 && word_start && word_end) {
      out.append(s.substr(i, 8));
      out.append("\xE2\x80\xA6");
      i = j;
    } else if (j > i) {
      out.append(s.substr(i, j - i));
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

}  // namespace cmk
