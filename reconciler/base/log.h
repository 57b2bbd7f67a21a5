// Diagnostics for -v (debug) and -vv (trace), on stderr: never product
// output (plans and inventories go to stdout through the views), never
// secrets (callers redact; see azure/redaction.h).
//
// The one door to spdlog: callers build a message only when its level is on,
// through the CMK_LOG macro, so a disabled level costs one comparison.
// Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/strings.h"

namespace cmk {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// 0: warnings and errors; 1 (-v): debug; 2+ (-vv): trace.
void SetupLogging(int verbosity);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message);

// Sends every message at `level` and above to `sink` instead of stderr
// while it lives (tests). Not nestable.
class ScopedLogCapture {
 public:
  ScopedLogCapture(LogLevel level, std::function<void(LogLevel, std::string_view)> sink);
  ~ScopedLogCapture();
  ScopedLogCapture(const ScopedLogCapture&) = delete;
  ScopedLogCapture& operator=(const ScopedLogCapture&) = delete;
};

}  // namespace cmk

// CMK_LOG(kDebug, "waited ", ms, " ms"): the parts are StrCat'ed only when
// the level is on.
#define CMK_LOG(level, ...)                                                        \
  do {                                                                             \
    if (::cmk::LogEnabled(::cmk::LogLevel::level))                                 \
      ::cmk::Log(::cmk::LogLevel::level, ::cmk::StrCat(__VA_ARGS__));              \
  } while (0)
