#include "engine/names.h"

#include <cctype>
#include <cstdio>

namespace cmk {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(const std::string& a, const std::string& b) { return Lower(a) == Lower(b); }

bool UnderScope(const std::string& id, const std::string& scope) {
  std::string i = Lower(id), s = Lower(scope);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (i.compare(0, s.size(), s) != 0) return false;
  return i.size() == s.size() || i[s.size()] == '/';
}

std::string TrailingSegment(const std::string& id) {
  std::string s = id;
  while (!s.empty() && s.back() == '/') s.pop_back();
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

bool SameUri(const std::string& a, const std::string& b) {
  std::string x = Lower(a), y = Lower(b);
  while (!x.empty() && x.back() == '/') x.pop_back();
  while (!y.empty() && y.back() == '/') y.pop_back();
  return x == y;
}

bool IsOwned(const Tags& tags) {
  auto it = tags.find(kOwnershipTagKey);
  return it != tags.end() && it->second == kOwnershipTagValue;
}

bool IsOwned(const RoleAssignmentState& ra) {
  const std::string prefix = kOwnershipDescriptionPrefix;
  return ra.description.compare(0, prefix.size(), prefix) == 0;
}

std::string Fnv1aHex(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string ShortenVersions(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
    bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1]));
    bool word_end = j == s.size() || !std::isalnum(static_cast<unsigned char>(s[j]));
    if (j - i == 32 && word_start && word_end) {
      out += s.substr(i, 8) + "\xE2\x80\xA6";
      i = j;
    } else if (j > i) {
      out += s.substr(i, j - i);
      i = j;
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string LiveVaultId(const VaultState& v) {
  return v.id.empty() ? VaultArmId(v.subscription, v.resource_group, v.name) : v.id;
}

}  // namespace cmk
