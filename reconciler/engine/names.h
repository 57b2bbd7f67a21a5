// Small string helpers the engine shares: case-insensitive ARM comparisons,
// ownership marks, fingerprints. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "model/state.h"

namespace cmk {

std::string Lower(const std::string& s);
bool EqualsIgnoreCase(const std::string& a, const std::string& b);
// True when `id` equals `scope` or lies below it ("scope/...").
bool UnderScope(const std::string& id, const std::string& scope);
// The last path segment of a role definition id ("/.../roleDefinitions/GUID" -> "GUID").
std::string TrailingSegment(const std::string& id);
// URIs compared without trailing slashes, case-insensitively.
bool SameUri(const std::string& a, const std::string& b);

bool IsOwned(const Tags& tags);
bool IsOwned(const RoleAssignmentState& ra);

// FNV-1a 64-bit of `s`, 16 lower-case hex digits.
std::string Fnv1aHex(const std::string& s);
// "0123456789abcdef…" -> "01234567…" for every 32-hex run; other text unchanged.
std::string ShortenVersions(const std::string& s);

// The ARM id of a live vault (its own id when the provider gave one).
std::string LiveVaultId(const VaultState& v);

}  // namespace cmk
