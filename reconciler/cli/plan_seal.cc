#include "cli/plan_seal.h"

#include <fstream>
#include <sstream>

#include "base/json.h"
#include "crypto/crypto.h"
#include "engine/plan/plan_codec.h"

namespace cmk {
namespace {

constexpr const char* kDigestPrefix = "sha256:";

Result<std::string> FileSha256(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("cannot read " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return std::string(kDigestPrefix) + HexEncode(Sha256(text.str()));
}

std::string TextSha256(const std::string& text) { return std::string(kDigestPrefix) + HexEncode(Sha256(text)); }

}  // namespace

Status RecordHookDigests(Plan& plan) {
  for (HookSpec& h : plan.hooks) {
    Result<std::string> script = FileSha256(h.script);
    if (!script.ok()) return script.status().WithContext("hook/" + h.name);
    h.script_sha256 = *script;
    if (!h.rollback_script.empty()) {
      Result<std::string> rollback = FileSha256(h.rollback_script);
      if (!rollback.ok()) return rollback.status().WithContext("hook/" + h.name + " rollbackScript");
      h.rollback_script_sha256 = *rollback;
    }
  }
  return Status::Ok();
}

std::string SealPlan(const Plan& plan) {
  std::string canonical = PlanToJsonText(plan);
  Json j = Json::parse(canonical);
  j["digest"] = TextSha256(canonical);
  return j.dump(2) + "\n";
}

Result<Plan> UnsealPlan(const std::string& text, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(path + ": reading saved plan: malformed plan JSON");
  if (!j.contains("digest") || !j["digest"].is_string())
    return InvalidArgument(path + ": the plan carries no digest: only a plan saved with `cmkctl plan "
                                  "--out FILE` can be applied (run plan --out again)");
  std::string recorded = j["digest"].get<std::string>();
  j.erase("digest");
  Result<Plan> plan = PlanFromJson(j.dump());
  if (!plan.ok()) return plan.status().WithContext(path);
  // The digest covers the plan's canonical form: any change of meaning shows.
  if (TextSha256(PlanToJsonText(*plan)) != recorded)
    return InvalidArgument(path + ": the plan was changed after `plan --out` wrote it (its digest "
                                  "no longer matches): run plan again and review it");
  return plan;
}

Status CheckHookDigests(const Plan& plan) {
  for (const HookSpec& h : plan.hooks) {
    Result<std::string> script = FileSha256(h.script);
    if (!script.ok()) return script.status().WithContext("hook/" + h.name + ": the plan's script");
    if (*script != h.script_sha256)
      return InvalidArgument("hook/" + h.name + ": script " + h.script +
                             " changed since the plan was made: run plan again and review it");
    if (h.rollback_script.empty()) continue;
    Result<std::string> rollback = FileSha256(h.rollback_script);
    if (!rollback.ok()) return rollback.status().WithContext("hook/" + h.name + ": the plan's rollback script");
    if (*rollback != h.rollback_script_sha256)
      return InvalidArgument("hook/" + h.name + ": rollback script " + h.rollback_script +
                             " changed since the plan was made: run plan again and review it");
  }
  return Status::Ok();
}

}  // namespace cmk
