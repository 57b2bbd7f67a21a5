// `cmkctl rehearse`: runs the scheduled pipeline (plan + auto-approved apply)
// on a COPY of the sandbox while its simulated clock moves step by step, and
// checks at every step that no consumer lost access to its key (a version
// disabled, expired or deleted while in use shows up as an access incident).
// Each pipeline run applies with the plan's hooks, as `apply` does (a hook
// that waits advances the copy's simulated clock). Prints a timeline of
// rotations, adoptions, retirements, hook results and incidents and a
// verdict; exit 1 on any violation. The original sandbox is never touched.
// With --target azure the copy is a snapshot of the live inventory the
// manifests reference, read (never written) through the REST provider and
// restored into a temporary sandbox (live_snapshot.h); the rehearsal itself is
// the same. The loop is the engine's (engine/rehearsal); this file picks
// the copy, wires the pipeline (plan + apply with hooks) and the view.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "base/duration.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/hook_host.h"
#include "cli/live_snapshot.h"
#include "cli/planning.h"
#include "cli/report_output.h"
#include "cli/views/rehearsal_view.h"
#include "engine/apply/apply.h"
#include "engine/rehearsal/rehearsal.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

Result<std::string> CopySandbox(const std::string& from) {
  if (!fs::exists(fs::path(from) / "sandbox.db"))
    return NotFound("no sandbox in " + from + " (run `cmkctl sandbox init` or --sandbox DIR)");
  CMK_ASSIGN_OR_RETURN(std::string tmpl, NewRehearsalDir());
  // SQLite's backup API, not a file copy: another process may be writing
  // to the sandbox (a served sandbox, a clock advance), and a file copy could
  // mix two moments or miss what the write-ahead log holds.
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxCloud> source, SandboxCloud::Open(from));
  Status copied = source->CopyTo(tmpl);
  if (!copied.ok()) return copied.WithContext("copying the sandbox " + from);
  return tmpl;
}

int RehearsalFailed(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return kExitError;
}

// One scheduled pipeline run on the copy: plan, then auto-approved apply
// with the plan's hooks, as `apply` does (a hook that waits advances the
// copy's simulated clock).
void Pipeline(const Result<DesiredState>& desired, SandboxProvider& provider, SandboxClock& clock,
              RehearsalLog& log) {
  auto plan = desired.ok() ? ComputePlan(*desired, PlanFlags{}, provider) : Result<Plan>(desired.status());
  if (!plan.ok()) {
    log.Note(provider.Now(), "plan", "", "plan failed: " + plan.status().message());
    return;
  }
  for (const auto& e : plan->errors) log.NoteOnce(provider.Now(), "plan.error", e.address, e.message);
  for (const auto& k : plan->keys)
    for (const auto& b : k.blocked) log.NoteOnce(provider.Now(), "plan.blocked", k.address, b);
  if (plan->HasErrors() || !plan->HasChanges()) return;
  ApplyResult result = ApplyWithHooks(*plan, provider, clock, nullptr);
  for (const auto& r : result.report) {
    for (const auto& h : r.hooks)
      log.Note(provider.Now(), "hook." + h.phase, r.address,
               h.message + (!h.ok && h.on_failure == "warn" ? " (warning only)" : ""));
    log.Note(provider.Now(), std::string("apply.") + ActionName(r.action), r.address,
             std::string(OutcomeName(r.outcome)) + (r.reason.empty() ? "" : ": " + r.reason));
  }
}

int RehearseIn(const GlobalOptions& global, const RehearseArgs& args, const std::string& dir,
               const std::string& source) {
  // Loaded once: the manifests do not change during a rehearsal. What is
  // wrong with them is what each pipeline run reports ("plan failed").
  std::ostringstream diagnostics;
  const Result<DesiredState> desired = LoadDesired(global, diagnostics);
  static const DesiredState kNone;
  // The copy is thrown away: material the pool has not made by the end is
  // not worth waiting for.
  SandboxOptions copy_options;
  copy_options.finish_material_on_close = false;
  auto opened = SandboxProvider::Open(dir, std::move(copy_options));
  if (!opened.ok()) return RehearsalFailed(opened.status());
  SandboxProvider& provider = **opened;
  SandboxCloud& cloud = provider.cloud();
  auto simulated = cloud.ClockIsSimulated();
  if (!simulated.ok()) return RehearsalFailed(simulated.status());
  if (!*simulated) {
    if (Status s = cloud.SetClock(cloud.Now()); !s.ok()) return RehearsalFailed(s);
  }
  SandboxSimulation simulation(cloud);
  SandboxClock clock(cloud);
  RehearsalSpec spec{args.until, args.step, args.inject};
  auto report = Rehearse(spec, desired.ok() ? *desired : kNone, simulation, provider,
                         [&](RehearsalLog& log) { Pipeline(desired, provider, clock, log); });
  if (EvidenceRun* evidence = args.evidence.run; evidence && report.ok())
    evidence->SetOutput(RehearsalJson(*report, spec, source));
  if (!report.ok()) return RehearsalFailed(report.status());
  if (args.format == "html") {
    Status written = WriteRehearsalHtml(desired.ok() ? *desired : kNone, provider, *report, spec, source,
                                        args.out, std::cout);
    if (!written.ok()) return RehearsalFailed(written);
  } else if (args.format == "json") {
    std::cout << RehearsalJson(*report, spec, source).dump(2) << "\n";
  } else {
    RenderRehearsalText(*report, spec, source, std::cout);
  }
  return report->violations.empty() ? kExitOk : kExitError;
}

}  // namespace

int RunRehearse(const GlobalOptions& global, const RehearseArgs& args) {
  if (!args.out.empty() && args.format != "html")
    return RehearsalFailed(InvalidArgument("--out is for --format html (text and json go to stdout)"));
  std::string dir, source;
  if (global.target == "azure") {
    std::optional<int64_t> at;
    if (!args.snapshot_time.empty()) {
      auto t = ParseRfc3339(args.snapshot_time);
      if (!t.ok()) return RehearsalFailed(t.status().WithContext("--snapshot-time"));
      at = *t;
    }
    auto snapshot = SnapshotToSandbox(global, at, std::cerr);
    if (!snapshot.ok()) return RehearsalFailed(snapshot.status());
    dir = snapshot->dir;
    source = "a snapshot of " + snapshot->target;
    std::cerr << "Read a snapshot of " << snapshot->target << " (read-only) as of "
              << FormatRfc3339(snapshot->time) << " into a temporary sandbox.\n";
  } else {
    if (!args.snapshot_time.empty())
      return RehearsalFailed(InvalidArgument(
          "--snapshot-time is for --target azure: a sandbox copy starts at the sandbox's clock"));
    auto copied = CopySandbox(ResolveSandboxDir(global));
    if (!copied.ok()) return RehearsalFailed(copied.status());
    dir = *copied;
    source = "a copy of " + ResolveSandboxDir(global);
  }
  if (args.evidence.run) args.evidence.run->SetTargetText(source);
  int code = RehearseIn(global, args, dir, source);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return code;
}

}  // namespace cmk
