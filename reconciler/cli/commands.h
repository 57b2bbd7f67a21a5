// The sub-command table: each command registers its CLI11 sub-command and
// returns the exit code through `exit_code` once run.
#pragma once

#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace cmk {

struct CommandSpec {
  const char* name;
  const char* help;
  // Adds options to `sub`; returns the function that runs the command.
  std::function<std::function<int()>(CLI::App& sub, GlobalOptions& global)> setup;
};

CommandSpec ValidateCommand();
CommandSpec PlanCommand();
CommandSpec ApplyCommand();
CommandSpec ShowCommand();
CommandSpec SandboxCommand();
CommandSpec VerifyCommand();
CommandSpec RehearseCommand();

}  // namespace cmk
