#include "cli/command_line.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace cmk {

CommandLine::CommandLine()
    : app_(std::make_unique<CLI::App>(
          "cmkctl: plan and apply Azure customer-managed keys from YAML manifests", "cmkctl")) {
  CLI::App& app = *app_;
  app.set_version_flag("--version", std::string("cmkctl ") + CMK_VERSION);
  app.require_subcommand(1);
  // Sub-commands inherit this: an option a sub-command does not know is
  // tried on its parent, so global options work after the verb too.
  app.fallthrough();
  GlobalOptions& global = global_;
  app.add_option("--target", global.target, "sandbox (default) or azure")
      ->check(CLI::IsMember({"sandbox", "azure"}));
  app.add_option("--sandbox", global.sandbox_dir,
                 "sandbox directory (default $CMKCTL_SANDBOX or .cmkctl/)");
  app.add_flag("-v,--verbose", global.verbosity, "more diagnostics on stderr (-vv for trace)");
  app.add_option("--arm-endpoint", global.arm_endpoint, "azure: ARM endpoint (CMKCTL_ARM_ENDPOINT)");
  app.add_option("--vault-dns-suffix", global.vault_dns_suffix,
                 "azure: vault DNS suffix, e.g. vault.azure.net (CMKCTL_VAULT_DNS_SUFFIX)");
  app.add_option("--authority-host", global.authority_host,
                 "azure: token authority (AZURE_AUTHORITY_HOST)");
  app.add_option("--ca-bundle", global.ca_bundle, "azure: CA bundle for TLS (CMKCTL_CA_BUNDLE)");
  app.add_option("--credential", global.credential,
                 "azure: use only this credential (client-secret, workload-identity, "
                 "managed-identity, azure-cli)");

  const CommandSpec commands[] = {ValidateCommand(), PlanCommand(),    ApplyCommand(),
                                  ShowCommand(),     VerifyCommand(),  SandboxCommand(),
                                  RehearseCommand()};
  for (const auto& spec : commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    auto runner = spec.setup(*sub, global);
    sub->callback([this, runner] { run_ = runner; });
  }
}

CommandLine::~CommandLine() = default;

std::optional<int> CommandLine::Parse(int argc, const char* const* argv) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app_->exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return std::nullopt;
}

std::optional<int> CommandLine::Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"cmkctl"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return Parse(static_cast<int>(argv.size()), argv.data());
}

int CommandLine::Run() { return run_ ? run_() : kExitUsage; }

std::string CommandLine::command() const {
  std::string out;
  const CLI::App* app = app_.get();
  while (app) {
    auto subs = app->get_subcommands();
    if (subs.empty()) break;
    app = subs.front();
    out += (out.empty() ? "" : " ") + app->get_name();
  }
  return out;
}

}  // namespace cmk
