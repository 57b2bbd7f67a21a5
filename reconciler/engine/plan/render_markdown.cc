// The Markdown plan view for pull-request comments: a summary table and a
// collapsible section per change. Table cells are escaped; values stay whole.
#include <string>

#include "engine/plan/render.h"

namespace cmk {
namespace {

const char* Badge(Action a) {
  switch (a) {
    case Action::kCreate: return "+";
    case Action::kUpdate: return "~";
    case Action::kReplace: return "-/+";
    case Action::kDelete: return "-";
    case Action::kNoOp: return "";
    case Action::kRotate: return "~";
    case Action::kDisableVersion: return "-";
    case Action::kRepin: return "~";
    case Action::kRecover: return "+";
  }
  return "?";
}

std::string Cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

std::string Code(const std::string& s) { return "`" + Cell(s) + "`"; }

std::string ValueCode(const Json& j) { return j.is_null() ? "_(none)_" : Code(j.dump()); }

std::string CodeList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + Code(s);
  return out;
}

void MessageList(std::string& out, const char* title, const std::vector<PlanMessage>& messages) {
  if (messages.empty()) return;
  out += std::string("\n#### ") + title + "\n\n";
  for (const auto& m : messages) {
    out += "- " + Cell(m.message);
    if (!m.source.empty()) out += " (" + Code(m.source) + ")";
    out += "\n";
  }
}

}  // namespace

std::string RenderMarkdown(const Plan& plan) {
  std::string out = "### cmkctl plan: " + Code(plan.target.ToString()) + "\n\n";
  out += "**" + SummaryLine(plan) + "**\n";
  if (plan.HasChanges()) {
    out += "\n| | Address | Action | Risk | Owner | Reason |\n|---|---|---|---|---|---|\n";
    for (const auto& c : plan.changes) {
      if (c.action == Action::kNoOp) continue;
      out += "| " + std::string(Badge(c.action)) + " | " + Code(c.address) + " | " +
             ActionName(c.action) + " | " + RiskName(c.risk) + " | " + Cell(c.owner) + " | " +
             Cell(c.reason) + " |\n";
    }
    for (const auto& c : plan.changes) {
      if (c.action == Action::kNoOp) continue;
      out += "\n<details><summary><code>" + c.address + "</code>: " + ActionName(c.action) +
             " (risk " + RiskName(c.risk) + ")</summary>\n\n";
      out += "- **Reason:** " + Cell(c.reason) + "\n";
      out += "- **Owner:** " + Cell(c.owner.empty() ? "(none)" : c.owner) + "\n";
      if (!c.source.empty()) out += "- **Source:** " + Code(c.source) + "\n";
      if (!c.hooks.empty()) out += "- **Hooks:** " + CodeList(c.hooks) + "\n";
      if (!c.depends_on.empty()) out += "- **After:** " + CodeList(c.depends_on) + "\n";
      if (!c.fields.empty()) {
        out += "\n| Field | Before | After |\n|---|---|---|\n";
        for (const auto& f : c.fields)
          out += "| " + Code(f.path) + " | " + ValueCode(f.before) + " | " + ValueCode(f.after) + " |\n";
      }
      if (c.action == Action::kCreate)
        out += "\n```json\n" + RequestPayload(c.request).dump(2) + "\n```\n";
      out += "\n</details>\n";
    }
  }
  out += RenderKeyVersionsMarkdown(plan.keys);
  MessageList(out, "Errors", plan.errors);
  MessageList(out, "Warnings", plan.warnings);
  if (!plan.unobservable.empty()) {
    out += "\n#### Not read: changes resting on these are withheld\n\n";
    for (const auto& [address, reason] : plan.unobservable) out += "- " + Code(address) + ": " + Cell(reason) + "\n";
    for (const auto& w : plan.withheld)
      out += "- withheld " + Code(w.address) + " (" + ActionName(w.action) + "): " + Cell(w.reason) + "\n";
  }
  return out;
}

}  // namespace cmk
