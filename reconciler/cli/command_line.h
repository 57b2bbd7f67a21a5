// CommandLine: cmkctl's argument parsing, the global options and the
// sub-command table, kept apart from main() so that tests can parse. The
// only user of CLI11: commands receive plain argument structs (commands.h).
//
// Global options are accepted before or after the sub-command, at any depth
// (`cmkctl -v plan ...`, `cmkctl plan ... -v`, `cmkctl sandbox clock show
// --sandbox DIR`), as docs/cli.md promises. Without --target, CMKCTL_TARGET
// (read through the EnvGetter) chooses it. Parse never runs a command and
// never exits the process. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"

namespace CLI {
class App;
class Option;
}

namespace cmk {

struct EvidenceArgs;

class CommandLine {
 public:
  explicit CommandLine(EnvGetter env = ProcessEnv());
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses argv[1..argc). nullopt: a command is ready to Run(). Otherwise
  // the exit code to return at once (0 after --help or --version, which
  // were printed; kExitUsage after a usage error, printed to stderr).
  std::optional<int> Parse(int argc, const char* const* argv);
  std::optional<int> Parse(const std::vector<std::string>& args);  // without argv[0]

  // Runs the parsed command; kExitUsage when none was parsed.
  int Run();

  const GlobalOptions& global() const { return global_; }
  // The chosen sub-command path, e.g. "sandbox clock show" ("" before Parse).
  std::string command() const;

 private:
  void AddCommands();

  // --target not given: CMKCTL_TARGET. nullopt when fine, else the usage exit.
  std::optional<int> TargetFromEnv();

  EnvGetter env_;
  std::unique_ptr<CLI::App> app_;
  CLI::Option* target_option_ = nullptr;
  GlobalOptions global_;
  std::function<int()> run_;
  std::vector<EvidenceArgs*> evidence_args_;  // in the commands' args: get the command line
};

}  // namespace cmk
