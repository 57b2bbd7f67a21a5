// Diagnostics logging (spdlog, stderr only). Product output never goes here.
#pragma once

namespace cmk {
void SetupLogging(int verbosity);  // 0 warn, 1 debug, 2+ trace
}  // namespace cmk
