// cmkctl: declarative reconciler for Azure customer-managed keys.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"

int main(int argc, char** argv) {
  using namespace cmk;
  CLI::App app{"cmkctl: plan and apply Azure customer-managed keys from YAML manifests", "cmkctl"};
  app.set_version_flag("--version", std::string("cmkctl ") + CMK_VERSION);
  app.require_subcommand(1);
  GlobalOptions global;
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

  std::function<int()> run;
  const CommandSpec commands[] = {ValidateCommand(), PlanCommand(), ApplyCommand(), ShowCommand(), VerifyCommand(),
                                  SandboxCommand(), RehearseCommand()};
  for (const auto& spec : commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    auto runner = spec.setup(*sub, global);
    sub->callback([&run, runner] { run = runner; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  SetupLogging(global.verbosity);
  return run ? run() : kExitUsage;
}
