// `cmkctl sandbox ...`: managing the local cloud itself (seeding other teams'
// storage accounts, the activity log).
#include <iostream>

#include "base/duration.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "manifest/seed_file.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox_server/serve.h"

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
    if (a.adoption_delay_seconds % 3600 != 0) {
      std::cerr << "error: " << file << ": storage/" << a.account.name
                << ": adoptionDelay must be a whole number of hours\n";
      return kExitError;
    }
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

struct EventArgs {
  std::string since;
  std::vector<std::string> kinds;
  std::string format = "text";
};

int RunEvents(const GlobalOptions& global, const EventArgs& args) {
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

int RunClock(const GlobalOptions& global, const std::string& verb, const std::string& value) {
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

int RunServe(const GlobalOptions& global, const ServeOptions& options) {
  if (global.target != "sandbox") return Fail(InvalidArgument("sandbox serve needs --target sandbox"));
  Status s = Serve(ResolveSandboxDir(global), options, std::cout);
  return s.ok() ? kExitOk : Fail(s);
}

}  // namespace

CommandSpec SandboxCommand() {
  return {"sandbox", "Manage the local sandbox cloud (seed, clock, events, serve)",
          [](CLI::App& sub, GlobalOptions& global) -> std::function<int()> {
            sub.require_subcommand(1);
            auto run = std::make_shared<std::function<int()>>();
            auto file = std::make_shared<std::string>();
            CLI::App* seed = sub.add_subcommand("seed", "Add storage accounts, principals and existing vaults");
            seed->add_option("file", *file, "seed file (e.g. manifests/examples/bank/sandbox-seed.yaml)")
                ->required();
            seed->callback([run, file, &global] { *run = [file, &global] { return RunSeed(global, *file); }; });
            auto event_args = std::make_shared<EventArgs>();
            CLI::App* events = sub.add_subcommand("events", "Show the sandbox activity log");
            events->add_option("--since", event_args->since, "only events at or after this RFC 3339 time");
            events->add_option("--kind", event_args->kinds,
                               "only these kinds (e.g. storage.adopt) or families (storage)");
            events->add_option("--format", event_args->format, "text (default) or json")
                ->check(CLI::IsMember({"text", "json"}));
            events->callback([run, event_args, &global] {
              *run = [event_args, &global] { return RunEvents(global, *event_args); };
            });
            auto clock_value = std::make_shared<std::string>();
            CLI::App* clock = sub.add_subcommand("clock", "Show or move the simulated clock");
            clock->require_subcommand(1);
            clock->add_subcommand("show", "Show the clock and what is due next")->callback([run, &global] {
              *run = [&global] { return RunClock(global, "show", ""); };
            });
            CLI::App* advance = clock->add_subcommand(
                "advance", "Advance by an ISO-8601 duration (P1D, PT24H, P1Y), playing out rotations, "
                           "expiries and adoptions");
            advance->add_option("duration", *clock_value, "ISO-8601 duration")->required();
            advance->callback([run, clock_value, &global] {
              *run = [clock_value, &global] { return RunClock(global, "advance", *clock_value); };
            });
            CLI::App* set = clock->add_subcommand("set", "Set the clock (forward only) to an RFC 3339 time");
            set->add_option("time", *clock_value, "e.g. 2027-01-01T00:00:00Z")->required();
            set->callback([run, clock_value, &global] {
              *run = [clock_value, &global] { return RunClock(global, "set", *clock_value); };
            });
            auto serve_options = std::make_shared<ServeOptions>();
            CLI::App* serve = sub.add_subcommand(
                "serve", "Serve the sandbox over HTTPS on loopback in Azure's wire format");
            serve->add_option("--port", serve_options->port, "port (default: a free one)");
            serve->add_option("--tls-cert", serve_options->tls_cert_path, "server certificate (PEM)");
            serve->add_option("--tls-key", serve_options->tls_key_path, "server key (PEM)");
            serve->add_option("--client-id", serve_options->client_id, "accept only this client id");
            serve->add_option("--latency-ms", serve_options->faults.latency_ms, "added latency per request");
            serve->add_option("--throttle-rate", serve_options->faults.throttle_rate,
                              "fraction of requests answered 429 with Retry-After")
                ->check(CLI::Range(0.0, 1.0));
            serve->add_option("--error-rate", serve_options->faults.error_rate,
                              "fraction of requests answered 503")
                ->check(CLI::Range(0.0, 1.0));
            serve->add_option("--drop-rate", serve_options->faults.drop_rate,
                              "fraction of connections dropped without an answer")
                ->check(CLI::Range(0.0, 1.0));
            serve->add_option("--fault-seed", serve_options->faults.seed, "seed of the fault sequence");
            serve->add_option("--vault-ops-per-10s", serve_options->throttle.vault_ops_per_10s,
                              "per-vault key operation budget");
            serve->add_flag("--async-vault-create", serve_options->async_vault_create,
                            "answer vault creation as a long-running operation");
            serve->callback([run, serve_options, &global] {
              *run = [serve_options, &global] { return RunServe(global, *serve_options); };
            });
            return [run] { return *run ? (*run)() : kExitUsage; };
          }};
}

}  // namespace cmk
