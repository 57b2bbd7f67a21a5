#include "engine/plan/plan_versions.h"

#include "base/duration.h"
#include "model/key_id.h"

namespace cmk {
namespace {

std::string Date(int64_t t) { return FormatRfc3339(t); }


}  // namespace

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
