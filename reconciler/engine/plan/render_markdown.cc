// The Markdown plan view for pull-request comments. It fits a comment
// (GitHub stops at 65,536 characters): first the summary line, counts by
// action and risk, errors, blocked retirements and what was not read; then a
// table and a collapsible section per change, the key version tables and the
// warnings, as many as fit, and a line saying what was left out and where the
// full plan is. Table cells are escaped; values stay whole.
#include <array>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "engine/plan/render.h"
#include "model/key_id.h"

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

std::string RenderMarkdown(const Plan& plan, size_t budget) {
  std::string out = "### cmkctl plan: " + Code(plan.target.ToString()) + "\n\n";
  out += "**" + SummaryLine(plan) + "**\n";
  // First what a reviewer must see whatever the plan's size: counts by
  // action and risk, errors and blocked retirements, what was not read.
  std::string head;
  if (plan.HasChanges()) {
    static constexpr Risk kRisks[] = {Risk::kNone, Risk::kLow, Risk::kMedium, Risk::kHigh};
    std::map<std::string, std::array<int, 5>> counts;  // action -> per risk, total
    for (const auto& c : plan.changes) {
      if (c.action == Action::kNoOp) continue;
      auto& row = counts[ActionName(c.action)];
      ++row[static_cast<size_t>(c.risk)];
      ++row[4];
    }
    head += "\n| Action | none | low | medium | high | total |\n|---|---|---|---|---|---|\n";
    for (const auto& [action, row] : counts) {
      head += "| " + action;
      for (size_t i = 0; i < std::size(kRisks); ++i) head += " | " + std::to_string(row[i]);
      head += " | " + std::to_string(row[4]) + " |\n";
    }
  }
  MessageList(head, "Errors", plan.errors);
  std::vector<std::string> blocked;
  for (const auto& k : plan.keys)
    for (const auto& b : k.blocked) blocked.push_back(k.address + ": " + ShortenVersions(b));
  if (!blocked.empty()) {
    head += "\n#### Blocked\n\n";
    for (const auto& b : blocked) head += "- " + Cell(b) + "\n";
  }
  if (!plan.unobservable.empty()) {
    head += "\n#### Not read: changes resting on these are withheld\n\n";
    for (const auto& [address, reason] : plan.unobservable) head += "- " + Code(address) + ": " + Cell(reason) + "\n";
    for (const auto& w : plan.withheld)
      head += "- withheld " + Code(w.address) + " (" + ActionName(w.action) + "): " + Cell(w.reason) + "\n";
  }
  // Room left for a closing line saying what was left out.
  constexpr size_t kCutLine = 400;
  auto fits = [&](const std::string& more) { return out.size() + more.size() + kCutLine <= budget; };
  size_t left_out_lines = 0;
  if (!fits(head)) {
    // Even the head is too long (thousands of errors): keep what fits, line by line.
    size_t start = 0;
    while (start < head.size()) {
      size_t end = head.find('\n', start);
      end = end == std::string::npos ? head.size() : end + 1;
      std::string line = head.substr(start, end - start);
      if (fits(line)) out += line;
      else ++left_out_lines;
      start = end;
    }
  } else {
    out += head;
  }

  size_t shown = 0, total = 0;
  if (plan.HasChanges()) {
    std::string table = "\n| | Address | Action | Risk | Owner | Reason |\n|---|---|---|---|---|---|\n";
    std::string details;
    for (const auto& c : plan.changes) {
      if (c.action == Action::kNoOp) continue;
      ++total;
      if (shown != total - 1) continue;  // cut already: counted, not rendered
      std::string row = "| " + std::string(Badge(c.action)) + " | " + Code(c.address) + " | " +
                        ActionName(c.action) + " | " + RiskName(c.risk) + " | " + Cell(c.owner) + " | " +
                        Cell(c.reason) + " |\n";
      std::string d = "\n<details><summary><code>" + c.address + "</code>: " + ActionName(c.action) +
                      " (risk " + RiskName(c.risk) + ")</summary>\n\n";
      d += "- **Reason:** " + Cell(c.reason) + "\n";
      d += "- **Owner:** " + Cell(c.owner.empty() ? "(none)" : c.owner) + "\n";
      if (!c.source.empty()) d += "- **Source:** " + Code(c.source) + "\n";
      if (!c.hooks.empty()) d += "- **Hooks:** " + CodeList(c.hooks) + "\n";
      if (!c.depends_on.empty()) d += "- **After:** " + CodeList(c.depends_on) + "\n";
      if (!c.fields.empty()) {
        d += "\n| Field | Before | After |\n|---|---|---|\n";
        for (const auto& f : c.fields)
          d += "| " + Code(f.path) + " | " + ValueCode(f.before) + " | " + ValueCode(f.after) + " |\n";
      }
      if (c.action == Action::kCreate) d += "\n```json\n" + RequestPayload(c.request).dump(2) + "\n```\n";
      d += "\n</details>\n";
      // A change is shown whole (its row and its details) or not at all.
      if (shown == total - 1 &&
          out.size() + table.size() + details.size() + row.size() + d.size() + kCutLine <= budget) {
        table += row;
        details += d;
        ++shown;
      }
    }
    if (shown > 0) out += table + details;
  }
  std::string tail = RenderKeyVersionsMarkdown(plan.keys);
  std::string warnings;
  MessageList(warnings, "Warnings", plan.warnings);
  bool tail_out = !tail.empty() && !fits(tail);
  if (!tail_out) out += tail;
  bool warnings_out = !warnings.empty() && !fits(warnings);
  if (!warnings_out) out += warnings;
  if (shown < total || tail_out || warnings_out || left_out_lines > 0) {
    out += "\n---\n**Cut to fit a comment:** ";
    std::vector<std::string> parts;
    if (shown < total) parts.push_back(std::to_string(total - shown) + " of " + std::to_string(total) + " changes");
    if (left_out_lines) parts.push_back(std::to_string(left_out_lines) + " summary lines");
    if (tail_out) parts.push_back("the key version tables");
    if (warnings_out) parts.push_back(std::to_string(plan.warnings.size()) + " warnings");
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
    out += " left out. The full plan is the JSON (`cmkctl plan --out plan.json`, the pipeline's artefact).\n";
  }
  return out;
}

}  // namespace cmk
