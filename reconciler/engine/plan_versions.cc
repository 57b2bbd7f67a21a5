#include "engine/plan_versions.h"

#include "base/duration.h"
#include "model/key_id.h"

namespace cmk {
namespace {

std::string Date(int64_t t) { return FormatRfc3339(t); }


}  // namespace

Json ToJson(const KeyVersions& k) {
  Json versions = Json::array();
  for (const auto& v : k.versions) {
    Json row{{"version", v.version},
             {"created", Date(v.created)},
             {"enabled", v.enabled},
             {"consumers", v.consumers}};
    row["expires"] = v.expires ? Json(Date(*v.expires)) : Json();
    if (v.generation > 0) row["generation"] = v.generation;
    versions.push_back(row);
  }
  Json findings = Json::array();
  for (const auto& f : k.findings)
    findings.push_back(Json{{"kind", f.kind}, {"subject", f.subject}, {"message", f.message}});
  return Json{{"address", k.address},
              {"versions", versions},
              {"upcoming", k.upcoming},
              {"findings", findings},
              {"blocked", k.blocked}};
}

KeyVersions KeyVersionsFromJson(const Json& j) {
  KeyVersions k;
  if (!j.is_object()) return k;
  if (j.contains("address") && j["address"].is_string()) k.address = j["address"];
  if (j.contains("versions") && j["versions"].is_array()) {
    for (const auto& r : j["versions"]) {
      VersionRow v;
      if (r.contains("version") && r["version"].is_string()) v.version = r["version"];
      if (r.contains("created") && r["created"].is_string()) {
        auto t = ParseRfc3339(r["created"].get<std::string>());
        if (t.ok()) v.created = *t;
      }
      if (r.contains("expires") && r["expires"].is_string()) {
        auto t = ParseRfc3339(r["expires"].get<std::string>());
        if (t.ok()) v.expires = *t;
      }
      if (r.contains("enabled") && r["enabled"].is_boolean()) v.enabled = r["enabled"];
      if (r.contains("generation") && r["generation"].is_number_integer())
        v.generation = r["generation"];
      v.consumers = JsonStrings(r, "consumers");
      k.versions.push_back(v);
    }
  }
  k.upcoming = JsonStrings(j, "upcoming");
  if (j.contains("findings") && j["findings"].is_array())
    for (const auto& f : j["findings"]) {
      Finding finding;
      if (f.contains("kind") && f["kind"].is_string()) finding.kind = f["kind"];
      if (f.contains("subject") && f["subject"].is_string()) finding.subject = f["subject"];
      if (f.contains("message") && f["message"].is_string()) finding.message = f["message"];
      k.findings.push_back(finding);
    }
  k.blocked = JsonStrings(j, "blocked");
  return k;
}

std::string RenderKeyVersionsText(const std::vector<KeyVersions>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += "\nVersions of " + k.address + " (oldest first):\n";
    for (const auto& v : k.versions) {
      out += "    " + ShortenVersions(v.version) + "  created " + Date(v.created) + "  expires " +
             (v.expires ? Date(*v.expires) : std::string("never")) + "  " +
             (v.enabled ? "enabled " : "disabled");
      if (v.generation > 0) out += "  generation " + std::to_string(v.generation);
      if (!v.consumers.empty()) {
        out += "  used by ";
        for (size_t i = 0; i < v.consumers.size(); ++i) out += (i ? ", " : "") + v.consumers[i];
      }
      out += "\n";
    }
    for (const auto& u : k.upcoming) out += "    upcoming: " + u + "\n";
    for (const auto& f : k.findings) out += "    inventory: " + ShortenVersions(f.message) + "\n";
    for (const auto& b : k.blocked) out += "    " + ShortenVersions(b) + "\n";
  }
  return out;
}

std::string RenderKeyVersionsMarkdown(const std::vector<KeyVersions>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += "\n#### Versions of `" + k.address + "`\n\n";
    out += "| Version | Created | Expires | Enabled | Generation | Used by |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const auto& v : k.versions) {
      std::string users;
      for (size_t i = 0; i < v.consumers.size(); ++i) users += (i ? ", " : "") + v.consumers[i];
      out += "| `" + ShortenVersions(v.version) + "` | " + Date(v.created) + " | " +
             (v.expires ? Date(*v.expires) : std::string("never")) + " | " +
             (v.enabled ? "yes" : "no") + " | " +
             (v.generation > 0 ? std::to_string(v.generation) : std::string()) + " | " + users +
             " |\n";
    }
    if (!k.upcoming.empty() || !k.findings.empty() || !k.blocked.empty()) out += "\n";
    for (const auto& u : k.upcoming) out += "- upcoming: " + u + "\n";
    for (const auto& f : k.findings) out += "- inventory: " + ShortenVersions(f.message) + "\n";
    for (const auto& b : k.blocked) out += "- **" + ShortenVersions(b) + "**\n";
  }
  return out;
}

}  // namespace cmk
