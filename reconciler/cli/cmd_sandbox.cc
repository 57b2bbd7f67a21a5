// `cmkctl sandbox ...`: managing the local cloud itself (seeding other teams'
// storage accounts, SQL servers and disk encryption sets, the activity log).
#include <iostream>

#include "base/duration.h"
#include "base/strings.h"
#include "model/consumer.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "manifest/seed_file.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox_server/serve.h"

namespace cmk {
namespace {

// The sandbox commands work on the sandbox whatever CMKCTL_TARGET says; only
// an explicit --target azure contradicts them.
bool TargetIsAzureByFlag(const GlobalOptions& global) {
  return global.target != "sandbox" && global.target_source == TargetSource::kFlag;
}

Result<std::unique_ptr<SandboxCloud>> OpenCloud(const GlobalOptions& global) {
  if (TargetIsAzureByFlag(global)) return InvalidArgument("sandbox commands need --target sandbox");
  return SandboxCloud::Open(ResolveSandboxDir(global));
}

int Fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return kExitError;
}

}  // namespace

int RunSandboxSeed(const GlobalOptions& global, const std::string& file) {
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
    const std::string address = ConsumerAddress(a.account.kind, a.account.name);
    SeedOptions options;
    options.system_identity = a.system_identity;
    if (a.adoption_delay_seconds) {
      if (*a.adoption_delay_seconds % 3600 != 0) {
        std::cerr << "error: " << file << ": " << address
                  << ": adoptionDelay must be a whole number of hours\n";
        return kExitError;
      }
      options.adoption_delay_hours = static_cast<int>(*a.adoption_delay_seconds / 3600);
    }
    options.backup_retention_seconds = a.backup_retention_seconds;
    if (Status s = c.SeedConsumer(a.account, options); !s.ok()) return Fail(s);
    std::cout << "  " << address << " (" << a.account.resource_group << ")\n";
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
  size_t count[3] = {0, 0, 0};
  for (const auto& a : seed->accounts) ++count[static_cast<int>(a.account.kind)];
  std::cout << "Seeded " << count[0] << " storage account(s), " << count[1] << " SQL server(s), "
            << count[2] << " disk encryption set(s), " << seed->vaults.size()
            << " existing vault(s), " << seed->principals.size() << " principal(s).\n";
  return kExitOk;
}

int RunSandboxEvents(const GlobalOptions& global, const EventArgs& args) {
  auto cloud = OpenCloud(global);
  if (!cloud.ok()) return Fail(cloud.status());
  EventFilter filter;
  if (!args.since.empty()) {
    auto t = ParseRfc3339(args.since);
    if (!t.ok()) return Fail(InvalidArgument("--since: " + t.status().message()));
    filter.since = *t;
  }
  filter.kinds = args.kinds;
  auto events = (*cloud)->ListEvents(filter);
  if (!events.ok()) return Fail(events.status());
  if (args.format == "json") {
    Json list = Json::array();
    for (const auto& e : *events)
      list.push_back({{"seq", e.seq}, {"time", FormatRfc3339(e.time)}, {"kind", e.kind},
                      {"object", e.object}, {"message", e.message}});
    std::cout << Json{{"target", {{"kind", "sandbox"}, {"location", ResolveSandboxDir(global)}}},
                      {"events", list}}.dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << "Target: sandbox: " << ResolveSandboxDir(global) << "\n";
  for (const auto& e : *events)
    std::cout << FormatRfc3339(e.time) << "  " << e.kind << "  " << e.object << "  " << e.message
              << "\n";
  return kExitOk;
}

int RunSandboxRevalidate(const GlobalOptions& global, const std::string& address) {
  std::optional<ConsumerKind> kind = ConsumerKindOfAddress(address);
  if (kind != ConsumerKind::kSqlServer)
    return Fail(InvalidArgument("revalidate: '" + address + "' is not a SQL server address (sql/NAME)"));
  const std::string name = address.substr(address.find('/') + 1);
  auto cloud = OpenCloud(global);
  if (!cloud.ok()) return Fail(cloud.status());
  SandboxCloud& c = **cloud;
  std::cout << "Target: sandbox: " << ResolveSandboxDir(global) << "\n";
  auto servers = c.ListConsumers(*kind, "");
  if (!servers.ok()) return Fail(servers.status());
  std::vector<const ConsumerState*> found;
  for (const auto& s : *servers)
    if (EqualsIgnoreCase(s.name, name)) found.push_back(&s);
  if (found.empty()) return Fail(NotFound("revalidate: the sandbox has no SQL server '" + name + "'"));
  if (found.size() > 1) {
    std::string ids;
    for (const auto* s : found) ids += "\n  " + s->id;
    return Fail(InvalidArgument("revalidate: several SQL servers are named '" + name + "':" + ids));
  }
  const ConsumerState& s = *found.front();
  if (Status st = c.RevalidateConsumer(*kind, s.subscription, s.resource_group, s.name); !st.ok()) return Fail(st);
  auto cause = c.ConsumerInaccessibleCause(*kind, s.subscription, s.resource_group, s.name);
  if (!cause.ok()) return Fail(cause.status());
  std::cout << address << ": " << (*cause ? "still inaccessible: " + **cause : std::string("accessible")) << "\n";
  return *cause ? kExitError : kExitOk;
}

int RunSandboxClock(const GlobalOptions& global, const std::string& verb, const std::string& value) {
  auto cloud = OpenCloud(global);
  if (!cloud.ok()) return Fail(cloud.status());
  SandboxCloud& c = **cloud;
  std::cout << "Target: sandbox: " << ResolveSandboxDir(global) << "\n";
  if (verb == "advance") {
    if (Status s = c.AdvanceClockBy(value); !s.ok()) return Fail(s);
  } else if (verb == "set") {
    auto t = ParseRfc3339(value);
    if (!t.ok()) return Fail(InvalidArgument("clock set: " + t.status().message()));
    if (Status s = c.SetClock(*t); !s.ok()) return Fail(s);
  }
  auto simulated = c.ClockIsSimulated();
  if (!simulated.ok()) return Fail(simulated.status());
  std::cout << "Clock: " << FormatRfc3339(c.Now()) << (*simulated ? " (simulated)" : " (real time)")
            << "\n";
  auto pending = c.ListPendingEvents();
  if (!pending.ok()) return Fail(pending.status());
  if (!pending->empty()) {
    std::cout << "Next:\n";
    size_t shown = 0;
    for (const auto& e : *pending) {
      if (++shown > 10) break;
      std::cout << "  " << FormatRfc3339(e.time) << "  " << e.kind << "  " << e.object
                << (e.detail.empty() ? "" : "  " + e.detail) << "\n";
    }
  }
  return kExitOk;
}

int RunSandboxServe(const GlobalOptions& global, const ServeOptions& options) {
  if (TargetIsAzureByFlag(global))
    return Fail(InvalidArgument("sandbox serve needs --target sandbox"));
  Status s = Serve(ResolveSandboxDir(global), options, std::cout);
  return s.ok() ? kExitOk : Fail(s);
}

}  // namespace cmk
