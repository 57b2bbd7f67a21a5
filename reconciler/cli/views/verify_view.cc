#include "cli/views/verify_view.h"

#include <sstream>

#include "cli/views/text.h"
#include "model/key_id.h"

namespace cmk {

void RenderVerifyText(const TargetInfo& target, const std::vector<CanaryResult>& results,
                      std::ostream& out) {
  std::ostringstream o;
  o << "Target: " << target.ToString() << "\n\n";
  o << Pad("RESULT", 7) << Pad("KEY", 34) << Pad("VERSION", 11) << Pad("ALGORITHM", 14)
    << "CONSUMER\n";
  for (const auto& r : results) {
    o << Pad(CanaryOutcomeName(r.outcome), 7) << Pad(r.key_address, 34)
      << Pad(r.version.empty() ? "-" : ShortenVersions(r.version), 11)
      << Pad(r.algorithm.empty() ? "-" : r.algorithm, 14)
      << (r.consumer.empty() ? "(key)" : r.consumer) << "\n";
    if (!r.message.empty()) o << "       " << r.message << "\n";
  }
  CanaryTally t = Tally(results);
  o << "\n" << t.passed << " passed, " << t.failed << " failed, " << t.skipped << " skipped\n";
  out << o.str();
}

Json VerifyJson(const TargetInfo& target, const std::vector<CanaryResult>& results) {
  CanaryTally t = Tally(results);
  Json out{{"target", {{"kind", target.kind}, {"location", target.location}}},
           {"summary", {{"passed", t.passed}, {"failed", t.failed}, {"skipped", t.skipped}}}};
  Json list = Json::array();
  for (const auto& r : results) list.push_back(ToJson(r));
  out["canaries"] = list;
  return out;
}

}  // namespace cmk
