#include "cli/context.h"

#include <cstdlib>
#include <ostream>

#include "manifest/loader.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {
namespace {

class ProviderTarget : public Target {
 public:
  explicit ProviderTarget(std::unique_ptr<Provider> provider) : provider_(std::move(provider)) {}
  Provider& provider() override { return *provider_; }

 private:
  std::unique_ptr<Provider> provider_;
};

}  // namespace

std::string ResolveSandboxDir(const GlobalOptions& options) {
  if (!options.sandbox_dir.empty()) return options.sandbox_dir;
  if (const char* env = std::getenv("CMKCTL_SANDBOX"); env != nullptr && *env != '\0') return env;
  return ".cmkctl/";
}

Result<std::unique_ptr<Target>> OpenTarget(const GlobalOptions& options) {
  if (options.target == "azure") {
    return FailedPrecondition(
        "--target azure needs the Azure REST provider, which this build does not have yet; "
        "use the sandbox (the default)");
  }
  std::string dir = ResolveSandboxDir(options);
  auto provider = SandboxProvider::Open(dir);
  if (!provider.ok()) return provider.status().WithContext("opening sandbox " + dir);
  return std::unique_ptr<Target>(new ProviderTarget(std::move(provider).value()));
}

Result<DesiredState> LoadDesired(const GlobalOptions& options, std::ostream& err,
                                 size_t* file_count) {
  if (options.files.empty()) return InvalidArgument("no manifests given: use -f FILE_OR_DIR");
  LoadResult result = LoadManifests(options.files);
  int errors = 0;
  for (const auto& d : result.diagnostics) {
    err << d.Render();
    if (d.severity == Severity::kError) ++errors;
  }
  if (file_count) *file_count = result.files.size();
  if (errors > 0) {
    err << errors << " error(s) in manifests; nothing was planned or changed.\n";
    return InvalidArgument("invalid manifests");
  }
  return std::move(result.desired);
}

void PrintTarget(const Provider& provider, std::ostream& out) {
  out << "Target: " << provider.Target().ToString() << "\n";
}

}  // namespace cmk
