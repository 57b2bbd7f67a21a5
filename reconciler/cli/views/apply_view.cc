#include "cli/views/apply_view.h"

#include <algorithm>
#include <sstream>

namespace cmk {

// The final report: every change with its outcome and reason (docs/hooks.md).
std::string RenderApplyReport(const ApplyResult& result) {
  size_t width = 30;
  for (const auto& r : result.report) width = std::max(width, r.address.size() + 2);
  std::ostringstream out;
  for (const auto& r : result.report) {
    std::string outcome = OutcomeName(r.outcome);
    out << "  " << outcome << std::string(outcome.size() < 16 ? 16 - outcome.size() : 1, ' ')
        << r.address << std::string(width - r.address.size(), ' ')
        << (r.reason.empty() ? ActionName(r.action) : r.reason) << "\n";
    for (const auto& note : r.notes) out << std::string(18 + width, ' ') << note << "\n";
  }
  return out.str();
}

}  // namespace cmk
