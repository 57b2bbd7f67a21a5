#include "sandbox/sandbox_util.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "crypto/crypto.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {

Result<std::string> RandomGuid() {
  CMK_ASSIGN_OR_RETURN(SecureBytes r, RandomBytes(16));
  Bytes b = r.bytes();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

Result<std::string> RandomVersionId() {
  CMK_ASSIGN_OR_RETURN(SecureBytes r, RandomBytes(16));
  return HexEncode(r.bytes());
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

Status AzureError(StatusCode code, const std::string& azure_code, const std::string& message) {
  return Status(code, azure_code + ": " + message);
}

Status BadParameter(const std::string& message) {
  return AzureError(StatusCode::kInvalidArgument, "BadParameter", message);
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

std::string ConsumerArmId(ConsumerKind kind, const std::string& subscription,
                          const std::string& resource_group, const std::string& name) {
  return "/subscriptions/" + subscription + "/resourceGroups/" + resource_group + "/providers/" +
         Traits(kind).arm_type + "/" + name;
}

std::string ConsumerRowKey(ConsumerKind kind, const std::string& subscription,
                           const std::string& resource_group, const std::string& name) {
  return Lower(ConsumerArmId(kind, subscription, resource_group, name));
}

Json ConsumerDoc(const ConsumerState& c, const Json& old) {
  Json doc = ToJson(c);
  for (const char* extra : kAccountExtras)
    if (old.is_object() && old.contains(extra)) doc[extra] = old[extra];
  return doc;
}

int64_t AdoptionDelayHours(const Json& doc, ConsumerKind kind) {
  if (doc.is_object() && doc.contains(kAccountAdoptionDelay)) return DocInt(doc, kAccountAdoptionDelay);
  return Traits(kind).adoption_seconds / 3600;
}

int64_t BackupRetentionSeconds(const Json& doc) {
  if (doc.is_object() && doc.contains(kConsumerBackupRetention))
    return DocInt(doc, kConsumerBackupRetention);
  return kDefaultBackupRetentionSeconds;
}

void RetainKeyId(ConsumerState& c, Json& doc, const std::string& kid, int64_t since) {
  if (kid.empty()) return;
  auto& ids = c.retained_key_ids;
  if (std::none_of(ids.begin(), ids.end(), [&](const std::string& s) { return SameUri(s, kid); }))
    ids.push_back(kid);
  std::sort(ids.begin(), ids.end());
  Json& times = doc[kConsumerRetainedSince];
  if (!times.is_object()) times = Json::object();
  times[kid] = since;
}

void ReleaseKeyId(ConsumerState& c, Json& doc, const std::string& kid) {
  auto& ids = c.retained_key_ids;
  std::vector<std::string> kept;
  for (const auto& id : ids) {
    if (!SameUri(id, kid)) {
      kept.push_back(id);
    } else if (doc.is_object() && doc.contains(kConsumerRetainedSince) &&
               doc[kConsumerRetainedSince].is_object()) {
      doc[kConsumerRetainedSince].erase(id);
    }
  }
  ids = std::move(kept);
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

}  // namespace cmk
