#include "azure/credentials.h"

#include "base/log.h"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "base/strings.h"
#include "crypto/crypto.h"
#include <nlohmann/json.hpp>

namespace cmk {

EnvGetter ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

namespace {

// An AZURE_* name and the azurerm name that stands in for it. `gate`, when
// set, must be true for the alias to count (azurerm reads the OIDC token
// file only with ARM_USE_OIDC).
struct ArmAlias {
  const char* name;
  const char* alias;
  const char* gate;
};
constexpr ArmAlias kArmAliases[] = {
    {"AZURE_CLIENT_ID", "ARM_CLIENT_ID", nullptr},
    {"AZURE_TENANT_ID", "ARM_TENANT_ID", nullptr},
    {"AZURE_CLIENT_SECRET", "ARM_CLIENT_SECRET", nullptr},
    {"AZURE_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PATH", nullptr},
    {"AZURE_CLIENT_CERTIFICATE_PASSWORD", "ARM_CLIENT_CERTIFICATE_PASSWORD", nullptr},
    {"AZURE_FEDERATED_TOKEN_FILE", "ARM_OIDC_TOKEN_FILE_PATH", "ARM_USE_OIDC"},
    {"AZURE_CLOUD", "ARM_ENVIRONMENT", nullptr},
};

}  // namespace

EnvGetter WithArmAliases(EnvGetter env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    if (auto v = env(name)) return v;
    for (const ArmAlias& a : kArmAliases) {
      if (name != a.name) continue;
      if (a.gate != nullptr && !IsTruthy(env(a.gate).value_or(""))) return std::nullopt;
      return env(a.alias);
    }
    return std::nullopt;
  };
}

CommandRunner RealCommandRunner() {
  return [](const std::vector<std::string>& argv) -> Result<std::string> {
    if (argv.empty()) return InvalidArgument("empty command");
    int out_pipe[2];
    if (pipe(out_pipe) != 0) return Internal("pipe failed");
    pid_t pid = fork();
    if (pid < 0) {
      close(out_pipe[0]);
      close(out_pipe[1]);
      return Internal("fork failed");
    }
    if (pid == 0) {
      dup2(out_pipe[1], STDOUT_FILENO);
      close(out_pipe[0]);
      close(out_pipe[1]);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());  // absolute path resolved by the caller: no shell, no PATH
      _exit(127);
    }
    close(out_pipe[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(out_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return Unavailable(argv[0] + " exited with status " +
                         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    return out;
  };
}

std::string FindOnPath(const std::string& program, const std::string& path_env) {
  std::stringstream ss(path_env);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string ScopeToResource(const std::string& scope) {
  const std::string suffix = "/.default";
  if (scope.size() >= suffix.size() &&
      scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) == 0)
    return scope.substr(0, scope.size() - suffix.size());
  return scope;
}

std::string TenantFromJwt(const std::string& token) {
  size_t a = token.find('.');
  if (a == std::string::npos) return "";
  size_t b = token.find('.', a + 1);
  if (b == std::string::npos) return "";
  Result<Bytes> payload = Base64AnyDecode(token.substr(a + 1, b - a - 1));
  if (!payload.ok()) return "";
  auto j = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
  if (!j.is_object() || !j.contains("tid") || !j["tid"].is_string()) return "";
  return j["tid"].get<std::string>();
}

CachingCredential::CachingCredential(std::unique_ptr<TokenCredential> inner, UnixClock clock,
                                     int64_t refresh_margin)
    : inner_(std::move(inner)), clock_(std::move(clock)), margin_(refresh_margin) {}

Result<AccessToken> CachingCredential::GetToken(const std::string& scope) {
  auto it = cache_.find(scope);
  if (it != cache_.end() && it->second.expires_on - margin_ > clock_()) return it->second;
  CMK_ASSIGN_OR_RETURN(AccessToken token, inner_->GetToken(scope));
  CMK_LOG(kDebug, "credential: ", inner_->Name(), " issued a token for ", scope, " (expires in ",
          token.expires_on - clock_(), " s)");
  cache_[scope] = token;
  return token;
}

ChainCredential::ChainCredential(std::vector<std::unique_ptr<TokenCredential>> chain)
    : chain_(std::move(chain)) {}

std::string ChainCredential::Name() const {
  // Once a credential produced a token, it is the one in use: name it.
  if (selected_ != nullptr) return selected_->Name() + " (from the default chain)";
  std::string names;
  for (const auto& c : chain_) names += (names.empty() ? "" : ", ") + c->Name();
  return "chain(" + names + ")";
}

Result<AccessToken> ChainCredential::GetToken(const std::string& scope) {
  if (selected_ != nullptr) {
    Result<AccessToken> token = selected_->GetToken(scope);
    if (!token.ok()) return token.status().WithContext("credential " + selected_->Name());
    return token;
  }
  std::string attempts;
  for (size_t i = 0; i < chain_.size(); ++i) {
    TokenCredential& c = *chain_[i];
    Result<AccessToken> token = c.GetToken(scope);
    if (token.ok()) {
      CMK_LOG(kDebug, "credential: ", c.Name(), " gave a token; the chain keeps using it");
      selected_ = &c;
      return token;
    }
    const Status& why = token.status();
    const bool unavailable = why.code() == StatusCode::kFailedPrecondition;
    std::string reason = why.message();
    if (StartsWith(reason, c.Name() + ": ")) reason.erase(0, c.Name().size() + 2);
    CMK_LOG(kDebug, "credential: ", c.Name(), unavailable ? " unavailable: " : " failed: ", reason);
    attempts += "\n  " + c.Name() + (unavailable ? ": unavailable: " : ": failed: ") + reason;
    if (unavailable) continue;
    for (size_t j = i + 1; j < chain_.size(); ++j)
      attempts += "\n  " + chain_[j]->Name() + ": not tried (a configured credential failed)";
    return Status(why.code(),
                  "credential " + c.Name() + " failed; credentials in order:" + attempts);
  }
  return PermissionDenied("no Azure credential gave a token; credentials in order:" + attempts);
}

Result<std::unique_ptr<CachingCredential>> MakeCredential(const CredentialOptions& options,
                                                          const EnvGetter& process_env,
                                                          HttpTransport& transport, UnixClock clock,
                                                          CommandRunner runner) {
  const std::string& n = options.named;
  if (!n.empty() && std::find(std::begin(kCredentialNames), std::end(kCredentialNames), n) ==
                        std::end(kCredentialNames))
    return InvalidArgument("unknown credential '" + n + "': expected one of " +
                           Join(std::vector<std::string>(std::begin(kCredentialNames),
                                                         std::end(kCredentialNames))));
  EnvGetter env = WithArmAliases(process_env);
  std::vector<std::unique_ptr<TokenCredential>> chain;
  auto wanted = [&](const char* name) { return n.empty() || n == name; };
  if (wanted("client-secret"))
    chain.push_back(MakeClientSecretCredential(env, options, transport, clock));
  if (wanted("client-certificate"))
    chain.push_back(MakeClientCertificateCredential(env, options, transport, clock));
  if (wanted("workload-identity"))
    chain.push_back(MakeWorkloadIdentityCredential(env, options, transport, clock));
  if (wanted("managed-identity"))
    chain.push_back(MakeManagedIdentityCredential(env, options, transport, clock));
  if (wanted("azure-cli")) chain.push_back(MakeAzureCliCredential(env, std::move(runner), clock));
  return std::make_unique<CachingCredential>(
      std::make_unique<ChainCredential>(std::move(chain)), clock);
}

}  // namespace cmk
