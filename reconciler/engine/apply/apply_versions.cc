#include "engine/apply/apply_versions.h"

#include <set>
#include <string>

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {
namespace {


// The newest version's attributes as UpdateKey takes them.
KeyState NewestAttributes(const KeyState& k) {
  KeyState out;
  out.vault = k.vault;
  out.name = k.name;
  const KeyVersionState& v = k.versions.back();
  out.enabled = v.enabled;
  out.not_before = v.not_before;
  out.expires = v.expires;
  out.key_ops = v.key_ops;
  out.tags = v.tags;
  return out;
}

Status TagNewest(Provider& p, const KeyState& k, int64_t generation) {
  KeyState attrs = NewestAttributes(k);
  attrs.tags.erase(kRotatePendingTagKey);
  attrs.tags[kGenerationTagKey] = std::to_string(generation);
  return p.UpdateKey(UpdateKey{attrs}).status();
}

}  // namespace

Status ApplyRotation(const RotateToGeneration& request, Provider& p) {
  const std::string& vault = request.key.vault;
  const std::string& name = request.key.name;
  const int64_t generation = request.generation;
  CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, p.GetKey(request.key));
  if (!key || key->versions.empty()) return NotFound("key/" + name + " not found in vault " + vault);
  for (const auto& v : key->versions)
    if (GenerationOf(v.tags) >= generation) return Status::Ok();  // done by an earlier run
  // An interrupted earlier run left its marker on the version that was newest
  // when it rotated: a newer version means RotateKey succeeded; tag it.
  const std::string marker = std::to_string(generation) + ":";
  for (const auto& v : key->versions) {
    auto it = v.tags.find(kRotatePendingTagKey);
    if (it == v.tags.end() || it->second.rfind(marker, 0) != 0) continue;
    std::string marked = it->second.substr(marker.size());
    if (!EqualsIgnoreCase(marked, key->versions.back().version)) return TagNewest(p, *key, generation);
  }
  KeyState mark = NewestAttributes(*key);
  mark.tags[kRotatePendingTagKey] = marker + key->versions.back().version;
  CMK_RETURN_IF_ERROR(p.UpdateKey(UpdateKey{mark}).status());
  CMK_ASSIGN_OR_RETURN(KeyState rotated, p.RotateKey(RotateKey{request.key}));
  if (rotated.versions.empty()) return Internal("RotateKey returned no versions");
  return TagNewest(p, rotated, generation);
}

namespace {

// Wraps and unwraps a fixed, non-secret probe with `version`.
Status ProbeCanary(Provider& p, const KeyState& key, const std::string& version) {
  std::string alg;
  if (key.kty.rfind("RSA", 0) == 0) alg = "RSA-OAEP-256";
  else if (key.kty == "oct-HSM") alg = "A256KW";
  else return Status::Ok();  // EC keys do not wrap
  Bytes probe(32);
  for (size_t i = 0; i < probe.size(); ++i) probe[i] = static_cast<uint8_t>(i * 7 + 1);
  auto wrapped = p.WrapKey(WrapKey{KeyVersionRef{key.vault, key.name, version}, alg, probe});
  if (!wrapped.ok())
    return FailedPrecondition("blocked: canary wrap with version " + ShortenVersions(version) +
                              " failed: " + wrapped.status().message());
  auto unwrapped = p.UnwrapKey(UnwrapKey{KeyVersionRef{key.vault, key.name, version}, alg, *wrapped});
  if (!unwrapped.ok())
    return FailedPrecondition("blocked: canary unwrap with version " + ShortenVersions(version) +
                              " failed: " + unwrapped.status().message());
  if (*unwrapped != probe)
    return FailedPrecondition("blocked: canary with version " + ShortenVersions(version) +
                              " returned different bytes");
  return Status::Ok();
}

}  // namespace

Status ApplyRetirement(const RetireVersion& request, Provider& p, const VersionCanary& canary) {
  const std::string& vault = request.key.vault;
  const std::string& name = request.key.name;
  const std::string& version = request.version;
  CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, p.GetKey(request.key));
  if (!key) return NotFound("key/" + name + " not found in vault " + vault);
  const KeyVersionState* target = nullptr;
  for (const auto& v : key->versions)
    if (EqualsIgnoreCase(v.version, version)) target = &v;
  if (!target) return NotFound("version " + ShortenVersions(version) + " of key/" + name + " not found");
  if (!key->versions.empty() && EqualsIgnoreCase(key->versions.back().version, version))
    return FailedPrecondition("blocked: version " + ShortenVersions(version) + " is now the newest version");
  bool expire = request.action == "expire";
  int64_t now = p.Now();
  if (!target->enabled || (target->expires && *target->expires <= now)) return Status::Ok();
  // Fresh evidence: which versions do the consumers use right now?
  std::set<std::string> used;
  for (const auto& consumer : request.consumers) {
    CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> acct, p.GetConsumer(consumer.consumer));
    if (!acct || !EqualsIgnoreCase(acct->encryption.key_name, name)) continue;
    for (const std::string& v : ConsumerVersions(*acct, key->versions.back().version)) {
      if (EqualsIgnoreCase(v, version))
        return FailedPrecondition("blocked: version " + ShortenVersions(version) + " is now used by " +
                                  ConsumerAddress(acct->kind, acct->name));
      used.insert(Lower(v));
    }
  }
  for (const auto& v : used) CMK_RETURN_IF_ERROR(canary ? canary(p, *key, v) : ProbeCanary(p, *key, v));
  KeyVersionState attrs = *target;
  if (expire)
    attrs.expires = now;
  else
    attrs.enabled = false;
  return p.UpdateKeyVersion(UpdateKeyVersion{request.key, attrs});
}

}  // namespace cmk
