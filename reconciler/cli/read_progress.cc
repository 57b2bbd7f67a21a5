#include "cli/read_progress.h"

namespace cmk {
namespace {

constexpr auto kQuietFor = std::chrono::seconds(2);
constexpr auto kSlowStep = std::chrono::seconds(5);

}  // namespace

ReadProgressPrinter::ReadProgressPrinter(std::ostream& err) : err_(err) {
  watchdog_ = std::thread([this] { Watch(); });
}

ReadProgressPrinter::~ReadProgressPrinter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
}

std::function<void(const ReadProgress&)> ReadProgressPrinter::Callback() {
  return [this](const ReadProgress& p) { OnStep(p); };
}

std::string ReadProgressPrinter::Line(const ReadProgress& p) const {
  return std::to_string(p.done) + " of " + std::to_string(p.total) + " objects";
}

void ReadProgressPrinter::OnStep(const ReadProgress& p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  if (!started_) {
    started_ = true;
    start_ = now;
  }
  current_ = p;
  step_start_ = now;
  if (now - start_ < kQuietFor) return;
  if (p.reading == "done")
    err_ << "read " << Line(p) << " in "
         << std::chrono::duration_cast<std::chrono::seconds>(now - start_).count() << " s\n";
  else
    err_ << "reading " << p.reading << ": " << Line(p) << "\n";
  err_.flush();
  last_print_ = now;
}

void ReadProgressPrinter::Watch() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stop_ || !started_ || current_.reading == "done") continue;
    auto now = Clock::now();
    if (now - step_start_ < kSlowStep || now - last_print_ < kSlowStep) continue;
    err_ << "still reading " << current_.reading << " for "
         << std::chrono::duration_cast<std::chrono::seconds>(now - step_start_).count() << " s ("
         << Line(current_) << ")\n";
    err_.flush();
    last_print_ = now;
  }
}

}  // namespace cmk
