#include "model/arm_id.h"

#include <cstdio>
#include <vector>

#include "base/strings.h"
#include "model/state.h"

namespace cmk {
namespace {

std::string_view WithoutTrailingSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string VaultArmId(const std::string& sub, const std::string& rg, const std::string& vault) {
  return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.KeyVault/vaults/" +
         vault;
}

std::string KeyArmId(const std::string& sub, const std::string& rg, const std::string& vault,
                     const std::string& key) {
  return VaultArmId(sub, rg, vault) + "/keys/" + key;
}

std::string IdentityArmId(const std::string& sub, const std::string& rg, const std::string& name) {
  return "/subscriptions/" + sub + "/resourceGroups/" + rg +
         "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name;
}

std::string StorageArmId(const std::string& sub, const std::string& rg, const std::string& name) {
  return "/subscriptions/" + sub + "/resourceGroups/" + rg +
         "/providers/Microsoft.Storage/storageAccounts/" + name;
}

std::string LiveVaultId(const VaultState& v) {
  return v.id.empty() ? VaultArmId(v.subscription, v.resource_group, v.name) : v.id;
}

ArmIdParts ParseArmId(std::string_view id) {
  std::vector<std::string_view> seg;
  for (size_t start = 0; start <= id.size();) {
    size_t slash = id.find('/', start);
    if (slash == std::string_view::npos) slash = id.size();
    if (slash > start) seg.push_back(id.substr(start, slash - start));
    start = slash + 1;
  }
  ArmIdParts p;
  for (size_t i = 0; i + 1 < seg.size(); ++i) {
    if (EqualsIgnoreCase(seg[i], "subscriptions") && p.subscription.empty())
      p.subscription = std::string(seg[i + 1]);
    if (EqualsIgnoreCase(seg[i], "resourcegroups") && p.resource_group.empty())
      p.resource_group = std::string(seg[i + 1]);
  }
  if (!seg.empty()) p.name = std::string(seg.back());
  return p;
}

std::string TrailingSegment(std::string_view id) {
  std::string_view s = WithoutTrailingSlashes(id);
  size_t slash = s.rfind('/');
  return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

bool UnderScope(std::string_view id, std::string_view scope) {
  scope = WithoutTrailingSlashes(scope);
  if (scope.empty()) return true;  // "/" is the root scope
  if (id.size() < scope.size() || !EqualsIgnoreCase(id.substr(0, scope.size()), scope)) return false;
  return id.size() == scope.size() || id[scope.size()] == '/';
}

bool SameUri(std::string_view a, std::string_view b) {
  return EqualsIgnoreCase(WithoutTrailingSlashes(a), WithoutTrailingSlashes(b));
}

std::string NormalizedId(std::string_view id) { return Lower(WithoutTrailingSlashes(id)); }

std::vector<std::string> ScopesAbove(std::string_view id) {
  std::string s = NormalizedId(id);
  std::vector<std::string> out{""};
  for (size_t slash = s.find('/', 1); slash != std::string::npos; slash = s.find('/', slash + 1))
    out.push_back(s.substr(0, slash));
  if (!s.empty()) out.push_back(std::move(s));
  return out;
}

std::string VaultUri(const std::string& vault, const std::string& dns_suffix) {
  return "https://" + vault + "." + dns_suffix;
}

std::string DeterministicGuid(std::string_view seed) {
  uint64_t a = Fnv1a(seed, 14695981039346656037ULL);
  uint64_t b = Fnv1a(seed, a ^ 0x9e3779b97f4a7c15ULL);
  char buf[40];
  // Version nibble 5 and RFC 4122 variant bits, so it looks like the UUIDv5 it stands in for.
  std::snprintf(buf, sizeof buf, "%08x-%04x-5%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

}  // namespace cmk
