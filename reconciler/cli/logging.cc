#include "cli/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace cmk {

void SetupLogging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("cmkctl");
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(verbosity >= 2   ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace cmk
