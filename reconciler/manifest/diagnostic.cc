#include "manifest/diagnostic.h"

#include <algorithm>
#include <tuple>

#include "base/strings.h"

namespace cmk {

std::string Diagnostic::Render() const {
  std::string out;
  if (!loc.file.empty()) out += loc.ToString() + ": ";
  out += severity == Severity::kError ? "error: " : "warning: ";
  if (!address.empty()) out += address + ": ";
  out += SanitizeText(message) + "\n";
  if (!loc.valid() || source_line.empty()) return out;
  size_t indent = source_line.find_first_not_of(" \t");
  if (indent == std::string::npos) indent = source_line.size();
  size_t col = static_cast<size_t>(loc.col - 1);
  if (col < indent) indent = col;
  std::string line = source_line.substr(indent);
  out += "  " + SanitizeText(line) + "\n";
  std::string caret = "  ";
  for (size_t i = indent; i < col && i < source_line.size(); ++i)
    caret += source_line[i] == '\t' ? '\t' : ' ';
  for (size_t i = source_line.size(); i < col; ++i) caret += ' ';
  out += caret + "^\n";
  return out;
}

std::string RenderAll(const std::vector<Diagnostic>& diagnostics, size_t max_shown) {
  std::string out;
  size_t errors = 0, warnings = 0;
  for (size_t i = 0; i < diagnostics.size(); ++i) {
    if (i < max_shown) {
      out += diagnostics[i].Render();
    } else {
      (diagnostics[i].severity == Severity::kError ? errors : warnings) += 1;
    }
  }
  if (errors + warnings > 0)
    out += "... and " + std::to_string(errors) + " more error(s), " + std::to_string(warnings) +
           " more warning(s), not shown (the first " + std::to_string(max_shown) + " are above)\n";
  return out;
}

void SortDiagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.loc.file, a.loc.line, a.loc.col, a.message) <
                            std::tie(b.loc.file, b.loc.line, b.loc.col, b.message);
                   });
}

namespace {

// A message quotes the values it is about; a 3 MiB name must not make a
// 3 MiB message. Cut at a UTF-8 boundary.
constexpr size_t kMaxMessageBytes = 1024;

std::string Bounded(const std::string& message) {
  if (message.size() <= kMaxMessageBytes) return message;
  size_t cut = kMaxMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return message.substr(0, cut) + "... (" + std::to_string(message.size() - cut) + " more bytes)";
}

}  // namespace

void DiagnosticList::Error(const SourceLoc& loc, const std::string& address,
                           const std::string& message) {
  items_.push_back({Severity::kError, loc, Bounded(address), Bounded(message), ""});
  ++errors_;
}

void DiagnosticList::Warning(const SourceLoc& loc, const std::string& address,
                             const std::string& message) {
  items_.push_back({Severity::kWarning, loc, Bounded(address), Bounded(message), ""});
}

}  // namespace cmk
