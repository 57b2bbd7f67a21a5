#include "sandbox/sandbox_util.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "crypto/crypto.h"

namespace cmk::sandbox {

std::string Lower(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string VaultNameOfUri(const std::string& uri) {
  const std::string scheme = "https://";
  if (Lower(uri).rfind(scheme, 0) != 0) return "";
  std::string host = uri.substr(scheme.size());
  host = host.substr(0, host.find('/'));
  size_t dot = host.find('.');
  if (dot == std::string::npos || dot == 0) return "";
  return host.substr(0, dot);
}

bool EqualsIgnoreCase(const std::string& a, const std::string& b) { return Lower(a) == Lower(b); }

Result<std::string> RandomGuid() {
  CMK_ASSIGN_OR_RETURN(crypto::SecureBytes r, crypto::RandomBytes(16));
  crypto::Bytes b = r.bytes();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string hex = crypto::HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

Result<std::string> RandomVersionId() {
  CMK_ASSIGN_OR_RETURN(crypto::SecureBytes r, crypto::RandomBytes(16));
  return crypto::HexEncode(r.bytes());
}

bool LooksLikeGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool ScopeCovers(const std::string& scope, const std::string& target) {
  std::string s = Lower(scope), t = Lower(target);
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.empty() || s == "/") return true;
  if (t.compare(0, s.size(), s) != 0) return false;
  return t.size() == s.size() || t[s.size()] == '/';
}

std::string RoleGuid(const std::string& role_definition_id) {
  auto slash = role_definition_id.find_last_of('/');
  return Lower(slash == std::string::npos ? role_definition_id
                                          : role_definition_id.substr(slash + 1));
}

Status AzureError(StatusCode code, const std::string& azure_code, const std::string& message) {
  return Status(code, azure_code + ": " + message);
}

std::string VaultRowKey(const std::string& vault) { return Lower(vault); }
std::string KeyRowKey(const std::string& vault, const std::string& key) {
  return Lower(vault) + "/" + Lower(key);
}
std::string KeyRowPrefix(const std::string& vault) { return Lower(vault) + "/"; }
std::string VersionRowKey(const std::string& vault, const std::string& key,
                          const std::string& version) {
  return KeyRowKey(vault, key) + "/" + Lower(version);
}
std::string VersionRowPrefix(const std::string& vault, const std::string& key) {
  return KeyRowKey(vault, key) + "/";
}

std::string AccountRowKey(const std::string& subscription, const std::string& resource_group,
                          const std::string& name) {
  return Lower(StorageArmId(subscription, resource_group, name));
}

bool DocBool(const Json& doc, const char* key) {
  if (!doc.is_object()) return false;
  auto it = doc.find(key);
  return it != doc.end() && it->is_boolean() && it->get<bool>();
}
int64_t DocInt(const Json& doc, const char* key) {
  if (!doc.is_object()) return 0;
  auto it = doc.find(key);
  return it != doc.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}
std::string DocString(const Json& doc, const char* key) {
  if (!doc.is_object()) return "";
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}
const Json& DocObject(const Json& doc, const char* key) {
  static const Json kEmpty = Json::object();
  if (!doc.is_object()) return kEmpty;
  auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : kEmpty;
}

bool IsDeleted(const Json& doc) { return DocBool(doc, "deleted"); }
int64_t DeletionDate(const Json& doc) { return DocInt(doc, "deletionDate"); }
int64_t ScheduledPurgeDate(const Json& doc) { return DocInt(doc, "scheduledPurgeDate"); }

void MarkDeleted(Json& doc, int64_t now, int retention_days) {
  doc["deleted"] = true;
  doc["deletionDate"] = now;
  doc["scheduledPurgeDate"] = now + int64_t{retention_days} * 86400;
}

void ClearDeleted(Json& doc) {
  doc.erase("deleted");
  doc.erase("deletionDate");
  doc.erase("scheduledPurgeDate");
}

}  // namespace cmk::sandbox
