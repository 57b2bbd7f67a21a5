// The sub-commands: each one's arguments as a plain struct and the function
// that runs it. Parsing the command line (CLI11) happens in command_line.cc
// alone, which fills these structs; a command never sees CLI11.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/evidence_run.h"
#include "cli/planning.h"
#include "sandbox_server/server_options.h"

namespace cmk {

struct ValidateArgs {
  std::string format = "text";  // text | sarif (to stdout; diagnostics still go to stderr)
};
int RunValidate(const GlobalOptions& global, const ValidateArgs& args);

struct PlanArgs {
  std::string format = "text";  // text | json | markdown | sarif
  std::string out;              // also save the plan as JSON here
  bool detailed_exitcode = false;
  PlanFlags flags;
};
int RunPlan(const GlobalOptions& global, const PlanArgs& args);

struct ApplyArgs {
  std::string plan_file;  // a saved plan; "" = plan now from -f
  bool auto_approve = false;
  bool keep_going = false;
  PlanFlags flags;
  EvidenceArgs evidence;
};
int RunApply(const GlobalOptions& global, const ApplyArgs& args);

struct ShowArgs {
  std::string format = "text";  // text | json | sarif
};
int RunShow(const GlobalOptions& global, const ShowArgs& args);

struct VerifyArgs {
  std::string key;  // only this key (and the bindings that use it)
  bool all_versions = false;
  std::string format = "text";
  EvidenceArgs evidence;
};
int RunVerify(const GlobalOptions& global, const VerifyArgs& args);

struct RehearseArgs {
  std::string until = "P1Y";
  std::string step = "P1D";
  std::string format = "text";  // text | json | html
  std::string out;              // --format html: write the page here ("" = stdout)
  // "disable key/NAME/versions/PREFIX@DURATION": a manual action to try.
  std::vector<std::string> inject;
  // --target azure: the snapshot's instant (RFC 3339); default the target's clock.
  std::string snapshot_time;
  EvidenceArgs evidence;
};
int RunRehearse(const GlobalOptions& global, const RehearseArgs& args);

struct ReportArgs {
  std::string out;  // the HTML page's path ("" = stdout)
};
int RunReport(const GlobalOptions& global, const ReportArgs& args);

struct DriftArgs {
  std::string format = "text";  // text | json | markdown | sarif
  std::string summary;          // also write the run's summary JSON here
  std::string shard;            // "i/n", "" = every subscription
  std::vector<std::string> subscriptions;  // only these (repeatable)
  EvidenceArgs evidence;
};
int RunDrift(const GlobalOptions& global, const DriftArgs& args);

// `cmkctl sandbox ...`
int RunSandboxSeed(const GlobalOptions& global, const std::string& file);
struct EventArgs {
  std::string since;
  std::vector<std::string> kinds;
  std::string format = "text";
};
int RunSandboxEvents(const GlobalOptions& global, const EventArgs& args);
// verb: "show", "advance" (value: an ISO-8601 duration) or "set" (value: RFC 3339).
int RunSandboxClock(const GlobalOptions& global, const std::string& verb, const std::string& value);
// `sandbox revalidate sql/NAME`: Azure SQL's encryption-protector revalidation.
int RunSandboxRevalidate(const GlobalOptions& global, const std::string& address);
int RunSandboxServe(const GlobalOptions& global, const ServeOptions& options);

// `cmkctl evidence ...` (docs/evidence.md).
int RunEvidenceKeygen(const GlobalOptions& global, const std::string& out);
struct EvidenceVerifyArgs {
  std::string dir;
  std::string key;  // expected signer's public key (PEM); "" = each bundle's own
  std::string format = "text";  // text | json
};
int RunEvidenceVerify(const GlobalOptions& global, const EvidenceVerifyArgs& args);

}  // namespace cmk
