// `cmkctl drift`: the scheduled drift-detection job. Reads the live target
// for (a shard of) the manifests, degrading instead of failing: what cannot
// be read is reported as unobservable while the rest is read. Every
// difference is classified (engine/drift) and the exit code says the most
// serious class: 0 none, 4 expected only, 5 risky, 6 unobservable (risky wins).
#include <fstream>
#include <iostream>

#include "cli/views/sarif_view.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/read_progress.h"
#include "engine/diff/diff.h"
#include "engine/drift/drift.h"
#include "engine/read/live_reader.h"

namespace cmk {
namespace {

int ExitCodeOf(const DriftReport& r) {
  if (r.Count(DriftClass::kRisky)) return kExitDriftRisky;
  if (r.Count(DriftClass::kUnobservable)) return kExitDriftUnobservable;
  if (r.Count(DriftClass::kExpected)) return kExitDriftExpected;
  return kExitOk;
}

}  // namespace

int RunDrift(const GlobalOptions& global, const DriftArgs& args) {
  EvidenceRun* evidence = args.evidence.run;
  if (Status chosen = CheckTargetChosen(global); !chosen.ok()) {
    std::cerr << "error: " << chosen.message() << "\n";
    return kExitError;
  }
  DriftScope scope;
  if (!args.shard.empty()) {
    auto parsed = ParseShard(args.shard);
    if (!parsed.ok()) {
      std::cerr << "error: " << parsed.status().message() << "\n";
      return kExitUsage;
    }
    scope = *parsed;
  }
  scope.subscriptions = args.subscriptions;
  auto all = LoadDesired(global, std::cerr);
  if (!all.ok()) return kExitError;
  DesiredState desired = RestrictDesired(*all, scope);
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  if (evidence) evidence->SetTarget(provider);
  LiveQuery query = BuildQuery(desired);
  LiveState live;
  {
    ReadProgressPrinter progress(std::cerr);
    ReadOptions read;
    read.degrade = true;
    read.progress = progress.Callback();
    auto got = ReadLive(provider, query, read);
    if (!got.ok()) {
      std::cerr << "error: " << got.status().message() << "\n";
      return kExitError;
    }
    live = std::move(got).value();
  }
  DiffOptions options;
  options.vault_dns_suffix = provider.VaultDnsSuffix();
  options.now = provider.Now();
  Plan analysis = Diff(desired, live, options, provider.Target());
  DriftReport report = ClassifyDrift(desired, live, analysis, options.now);
  report.shard = args.shard;
  report.objects = QueriedObjectCount(query);
  if (!args.subscriptions.empty() || !args.shard.empty()) {
    // Say what this run covered even when the manifests name none of it.
    report.subscriptions = query.subscriptions;
  }
  if (evidence) evidence->SetOutput(DriftToJson(report));
  int code = ExitCodeOf(report);
  if (args.format == "json") std::cout << DriftToJson(report).dump(2) << "\n";
  else if (args.format == "sarif")
    std::cout << RenderSarif({"drift", RepositoryRoot(), SarifFromDrift(report)}).dump(2) << "\n";
  else if (args.format == "markdown") std::cout << RenderDriftMarkdown(report);
  else std::cout << RenderDriftText(report);
  if (!args.summary.empty()) {
    std::ofstream file(args.summary, std::ios::binary | std::ios::trunc);
    file << DriftSummary(report, code).dump(2) << "\n";
    if (!file) {
      std::cerr << "error: cannot write the summary to " << args.summary << "\n";
      return kExitError;
    }
  }
  return code;
}

}  // namespace cmk
