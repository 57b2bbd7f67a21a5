// What every command shares: global options, opening the target, loading
// manifests and reporting diagnostics. The CLI is the only place where the
// reconciler core, the providers and the manifest loader meet.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "manifest/diagnostic.h"
#include "azure/credentials.h"
#include "base/status.h"
#include "provider/clock.h"
#include "provider/provider.h"
#include "model/world.h"

namespace cmk {

// Who chose the target: nobody (the sandbox by default), CMKCTL_TARGET or
// --target.
enum class TargetSource { kDefault, kEnvironment, kFlag };

struct GlobalOptions {
  std::vector<std::string> files;  // -f, repeatable: files or directories
  std::string target = "sandbox";  // sandbox | azure: --target, else CMKCTL_TARGET
  TargetSource target_source = TargetSource::kDefault;
  std::string sandbox_dir;         // --sandbox, else $CMKCTL_SANDBOX, else .cmkctl/
  int verbosity = 0;               // -v, -vv
  // --target azure: endpoint overrides (sovereign clouds, the sandbox server).
  std::string arm_endpoint;        // --arm-endpoint (else CMKCTL_ARM_ENDPOINT)
  std::string vault_dns_suffix;    // --vault-dns-suffix (else CMKCTL_VAULT_DNS_SUFFIX)
  std::string authority_host;      // --authority-host (else AZURE_AUTHORITY_HOST)
  std::string ca_bundle;           // --ca-bundle (else CMKCTL_CA_BUNDLE)
  double connect_timeout_seconds = 0;  // --connect-timeout (0 = CMKCTL_CONNECT_TIMEOUT, else 5)
  double timeout_seconds = 0;          // --timeout (0 = CMKCTL_TIMEOUT, else 30)
  std::string credential;          // --credential: kCredentialNames (else CMKCTL_AZURE_CREDENTIAL)
  std::string cloud;               // --cloud (else AZURE_CLOUD, ARM_ENVIRONMENT)
  bool operator==(const GlobalOptions&) const = default;
};

// An opened target: the provider, the clock hooks wait on, and whatever owns
// their resources.
class Target {
 public:
  virtual ~Target() = default;
  virtual Provider& provider() = 0;
  virtual Clock& clock() = 0;
};

// The sandbox directory the options name (flag, then environment, then default).
std::string ResolveSandboxDir(const GlobalOptions& options);

[[nodiscard]] Result<std::unique_ptr<Target>> OpenTarget(const GlobalOptions& options);

// Whether the environment says this is a CI job: CI is true or 1 (GitHub
// Actions, GitLab and most others), or TF_BUILD is True (Azure Pipelines).
bool RunningInCi(const EnvGetter& env);
// For commands that plan or change a target (plan, apply, drift): in CI, a
// target nobody chose is refused (FailedPrecondition naming --target sandbox
// and --target azure), so that a pipeline that forgot `--target azure` does
// not plan and apply against a .cmkctl/ folder on the runner. Outside CI,
// and with --target or CMKCTL_TARGET, OK.
[[nodiscard]] Status CheckTargetChosen(const GlobalOptions& options,
                                       const EnvGetter& env = ProcessEnv());

// Loads and validates the manifests named by -f, printing every diagnostic to
// `err` (and, when `diagnostics` is given, appending them there). Returns an
// error when there is any error diagnostic (or no -f).
[[nodiscard]] Result<DesiredState> LoadDesired(const GlobalOptions& options, std::ostream& err,
                                               size_t* file_count = nullptr,
                                               std::vector<Diagnostic>* diagnostics = nullptr);

// Prints "Target: sandbox: .cmkctl/" so nobody confuses targets.
void PrintTarget(const Provider& provider, std::ostream& out);

}  // namespace cmk
