// The human plan view. Long 32-hex versions are shortened to 8 characters;
// the JSON view keeps them whole.
#include <string>

#include "base/strings.h"
#include "model/key_id.h"
#include "engine/plan/render.h"

namespace cmk {
namespace {

const char* Symbol(Action a) {
  switch (a) {
    case Action::kCreate: return "+";
    case Action::kUpdate: return "~";
    case Action::kReplace: return "-/+";
    case Action::kDelete: return "-";
    case Action::kNoOp: return " ";
    case Action::kRotate: return "~";
    case Action::kDisableVersion: return "-";
    case Action::kRepin: return "~";
    case Action::kRecover: return "+";
  }
  return "?";
}

std::string Value(const Json& j) { return j.is_null() ? "(none)" : ShortenVersions(j.dump()); }

// "path = value" for every non-empty leaf of a created object, so a reviewer
// sees what will exist, not just that something will.
void Leaves(const Json& j, const std::string& path, std::string& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      Leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    return;
  }
  if (j.is_null() || (j.is_array() && j.empty()) || (j.is_string() && j.get<std::string>().empty()))
    return;
  out += "      " + path + " = " + ShortenVersions(j.dump()) + "\n";
}

void Messages(std::string& out, const char* title, const std::vector<PlanMessage>& messages) {
  if (messages.empty()) return;
  out += std::string("\n") + title + ":\n";
  for (const auto& m : messages) {
    out += "  " + m.message;
    if (!m.source.empty()) out += " (" + m.source + ")";
    out += "\n";
  }
}

// What the read could not see and the changes kept out because of it.
void Unread(std::string& out, const Plan& plan) {
  if (plan.unobservable.empty()) return;
  out += "\nNot read (" + std::to_string(plan.unobservable.size()) + "); changes resting on them are withheld:\n";
  for (const auto& [address, reason] : plan.unobservable) out += "  " + address + ": " + reason + "\n";
  if (plan.withheld.empty()) return;
  out += "\nWithheld (" + std::to_string(plan.withheld.size()) + "):\n";
  for (const auto& w : plan.withheld) {
    out += "  " + w.address + " (" + ActionName(w.action) + "): " + w.reason;
    if (!w.source.empty()) out += " (" + w.source + ")";
    out += "\n";
  }
}

}  // namespace

std::string SummaryLine(const Plan& plan) {
  PlanSummary s = plan.Summary();
  const std::string withheld =
      plan.unobservable.empty() ? std::string()
                                : " " + std::to_string(plan.withheld.size()) + " withheld: " +
                                      std::to_string(plan.unobservable.size()) + " not read.";
  if (!plan.HasChanges() && !withheld.empty())
    return "No changes to what could be read (" + std::to_string(s.no_op) + " unchanged);" + withheld;
  if (!plan.HasChanges())
    return "No changes. Live state matches the manifests (" + std::to_string(s.no_op) +
           " unchanged).";
  std::string versions;
  if (s.rotate + s.repin + s.disable_version > 0)
    versions = std::to_string(s.rotate) + " to rotate, " + std::to_string(s.repin) + " to repin, " +
               std::to_string(s.disable_version) +
               (s.disable_version == 1 ? " version" : " versions") + " to retire; ";
  // Shown only when a plan recovers something, so existing plans read as before.
  const std::string recover = s.recover ? std::to_string(s.recover) + " to recover, " : std::string();
  return "Plan: " + recover + std::to_string(s.create) + " to create, " + std::to_string(s.update) +
         " to update, " + std::to_string(s.replace) + " to replace, " + std::to_string(s.del) +
         " to delete; " + versions + std::to_string(s.no_op) + " unchanged." + withheld;
}

std::string RenderText(const Plan& plan) {
  std::string out = "Target: " + plan.target.ToString() + "\n";
  for (const auto& c : plan.changes) {
    if (c.action == Action::kNoOp) continue;
    out += "\n" + std::string(Symbol(c.action)) + " " + c.address + " (" + ActionName(c.action) +
           ")\n";
    out += "    reason: " + ShortenVersions(c.reason) + "\n";
    out += "    owner:  " + (c.owner.empty() ? "(none)" : c.owner);
    if (!c.source.empty()) out += "  [" + c.source + "]";
    out += "\n";
    out += "    risk:   " + std::string(RiskName(c.risk)) + "\n";
    if (!c.hooks.empty()) out += "    hooks:  " + Join(c.hooks) + "\n";
    if (!c.depends_on.empty()) out += "    needs:  " + Join(c.depends_on) + "\n";
    if (c.action == Action::kCreate) Leaves(RequestPayload(c.request), "", out);
    for (const auto& f : c.fields)
      out += "      " + f.path + ": " + Value(f.before) + " \xE2\x86\x92 " + Value(f.after) + "\n";
  }
  out += RenderKeyVersionsText(plan.keys);
  Messages(out, "Errors", plan.errors);
  Messages(out, "Warnings", plan.warnings);
  Unread(out, plan);
  out += "\n" + SummaryLine(plan) + "\n";
  if (plan.HasErrors())
    out += "The plan has " + std::to_string(plan.errors.size()) +
           (plan.errors.size() == 1 ? " error" : " errors") + ": apply will refuse it.\n";
  return out;
}

}  // namespace cmk
