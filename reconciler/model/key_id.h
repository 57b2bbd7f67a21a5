// Key identifiers ("kid"): https://{vault}.{dns suffix}/keys/{name}[/{version}],
// as Key Vault returns them and Storage reports the version it uses. The one
// parser of them, and the short form of 32-hex versions the views print.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cmk {

struct KeyId {
  std::string vault_url;  // "https://myvault.vault.azure.net" (":443" dropped, other ports kept)
  std::string vault;      // "myvault": the first label of the host
  std::string name;
  std::string version;    // "" for a version-less id
};
// nullopt unless `kid` is https://HOST/keys/NAME[/VERSION] with a dotted host
// (query strings and trailing slashes are ignored; http:// is read alike, for
// local test servers: the scheme does not identify a key).
std::optional<KeyId> ParseKeyId(std::string_view kid);

// "vault/key", lower case: how indexes key a key (vault and key names are
// case-insensitive in Azure).
std::string NormalizedKeyName(std::string_view vault, std::string_view key);

// The vault name of a vault URI or kid ("https://v.vault.azure.net/..." -> "v"); "" if none.
std::string VaultNameOfUri(std::string_view uri);

// "0123456789abcdef…" -> "01234567…" for every 32-hex run that stands as a
// word; other text unchanged.
std::string ShortenVersions(std::string_view s);

}  // namespace cmk
