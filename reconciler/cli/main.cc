// cmkctl: declarative reconciler for Azure customer-managed keys.
#include <unistd.h>

#include <iostream>
#include <optional>

#include "base/log.h"
#include "cli/command_line.h"
#include "cli/views/terminal_text.h"

int main(int argc, char** argv) {
  // What reaches a terminal is printable text; files and pipes stay byte-exact.
  std::optional<cmk::TerminalTextGuard> out_guard, err_guard;
  if (::isatty(STDOUT_FILENO)) out_guard.emplace(std::cout);
  if (::isatty(STDERR_FILENO)) err_guard.emplace(std::cerr);
  cmk::CommandLine command_line;
  if (auto exit_code = command_line.Parse(argc, argv)) return *exit_code;
  cmk::SetupLogging(command_line.global().verbosity);
  return command_line.Run();
}
