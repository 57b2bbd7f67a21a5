// The views of `cmkctl verify`: canary results as a table (for people) or
// JSON (for tools). Formatting only; which canaries run is verify_estate's.
#pragma once

#include <ostream>
#include <vector>

#include "base/json.h"
#include "provider/provider.h"
#include "verify/verify_estate.h"

namespace cmk {

void RenderVerifyText(const TargetInfo& target, const std::vector<CanaryResult>& results,
                      std::ostream& out);
Json VerifyJson(const TargetInfo& target, const std::vector<CanaryResult>& results);

}  // namespace cmk
