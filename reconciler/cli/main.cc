// cmkctl: declarative reconciler for Azure customer-managed keys.
#include "cli/command_line.h"
#include "base/log.h"

int main(int argc, char** argv) {
  cmk::CommandLine command_line;
  if (auto exit_code = command_line.Parse(argc, argv)) return *exit_code;
  cmk::SetupLogging(command_line.global().verbosity);
  return command_line.Run();
}
