// `cmkctl sandbox ...`: managing the local cloud itself (seeding other teams'
// storage accounts, the activity log).
#include <iostream>

#include "base/duration.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "manifest/seed_file.h"
#include "sandbox/sandbox_cloud.h"

namespace cmk {
namespace {

Result<std::unique_ptr<SandboxCloud>> OpenCloud(const GlobalOptions& global) {
  if (global.target != "sandbox") return InvalidArgument("sandbox commands need --target sandbox");
  return SandboxCloud::Open(ResolveSandboxDir(global));
}

int Fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitError;
}

int RunSeed(const GlobalOptions& global, const std::string& file) {
  auto seed = LoadSeedFile(file);
  if (!seed.ok()) return Fail(seed.status());
  auto cloud = OpenCloud(global);
  if (!cloud.ok()) return Fail(cloud.status());
  SandboxCloud& c = **cloud;
  std::cout << "Target: sandbox: " << ResolveSandboxDir(global) << "\n";
  for (const auto& p : seed->principals) {
    if (Status s = c.SeedPrincipal(p); !s.ok()) return Fail(s);
  }
  for (const auto& a : seed->accounts) {
    SeedOptions options;
    options.system_identity = a.system_identity;
    options.adoption_delay_hours = static_cast<int>(a.adoption_delay_seconds / 3600);
    if (Status s = c.SeedStorageAccount(a.account, options); !s.ok()) return Fail(s);
    std::cout << "  storage/" << a.account.name << " (" << a.account.resource_group << ")\n";
  }
  for (const auto& v : seed->vaults) {
    if (auto put = c.PutVault(v.vault); !put.ok()) return Fail(put.status());
    std::cout << "  vault/" << v.vault.name << " (existing, not managed by cmkctl)\n";
    for (const auto& k : v.keys) {
      Status s = c.SeedKeyVersions(v.vault.name, k.name, k.kty, k.size, k.curve, k.versions);
      if (!s.ok()) return Fail(s);
      std::cout << "    key/" << k.name << " with " << k.versions.size() << " version(s)\n";
    }
  }
  std::cout << "Seeded " << seed->accounts.size() << " storage account(s), " << seed->vaults.size()
            << " existing vault(s), " << seed->principals.size() << " principal(s).\n";
  return kExitOk;
}

int RunEvents(const GlobalOptions& global) {
  auto cloud = OpenCloud(global);
  if (!cloud.ok()) return Fail(cloud.status());
  auto events = (*cloud)->ListEvents();
  if (!events.ok()) return Fail(events.status());
  std::cout << "Target: sandbox: " << ResolveSandboxDir(global) << "\n";
  for (const auto& e : *events)
    std::cout << FormatRfc3339(e.time) << "  " << e.kind << "  " << e.object << "  " << e.message
              << "\n";
  return kExitOk;
}

}  // namespace

CommandSpec SandboxCommand() {
  return {"sandbox", "Manage the local sandbox cloud (seed, events)",
          [](CLI::App& sub, GlobalOptions& global) -> std::function<int()> {
            sub.require_subcommand(1);
            auto run = std::make_shared<std::function<int()>>();
            auto file = std::make_shared<std::string>();
            CLI::App* seed = sub.add_subcommand("seed", "Add storage accounts, principals and existing vaults");
            seed->add_option("file", *file, "seed file (e.g. manifests/examples/bank/sandbox-seed.yaml)")
                ->required();
            seed->callback([run, file, &global] { *run = [file, &global] { return RunSeed(global, *file); }; });
            CLI::App* events = sub.add_subcommand("events", "Show the sandbox activity log");
            events->callback([run, &global] { *run = [&global] { return RunEvents(global); }; });
            return [run] { return *run ? (*run)() : kExitUsage; };
          }};
}

}  // namespace cmk
