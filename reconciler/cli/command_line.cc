#include "cli/command_line.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <iterator>

#include "azure/azure_endpoints.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace cmk {

CommandLine::CommandLine(EnvGetter env)
    : env_(std::move(env)),
      app_(std::make_unique<CLI::App>(
          "cmkctl: plan and apply Azure customer-managed keys from YAML manifests", "cmkctl")) {
  CLI::App& app = *app_;
  app.set_version_flag("--version", std::string("cmkctl ") + CMK_VERSION);
  app.require_subcommand(1);
  // Sub-commands inherit this: an option a sub-command does not know is
  // tried on its parent, so global options work after the verb too.
  app.fallthrough();
  GlobalOptions& global = global_;
  target_option_ = app.add_option("--target", global.target,
                                  "sandbox (default) or azure (else $CMKCTL_TARGET)")
                       ->check(CLI::IsMember({"sandbox", "azure"}));
  app.add_option("--sandbox", global.sandbox_dir,
                 "sandbox directory (default $CMKCTL_SANDBOX or .cmkctl/)");
  app.add_flag("-v,--verbose", global.verbosity, "more diagnostics on stderr (-vv for trace)");
  app.add_option("--arm-endpoint", global.arm_endpoint, "azure: ARM endpoint (CMKCTL_ARM_ENDPOINT)");
  app.add_option("--vault-dns-suffix", global.vault_dns_suffix,
                 "vault DNS suffix, e.g. vault.azure.net (azure: also CMKCTL_VAULT_DNS_SUFFIX; "
                 "sandbox: the vault URIs it answers with)");
  app.add_option("--authority-host", global.authority_host,
                 "azure: token authority (AZURE_AUTHORITY_HOST)");
  app.add_option("--ca-bundle", global.ca_bundle, "azure: CA bundle for TLS (CMKCTL_CA_BUNDLE)");
  app.add_option("--connect-timeout", global.connect_timeout_seconds,
                 "azure: seconds to wait for a connection (CMKCTL_CONNECT_TIMEOUT; default 5)")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--timeout", global.timeout_seconds,
                 "azure: seconds one HTTP attempt may take (CMKCTL_TIMEOUT; default 30)")
      ->check(CLI::Range(0.1, 3600.0));
  std::vector<std::string> credentials(std::begin(kCredentialNames), std::end(kCredentialNames));
  app.add_option("--credential", global.credential,
                 "azure: use only this credential (" + Join(credentials) +
                     "; else $CMKCTL_AZURE_CREDENTIAL)")
      ->check(CLI::IsMember(credentials));
  app.add_option("--cloud", global.cloud,
                 "azure: AzurePublicCloud (default), AzureUSGovernment or AzureChinaCloud "
                 "(else $AZURE_CLOUD, $ARM_ENVIRONMENT)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            Result<AzureEndpoints> cloud = CloudEndpoints(name);
            return cloud.ok() ? "" : cloud.status().message();
          },
          "CLOUD"));

  AddCommands();
}

