// Progress of a long live read on stderr, for people and job logs: quiet when
// the read is quick; after two seconds a line per step ("reading keys of 12
// vaults: 240 of 9402 objects"), and a step still running after five seconds
// is named again every five ("still reading ... for 15 s"), so a slow or
// silent host shows in the log while the read waits for its timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "engine/read/live_reader.h"

namespace cmk {

class ReadProgressPrinter {
 public:
  explicit ReadProgressPrinter(std::ostream& err);
  ~ReadProgressPrinter();  // stops the watchdog
  ReadProgressPrinter(const ReadProgressPrinter&) = delete;
  ReadProgressPrinter& operator=(const ReadProgressPrinter&) = delete;

  // For ReadOptions::progress; valid while this printer lives.
  std::function<void(const ReadProgress&)> Callback();

 private:
  using Clock = std::chrono::steady_clock;
  void OnStep(const ReadProgress& p);
  void Watch();
  std::string Line(const ReadProgress& p) const;

  std::ostream& err_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point step_start_ = Clock::now();
  Clock::time_point last_print_ = Clock::now();
  ReadProgress current_;
  bool started_ = false;
  std::thread watchdog_;
};

}  // namespace cmk
