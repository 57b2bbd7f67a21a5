#include "cli/context.h"

#include <cstdlib>
#include <ostream>

#include "azure/azure_provider.h"
#include "base/strings.h"
#include "cli/hook_host.h"
#include "manifest/loader.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {
namespace {

class ProviderTarget : public Target {
 public:
  explicit ProviderTarget(std::unique_ptr<Provider> provider)
      : provider_(std::move(provider)), clock_(std::make_unique<ProviderClock>(*provider_)) {}
  ProviderTarget(std::unique_ptr<Provider> provider, std::unique_ptr<Clock> clock)
      : provider_(std::move(provider)), clock_(std::move(clock)) {}
  Provider& provider() override { return *provider_; }
  Clock& clock() override { return *clock_; }

 private:
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<Clock> clock_;
};

}  // namespace

std::string ResolveSandboxDir(const GlobalOptions& options) {
  if (!options.sandbox_dir.empty()) return options.sandbox_dir;
  if (const char* env = std::getenv("CMKCTL_SANDBOX"); env != nullptr && *env != '\0') return env;
  return ".cmkctl/";
}

bool RunningInCi(const EnvGetter& env) {
  return IsTruthy(env("CI").value_or("")) || IsTruthy(env("TF_BUILD").value_or(""));
}

Status CheckTargetChosen(const GlobalOptions& options, const EnvGetter& env) {
  if (options.target_source != TargetSource::kDefault || !RunningInCi(env)) return Status::Ok();
  const std::string marker = IsTruthy(env("CI").value_or("")) ? "CI" : "TF_BUILD";
  return FailedPrecondition(
      "no target chosen, and this is a CI job (" + marker + "=" + env(marker).value_or("") +
      "): pass --target azure to work on Azure, or --target sandbox to use the local sandbox in " +
      ResolveSandboxDir(options) + " on this runner (or set CMKCTL_TARGET)");
}

Result<std::unique_ptr<Target>> OpenTarget(const GlobalOptions& options) {
  if (options.target == "azure") {
    auto from_env = AzureOptionsFromEnv(ProcessEnv(), options.cloud);
    if (!from_env.ok()) return from_env.status().WithContext("connecting to Azure");
    AzureProviderOptions o = std::move(from_env).value();
    ApplyEndpointFlags(o.endpoints, options.arm_endpoint, options.vault_dns_suffix,
                       options.authority_host);
    if (!options.ca_bundle.empty()) o.ca_bundle = options.ca_bundle;
    if (!options.credential.empty()) o.credential.named = options.credential;
    if (options.connect_timeout_seconds > 0)
      o.connect_timeout = std::chrono::milliseconds(static_cast<int64_t>(options.connect_timeout_seconds * 1000));
    if (options.timeout_seconds > 0)
      o.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
    auto provider = AzureProvider::Create(std::move(o));
    if (!provider.ok()) return provider.status().WithContext("connecting to Azure");
    return std::unique_ptr<Target>(new ProviderTarget(std::move(provider).value()));
  }
  std::string dir = ResolveSandboxDir(options);
  SandboxOptions sandbox_options;
  if (!options.vault_dns_suffix.empty()) sandbox_options.dns_suffix = options.vault_dns_suffix;
  auto provider = SandboxProvider::Open(dir, std::move(sandbox_options));
  if (!provider.ok()) return provider.status().WithContext("opening sandbox " + dir);
  auto clock = std::make_unique<SandboxClock>((*provider)->cloud());
  return std::unique_ptr<Target>(new ProviderTarget(std::move(provider).value(), std::move(clock)));
}

Result<DesiredState> LoadDesired(const GlobalOptions& options, std::ostream& err,
                                 size_t* file_count, std::vector<Diagnostic>* diagnostics) {
  if (options.files.empty()) return InvalidArgument("no manifests given: use -f FILE_OR_DIR");
  LoadResult result = LoadManifests(options.files);
  int errors = 0;
  for (const auto& d : result.diagnostics)
    if (d.severity == Severity::kError) ++errors;
  err << RenderAll(result.diagnostics);
  if (diagnostics) diagnostics->insert(diagnostics->end(), result.diagnostics.begin(), result.diagnostics.end());
  if (file_count) *file_count = result.files.size();
  if (errors > 0) {
    err << errors << " error(s) in manifests; nothing was planned or changed.\n";
    return InvalidArgument("invalid manifests");
  }
  // Every command runs the checks `validate` runs: each hook script must
  // load (it is never run here), or nothing is planned.
  std::vector<HookSpec> hooks;
  for (const auto& [address, h] : result.desired.hooks) hooks.push_back(h.value);
  std::vector<std::string> problems = CheckHookScripts(hooks);
  for (const auto& p : problems) err << p << "\n";
  if (!problems.empty()) {
    err << problems.size() << " hook script(s) do not load; nothing was planned or changed.\n";
    return InvalidArgument("invalid hook scripts");
  }
  return std::move(result.desired);
}

void PrintTarget(const Provider& provider, std::ostream& out) {
  out << "Target: " << provider.Target().ToString() << "\n";
}

}  // namespace cmk
