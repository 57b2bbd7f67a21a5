// The views of `cmkctl apply`: progress as it goes (one line per change,
// its hooks and their logs, any rollback under it) and the final report
// (every change with its outcome and reason; docs/hooks.md). Formatting
// only; what happens is engine/apply's.
#pragma once

#include <ostream>
#include <string>

#include "engine/apply/apply.h"

namespace cmk {

// Progress, one line per change, with its hooks (and their logs)
// and any rollback under it. Without hooks the line is "  create x ... done".
class ProgressPrinter : public ApplyObserver {
 public:
  explicit ProgressPrinter(std::ostream& out) : out_(out) {}
  void OnChangeStart(const Change& change) override {
    out_ << "  " << ActionName(change.action) << " " << change.address << " ..." << std::flush;
    line_open_ = true;
  }
  void OnChangeDone(const Change&, const Status& status) override {
    out_ << (line_open_ ? " " : "    ");
    line_open_ = false;
    if (status.ok()) {
      out_ << "done\n";
    } else {
      out_ << "FAILED\n    " << status.message() << "\n";
    }
  }
  void OnHook(const Change&, const HookReport& hook) override {
    CloseLine();
    if (hook.phase == "rollback") {
      out_ << "    rollback script: " << hook.message << "\n";
    } else {
      out_ << "    " << hook.phase << "-" << hook.message
                << (!hook.ok && hook.on_failure == "warn" ? " (warning only)" : "") << "\n";
    }
    for (const auto& line : hook.logs) out_ << "      " << line << "\n";
  }
  void OnRevert(const Change&, const RevertResult& revert) override {
    CloseLine();
    out_ << "    rollback: " << revert.note << "\n";
  }
  void OnChangeOutcome(const Change&, const ChangeReport& report) override {
    CloseLine();
    if (report.outcome == Outcome::kSkippedByHook) out_ << "    skipped: nothing was changed\n";
  }

 private:
  void CloseLine() {
    if (line_open_) out_ << "\n";
    line_open_ = false;
  }
  std::ostream& out_;
  bool line_open_ = false;
};

std::string RenderApplyReport(const ApplyResult& result);

}  // namespace cmk
