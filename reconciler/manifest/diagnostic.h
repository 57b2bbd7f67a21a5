// Diagnostic: one user-facing problem found in the manifests.
//
// Diagnostics are collected, never thrown: the loader keeps checking every
// document and reports everything it found, sorted by file, line and column,
// rendered the way ninja and clang do (location, severity, address, message,
// then the offending line with a caret). Messages never contain secrets.
// Plain values; DiagnosticList is not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "model/state.h"

namespace cmk {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string address;      // "vault/bank-kv" when known
  std::string message;
  std::string source_line;  // the line `loc` points into, without newline

  // "file:line:col: error: address: message\n" then, when the source line is
  // known, the line (leading indentation trimmed, prefixed by two spaces) and
  // a caret under the column. Every line ends with '\n'.
  std::string Render() const;
};

// Renders the first `max_shown` diagnostics, in order, then one line saying
// how many errors and warnings were left out.
inline constexpr size_t kMaxShownDiagnostics = 200;
std::string RenderAll(const std::vector<Diagnostic>& diagnostics,
                      size_t max_shown = kMaxShownDiagnostics);

// Sorts by (file, line, col), then message: deterministic for equal spots.
void SortDiagnostics(std::vector<Diagnostic>& diagnostics);

// The collector the parsing stages write into.
class DiagnosticList {
 public:
  void Error(const SourceLoc& loc, const std::string& address, const std::string& message);
  void Warning(const SourceLoc& loc, const std::string& address, const std::string& message);

  bool has_errors() const { return errors_ > 0; }
  int error_count() const { return errors_; }
  std::vector<Diagnostic>& items() { return items_; }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
  int errors_ = 0;
};

}  // namespace cmk
