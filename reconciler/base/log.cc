#include "base/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace cmk {
namespace {

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::err;
}

LogLevel FromSpd(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return LogLevel::kTrace;
    case spdlog::level::debug: return LogLevel::kDebug;
    case spdlog::level::info: return LogLevel::kInfo;
    case spdlog::level::warn: return LogLevel::kWarn;
    default: return LogLevel::kError;
  }
}

class CallbackSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(std::function<void(LogLevel, std::string_view)> f) : f_(std::move(f)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    f_(FromSpd(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(LogLevel, std::string_view)> f_;
};

std::shared_ptr<spdlog::logger> g_previous;

}  // namespace

void SetupLogging(int verbosity) {
  auto logger = spdlog::get("cmkctl");
  if (!logger) logger = spdlog::stderr_color_mt("cmkctl");
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(verbosity >= 2   ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

bool LogEnabled(LogLevel level) { return spdlog::should_log(ToSpd(level)); }

void Log(LogLevel level, std::string_view message) {
  spdlog::log(ToSpd(level), "{}", message);
}

ScopedLogCapture::ScopedLogCapture(LogLevel level,
                                   std::function<void(LogLevel, std::string_view)> sink) {
  g_previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<CallbackSink>(std::move(sink)));
  logger->set_level(ToSpd(level));
  spdlog::set_default_logger(logger);
}

ScopedLogCapture::~ScopedLogCapture() {
  if (g_previous) spdlog::set_default_logger(g_previous);
  g_previous.reset();
}

}  // namespace cmk
