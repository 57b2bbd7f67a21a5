// Evidence for one run of apply, drift, verify or rehearse (`--evidence DIR`,
// docs/evidence.md): what the command recorded (the plan, each change's
// outcome and times, its JSON output), who ran it and where, what it printed,
// and the sandbox's activity-log lines written during the run, signed and
// chained by evidence/bundle.h.
//
// RunWithEvidence wraps a command: without --evidence it just runs it. With
// it, the signing key is loaded and the directory created BEFORE the command
// runs (no key, or one that does not load: usage error, nothing is done;
// cmkctl never writes unsigned evidence). After the command it writes the
// bundle; a bundle that cannot be written is reported and makes the exit
// code non-zero, but never undoes or hides the run's own result. A command
// records through the EvidenceRun it is given (null without --evidence);
// nothing in a bundle is a secret: no token, no key material, no environment,
// and the command line is redacted (evidence/redact.h). Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "azure/credentials.h"
#include "base/json.h"
#include "cli/context.h"
#include "provider/provider.h"

namespace cmk {

class ApplyObserver;
struct ApplyResult;
class EvidenceRun;

struct EvidenceArgs {
  std::string dir;       // --evidence DIR; "" = no evidence
  std::string key_file;  // --evidence-key FILE; "" = $CMKCTL_EVIDENCE_KEY
  std::vector<std::string> arguments;  // the command line (argv[1..]), set by CommandLine
  // Where the command records, set by RunWithEvidence while the command
  // runs; null without --evidence.
  EvidenceRun* run = nullptr;
};

class EvidenceRun {
 public:
  explicit EvidenceRun(std::string command);
  ~EvidenceRun();
  EvidenceRun(const EvidenceRun&) = delete;
  EvidenceRun& operator=(const EvidenceRun&) = delete;

  // The target the command opened; on the sandbox, also where its activity
  // log stands, so that the bundle gets the lines this run adds.
  void SetTarget(Provider& provider);
  // What the run worked on when it opened no target (rehearse: a copy).
  void SetTargetText(const std::string& target);
  // apply: the plan it applied, as plan JSON (plan.json, digest in run.json).
  void SetPlan(const std::string& plan_json);
  // The command's result as JSON (output.json).
  void SetOutput(const Json& output);
  // apply: wraps `inner` (may be null), recording when each change started
  // and ended; the returned observer lives as long as this EvidenceRun.
  ApplyObserver* Observe(ApplyObserver* inner);
  // apply: every change's outcome, reason, notes and hook reports (changes.json).
  void SetApplyResult(const ApplyResult& result);

 private:
  friend int RunWithEvidence(const GlobalOptions&, const EvidenceArgs&, const std::string&,
                             const std::function<int(EvidenceRun*)>&, const EnvGetter&);
  class ChangeClock;

  Json EventsJson() const;
  // Azure: which credential gave the tokens. Called from the recording
  // methods, which commands call while their target is open.
  void NoteCredential();

  std::string command_;
  std::string target_;
  Provider* provider_ = nullptr;  // the command's; only used while it is open (above)
  std::string credential_used_;
  std::optional<std::string> plan_json_;
  std::optional<Json> output_;
  std::optional<Json> changes_;
  std::string out_, err_;  // what the command printed
  // The sandbox's activity log at SetTarget: its directory, its clock, the
  // last line already there.
  std::string sandbox_dir_;
  int64_t events_since_ = 0;
  int64_t events_after_seq_ = 0;
  std::string events_unavailable_ = "the command opened no target";
  std::unique_ptr<ChangeClock> change_clock_;
};

// Runs `run` with an EvidenceRun when args.dir is set (see above); returns
// the command's exit code, or kExitUsage / kExitError for evidence problems.
int RunWithEvidence(const GlobalOptions& global, const EvidenceArgs& args,
                    const std::string& command, const std::function<int(EvidenceRun*)>& run,
                    const EnvGetter& env = ProcessEnv());

}  // namespace cmk