namespace {

CLI::Option* Files(CLI::App* sub, GlobalOptions& global) {
  return sub->add_option("-f,--file", global.files, "manifest file or directory (repeatable)");
}

void PlanFlagOptions(CLI::App* sub, PlanFlags& flags) {
  sub->add_flag("--prune", flags.prune,
                "delete cmkctl-owned resources that are gone from the manifests");
  sub->add_flag("--allow-destroy", flags.allow_destroy,
                "allow deleting keys, vaults and role assignments (with --prune)");
}

// --evidence DIR and --evidence-key FILE (docs/evidence.md).
void AddEvidenceOptions(CLI::App* sub, EvidenceArgs& evidence) {
  CLI::Option* dir = sub->add_option(
      "--evidence", evidence.dir, "write a signed evidence bundle of this run under DIR");
  sub->add_option("--evidence-key", evidence.key_file,
                  "Ed25519 private key (PEM) signing the evidence (else $CMKCTL_EVIDENCE_KEY)")
      ->needs(dir);
}

void EvidenceCommands(CLI::App& app, GlobalOptions& global,
                      const std::function<void(CLI::App*, std::function<int()>)>& choose) {
  CLI::App* evidence = app.add_subcommand(
      "evidence", "Make an evidence signing key; verify a directory of evidence bundles");
  evidence->require_subcommand(1);
  auto out = std::make_shared<std::string>();
  CLI::App* keygen = evidence->add_subcommand(
      "keygen", "Write a new Ed25519 signing key (PEM, mode 0600) for --evidence-key");
  keygen->add_option("--out", *out, "the new private key file (never overwritten)")->required();
  choose(keygen, [&global, out] { return RunEvidenceKeygen(global, *out); });
  auto check = std::make_shared<EvidenceVerifyArgs>();
  CLI::App* verify = evidence->add_subcommand(
      "verify", "Check every bundle in DIR: file hashes, signatures, the chain (exit 0 when all hold)");
  verify->add_option("dir", check->dir, "the --evidence directory")->required();
  verify->add_option("--key", check->key, "the expected signer's public key (PEM)");
  verify->add_option("--format", check->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  choose(verify, [&global, check] { return RunEvidenceVerify(global, *check); });
}

}  // namespace

// The sub-command table. Arguments live in shared_ptrs owned by the
// callbacks, which outlive parsing; a sub-command's callback (run once it
// was parsed) chooses what Run() calls.
void CommandLine::AddCommands() {
  CLI::App& app = *app_;
  GlobalOptions& global = global_;
  auto choose = [this](CLI::App* sub, std::function<int()> run) {
    sub->callback([this, run] { run_ = run; });
  };
  auto evidence_options = [this](CLI::App* sub, EvidenceArgs& evidence) {
    AddEvidenceOptions(sub, evidence);
    evidence_args_.push_back(&evidence);
  };

  auto validate_args = std::make_shared<ValidateArgs>();
  CLI::App* validate = app.add_subcommand("validate", "Check manifests offline: every error with file:line:col");
  Files(validate, global)->required();
  validate->add_option("--format", validate_args->format, "text (default) or sarif")
      ->check(CLI::IsMember({"text", "sarif"}));
  choose(validate, [&global, validate_args] { return RunValidate(global, *validate_args); });

  auto plan = std::make_shared<PlanArgs>();
  CLI::App* plan_cmd = app.add_subcommand("plan", "Diff manifests against the live target and print the plan");
  Files(plan_cmd, global)->required();
  plan_cmd->add_option("--format", plan->format, "text (default), json, markdown or sarif")
      ->check(CLI::IsMember({"text", "json", "markdown", "sarif"}));
  plan_cmd->add_option("--out", plan->out, "also save the plan as JSON for `apply FILE`");
  plan_cmd->add_flag("--detailed-exitcode", plan->detailed_exitcode,
                     "exit 0 no changes, 1 error, 2 changes");
  PlanFlagOptions(plan_cmd, plan->flags);
  choose(plan_cmd, [&global, plan] { return RunPlan(global, *plan); });

  auto apply = std::make_shared<ApplyArgs>();
  CLI::App* apply_cmd = app.add_subcommand("apply", "Apply the plan (computed now from -f, or a saved plan file)");
  apply_cmd->add_option("plan", apply->plan_file, "a plan saved with `plan --out FILE`");
  Files(apply_cmd, global);
  apply_cmd->add_flag("--auto-approve", apply->auto_approve, "do not ask for confirmation");
  apply_cmd->add_flag("--keep-going", apply->keep_going,
                      "after a failure, continue with changes that do not depend on it");
  PlanFlagOptions(apply_cmd, apply->flags);
  evidence_options(apply_cmd, apply->evidence);
  choose(apply_cmd, [&global, apply] { return RunApply(global, *apply); });

  auto show = std::make_shared<ShowArgs>();
  CLI::App* show_cmd = app.add_subcommand(
      "show", "List managed resources, key versions and the version each consumer uses");
  Files(show_cmd, global)->required();
  show_cmd->add_option("--format", show->format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  choose(show_cmd, [&global, show] { return RunShow(global, *show); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "Run wrap/unwrap canaries for managed keys and, as the consumer, for bindings");
  Files(verify_cmd, global)->required();
  verify_cmd->add_option("--key", verify->key, "only this key (and the bindings that use it)");
  verify_cmd->add_flag("--all-versions", verify->all_versions,
                       "every enabled version, not just the newest");
  verify_cmd->add_option("--format", verify->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  evidence_options(verify_cmd, verify->evidence);
  choose(verify_cmd, [&global, verify] { return RunVerify(global, *verify); });

  auto drift = std::make_shared<DriftArgs>();
  CLI::App* drift_cmd = app.add_subcommand(
      "drift", "Report what moved: expected, risky and unobservable differences (exit 0, 4, 5, 6)");
  Files(drift_cmd, global)->required();
  drift_cmd->add_option("--format", drift->format, "text (default), json, markdown or sarif")
      ->check(CLI::IsMember({"text", "json", "markdown", "sarif"}));
  drift_cmd->add_option("--summary", drift->summary, "also write this run's summary JSON here");
  drift_cmd->add_option("--shard", drift->shard,
                        "only subscriptions whose stable hash falls in shard i of n (i/n)");
  drift_cmd->add_option("--subscription", drift->subscriptions, "only this subscription (repeatable)");
  evidence_options(drift_cmd, drift->evidence);
  choose(drift_cmd, [&global, drift] { return RunDrift(global, *drift); });
  EvidenceCommands(app, global, choose);

  CLI::App* sandbox = app.add_subcommand(
      "sandbox", "Manage the local sandbox cloud (seed, clock, events, revalidate, serve)");
  sandbox->require_subcommand(1);
  auto seed_file = std::make_shared<std::string>();
  CLI::App* seed = sandbox->add_subcommand("seed", "Add storage accounts, principals and existing vaults");
  seed->add_option("file", *seed_file, "seed file (e.g. manifests/examples/bank/sandbox-seed.yaml)")
      ->required();
  choose(seed, [&global, seed_file] { return RunSandboxSeed(global, *seed_file); });
  auto events = std::make_shared<EventArgs>();
  CLI::App* events_cmd = sandbox->add_subcommand("events", "Show the sandbox activity log");
  events_cmd->add_option("--since", events->since, "only events at or after this RFC 3339 time");
  events_cmd->add_option("--kind", events->kinds,
                         "only these kinds (e.g. storage.adopt) or families (storage)");
  events_cmd->add_option("--format", events->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  choose(events_cmd, [&global, events] { return RunSandboxEvents(global, *events); });
  auto clock_value = std::make_shared<std::string>();
  CLI::App* clock = sandbox->add_subcommand("clock", "Show or move the simulated clock");
  clock->require_subcommand(1);
  choose(clock->add_subcommand("show", "Show the clock and what is due next"),
         [&global] { return RunSandboxClock(global, "show", ""); });
  CLI::App* advance = clock->add_subcommand(
      "advance", "Advance by an ISO-8601 duration (P1D, PT24H, P1Y), playing out rotations, "
                 "expiries and adoptions");
  advance->add_option("duration", *clock_value, "ISO-8601 duration")->required();
  choose(advance, [&global, clock_value] { return RunSandboxClock(global, "advance", *clock_value); });
  CLI::App* set = clock->add_subcommand("set", "Set the clock (forward only) to an RFC 3339 time");
  set->add_option("time", *clock_value, "e.g. 2027-01-01T00:00:00Z")->required();
  choose(set, [&global, clock_value] { return RunSandboxClock(global, "set", *clock_value); });
  auto revalidate_address = std::make_shared<std::string>();
  CLI::App* revalidate = sandbox->add_subcommand(
      "revalidate", "Revalidate a SQL server's encryption protector (after its key was out of reach "
                    "for longer than SQL's 30-minute auto-heal window)");
  revalidate->add_option("server", *revalidate_address, "sql/NAME")->required();
  choose(revalidate, [&global, revalidate_address] { return RunSandboxRevalidate(global, *revalidate_address); });
  auto serve = std::make_shared<ServeOptions>();
  CLI::App* serve_cmd = sandbox->add_subcommand(
      "serve", "Serve the sandbox over HTTPS on loopback in Azure's wire format");
  serve_cmd->add_option("--port", serve->port, "port (default: a free one)");
  serve_cmd->add_option("--tls-cert", serve->tls_cert_path, "server certificate (PEM)");
  serve_cmd->add_option("--tls-key", serve->tls_key_path, "server key (PEM)");
  serve_cmd->add_option("--client-id", serve->client_id, "accept only this client id");
  serve_cmd->add_option("--latency-ms", serve->faults.latency_ms, "added latency per request");
  serve_cmd->add_option("--throttle-rate", serve->faults.throttle_rate,
                        "fraction of requests answered 429 with Retry-After")
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd->add_option("--error-rate", serve->faults.error_rate, "fraction of requests answered 503")
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd->add_option("--drop-rate", serve->faults.drop_rate,
                        "fraction of connections dropped without an answer")
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd->add_option("--lost-response-rate", serve->faults.lost_response_rate,
                        "fraction of PUT/PATCH/POST/DELETE requests carried out, then "
                        "dropped without an answer")
      ->check(CLI::Range(0.0, 1.0));
  serve_cmd->add_option("--fault-seed", serve->faults.seed, "seed of the fault sequence");
  serve_cmd->add_option("--silent-vault", serve->faults.silent_vaults,
                        "this vault's host takes connections and never answers (repeatable)");
  serve_cmd->add_option("--firewalled-vault", serve->faults.firewalled_vaults,
                        "this vault's firewall refuses the client: 403 ForbiddenByFirewall (repeatable)");
  serve_cmd->add_option("--vault-ops-per-10s", serve->throttle.vault_ops_per_10s,
                        "per-vault key operation budget");
  serve_cmd->add_flag("--async-vault-create", serve->async_vault_create,
                      "answer vault creation as a long-running operation");
  choose(serve_cmd, [&global, serve] { return RunSandboxServe(global, *serve); });

  auto rehearse = std::make_shared<RehearseArgs>();
  CLI::App* rehearse_cmd = app.add_subcommand(
      "rehearse",
      "Rehearse the scheduled pipeline on a copy of the sandbox (or a snapshot of the live "
      "Azure inventory) as simulated time passes");
  Files(rehearse_cmd, global)->required();
  rehearse_cmd->add_option("--until", rehearse->until, "how far to rehearse (ISO-8601, e.g. P2Y)");
  rehearse_cmd->add_option("--step", rehearse->step, "pipeline interval (ISO-8601, e.g. P1D, P7D)");
  rehearse_cmd->add_option("--format", rehearse->format, "text (default), json or html")
      ->check(CLI::IsMember({"text", "json", "html"}));
  rehearse_cmd->add_option("--out", rehearse->out, "--format html: write the page to this file");
  rehearse_cmd->add_option("--inject", rehearse->inject,
                           "a manual action to try: \"disable key/NAME/versions/PREFIX@P1D\"");
  rehearse_cmd->add_option("--snapshot-time", rehearse->snapshot_time,
                           "--target azure: the snapshot's instant (RFC 3339; default now)");
  evidence_options(rehearse_cmd, rehearse->evidence);
  choose(rehearse_cmd, [&global, rehearse] { return RunRehearse(global, *rehearse); });

  auto report = std::make_shared<ReportArgs>();
  CLI::App* report_cmd = app.add_subcommand(
      "report", "Write the live inventory as one self-contained HTML page (key timelines, findings)");
  Files(report_cmd, global)->required();
  report_cmd->add_option("--out", report->out, "write the page to this file (default: stdout)");
  choose(report_cmd, [&global, report] { return RunReport(global, *report); });
}

CommandLine::~CommandLine() = default;

std::optional<int> CommandLine::Parse(int argc, const char* const* argv) {
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app_->exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (EvidenceArgs* evidence : evidence_args_) evidence->arguments.assign(argv + 1, argv + argc);
  return TargetFromEnv();
}

std::optional<int> CommandLine::TargetFromEnv() {
  if (target_option_->count() > 0) {
    global_.target_source = TargetSource::kFlag;
    return std::nullopt;
  }
  std::optional<std::string> target = env_("CMKCTL_TARGET");
  if (!target) return std::nullopt;
  if (*target != "sandbox" && *target != "azure") {
    std::cerr << "CMKCTL_TARGET: '" << *target << "' is not sandbox or azure\n";
    return kExitUsage;
  }
  global_.target = *target;
  global_.target_source = TargetSource::kEnvironment;
  return std::nullopt;
}

std::optional<int> CommandLine::Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"cmkctl"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return Parse(static_cast<int>(argv.size()), argv.data());
}

int CommandLine::Run() {
  if (!run_) return kExitUsage;
  // At most one command was parsed, so at most one has --evidence.
  for (EvidenceArgs* evidence : evidence_args_) {
    if (evidence->dir.empty()) continue;
    return RunWithEvidence(global_, *evidence, command(), [this, evidence](EvidenceRun* run) {
      evidence->run = run;
      int code = run_();
      evidence->run = nullptr;
      return code;
    });
  }
  return run_();
}

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
