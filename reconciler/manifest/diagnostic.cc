#include "manifest/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace cmk {

std::string Diagnostic::Render() const {
  std::string out;
  if (!loc.file.empty()) out += loc.ToString() + ": ";
  out += severity == Severity::kError ? "error: " : "warning: ";
  if (!address.empty()) out += address + ": ";
  out += message + "\n";
  if (!loc.valid() || source_line.empty()) return out;
  size_t indent = source_line.find_first_not_of(" \t");
  if (indent == std::string::npos) indent = source_line.size();
  size_t col = static_cast<size_t>(loc.col - 1);
  if (col < indent) indent = col;
  std::string line = source_line.substr(indent);
  out += "  " + line + "\n";
  std::string caret = "  ";
  for (size_t i = indent; i < col && i < source_line.size(); ++i)
    caret += source_line[i] == '\t' ? '\t' : ' ';
  for (size_t i = source_line.size(); i < col; ++i) caret += ' ';
  out += caret + "^\n";
  return out;
}

std::string RenderAll(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.Render();
  return out;
}

void SortDiagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.loc.file, a.loc.line, a.loc.col, a.message) <
                            std::tie(b.loc.file, b.loc.line, b.loc.col, b.message);
                   });
}

void DiagnosticList::Error(const SourceLoc& loc, const std::string& address,
                           const std::string& message) {
  items_.push_back({Severity::kError, loc, address, message, ""});
  ++errors_;
}

void DiagnosticList::Warning(const SourceLoc& loc, const std::string& address,
                             const std::string& message) {
  items_.push_back({Severity::kWarning, loc, address, message, ""});
}

}  // namespace cmk
