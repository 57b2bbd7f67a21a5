// ServerCore: Azure's wire format over a SandboxCloud, without any HTTP
// library. Takes an ServerRequest, returns an ServerResponse.
//
// Routing by Host: {vault}.vault.localhost:{port} is that vault's Key Vault
// data plane; any other host is ARM plus the identity platform (token
// endpoint, OIDC metadata, managed-identity endpoint). Path segments match
// case-insensitively; ARM and Key Vault requests need a supported
// `api-version` (api_versions.h) and a bearer token of the right audience,
// then pass fault injection and throttling. The cloud decides every rule;
// handlers only translate, after checking the JSON types of the body's
// members (wire_util.h CheckFields). No exception leaves Handle: a JSON type
// error is a 400, anything else a 500, both in Azure's error shape.
//
// Two steps for the transport: HandleHead judges a request from its headers
// alone (body size and framing, token, api-version), so that a refused body
// is never read; Handle answers the complete request.
//
// Thread-safe: the cloud (not thread-safe) is called under one mutex;
// tokens, faults and throttling have their own locks. Injected latency is
// slept outside the cloud lock.
#pragma once

#include <atomic>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/sandbox_cloud.h"
#include "sandbox_server/http_types.h"
#include "sandbox_server/rate_gate.h"
#include "sandbox_server/server_options.h"
#include "sandbox_server/token_service.h"

namespace cmk {

class ServerCore {
 public:
  // `cloud` must have been opened with dns_suffix "vault.localhost:{port}".
  // `assertion_keys_path`: the PEM file of registered certificates / public
  // keys that client assertions must be signed with ("" = none).
  ServerCore(std::unique_ptr<SandboxCloud> cloud, const ServeOptions& options, int port,
             std::string client_secret, std::string identity_header,
             std::string assertion_keys_path = "");

  // Every answer carries a Date header with the cloud's time (simulated or
  // real), as Azure's do.
  ServerResponse Handle(const ServerRequest& req);
  // `head` without its body (not read yet). The refusal when the headers
  // alone decide it - a declared body over kMaxRequestBodyBytes (413), a
  // framing the server does not read (multipart, unknown Transfer-Encoding),
  // a missing or invalid token (401), a missing or unknown api-version
  // (400) - with close_connection set when a body may follow. nullopt: read
  // the body (at most kMaxRequestBodyBytes), then call Handle.
  std::optional<ServerResponse> HandleHead(const ServerRequest& head);
  // The refusal of a body that turned out too large while being read
  // (chunked: 413) or could not be read (400); the connection closes.
  ServerResponse RefuseBody(const ServerRequest& head, bool too_large);

  const std::string& tenant_id() const { return tenant_id_; }
  int port() const { return port_; }

  // Lets requests held for a silent vault (FaultOptions::silent_vaults) go.
  void ReleaseHeld() { release_held_ = true; }

 private:
  struct Ctx {
    const ServerRequest& req;
    std::string base_url;  // https://{Host header}
    std::string api_version;
    std::vector<std::string> seg;   // path segments as sent
    std::vector<std::string> lseg;  // lower case
    TokenGrant grant;
    std::string vault;  // Key Vault host's vault name (lower case)
  };
  struct Page {
    size_t begin = 0, end = 0;
    Json next_link;  // null or the absolute URL
  };

  struct Route {
    bool kv = false;       // a vault host
    std::string vault;     // its vault name (lower case)
    std::string base_url;  // https://{Host header}
  };
  Route RouteOf(const ServerRequest& req) const;
  ServerResponse Answer(const ServerRequest& req, const Route& route);  // Handle without the Date
  // identity_endpoints.cc
  std::optional<ServerResponse> HandleIdentityPlatform(const ServerRequest& req,
                                                     const std::string& base_url);
  static bool IsIdentityPlatformPath(const std::vector<std::string>& lower_segments);
  // server_core.cc
  ServerResponse Unauthorized(bool kv, const std::string& base_url, const std::string& message);
  // Body size and framing, from the headers.
  std::optional<ServerResponse> CheckFraming(const ServerRequest& req, bool kv) const;
  // Token and api-version of an ARM or Key Vault request; `grant` receives
  // the token's grant when it is valid.
  std::optional<ServerResponse> CheckAccess(const ServerRequest& req, const Route& route,
                                            TokenGrant* grant);
  void StampRequestId(ServerResponse& out, bool kv);
  void StampDate(ServerResponse& out);
  Result<Page> Paginate(const Ctx& c, size_t total, const char* size_param, size_t default_size,
                        size_t max_size);
  ServerResponse HandleArm(Ctx& c);
  // kv_handlers.cc / kv_render.cc
  ServerResponse HandleKeyVault(Ctx& c);
  ServerResponse KvCreateKey(Ctx& c, const std::string& name);
  ServerResponse KvImportKey(Ctx& c, const std::string& name);
  ServerResponse KvGetKey(Ctx& c, const std::string& name, const std::string& version);
  ServerResponse KvUpdateKey(Ctx& c, const std::string& name, const std::string& version);
  ServerResponse KvListKeys(Ctx& c);
  ServerResponse KvListVersions(Ctx& c, const std::string& name);
  ServerResponse KvRotate(Ctx& c, const std::string& name);
  ServerResponse KvGetPolicy(Ctx& c, const std::string& name);
  ServerResponse KvPutPolicy(Ctx& c, const std::string& name);
  ServerResponse KvWrap(Ctx& c, const std::string& name, const std::string& version, bool wrap);
  ServerResponse KvDeleteKey(Ctx& c, const std::string& name);
  ServerResponse KvListDeleted(Ctx& c);
  ServerResponse KvGetDeleted(Ctx& c, const std::string& name);
  ServerResponse KvRecover(Ctx& c, const std::string& name);
  ServerResponse KvPurge(Ctx& c, const std::string& name);
  Result<VaultState> KvVault(const Ctx& c);
  std::optional<PublicKey> CachedPublicKey(const std::string& vault, const std::string& name,
                                           const std::string& version);
  Json KeyAttributes(const KeyVersionState& v, const VaultState& vault) const;
  Json KeyBundle(const KeyState& key, const KeyVersionState& v, const VaultState& vault);
  Json KeyItem(const KeyState& key, const KeyVersionState& v, const VaultState& vault,
               bool versioned) const;
  Json DeletedExtras(const VaultState& vault, const DeletedKey& d) const;
  Json PolicyJson(const VaultState& vault, const std::string& name,
                  const std::optional<RotationPolicyState>& p) const;
  // arm_*.cc
  ServerResponse ArmVaults(Ctx& c, const std::string& sub, const std::string& rg,
                         const std::string& name);
  ServerResponse ArmDeletedVaults(Ctx& c, const std::string& sub, const std::string& location,
                                const std::string& name, bool purge);
  ServerResponse ArmOperation(Ctx& c, const std::string& sub, const std::string& location,
                            bool status_form, const std::string& id);
  ServerResponse ArmIdentities(Ctx& c, const std::string& sub, const std::string& rg,
                             const std::string& name);
  ServerResponse ArmRoleAssignments(Ctx& c, const std::string& scope, const std::string& name);
  // GET of a subscription's or resource group's consumers of one kind, paged
  // as ARM pages ($top, nextLink), each rendered by `render`. The caller
  // holds cloud_mu_.
  ServerResponse ArmConsumerList(Ctx& c, ConsumerKind kind, const std::string& sub, const std::string& rg,
                                 Json (ServerCore::*render)(const ConsumerState&));
  ServerResponse ArmStorage(Ctx& c, const std::string& sub, const std::string& rg,
                          const std::string& name);
  // arm_sql.cc: a server, its keys ({vault}_{key}_{version}) and its
  // encryption protector; child is "" (the server), "keys" or
  // "encryptionprotector" (child_name "current", "" for the list).
  ServerResponse ArmSql(Ctx& c, const std::string& sub, const std::string& rg, const std::string& name,
                        const std::string& child, const std::string& child_name);
  // What the sandbox keeps for the server beyond the model (arm_sql.cc):
  // server keys PUT but not yet the protector, a primary identity set by
  // PATCH; both applied by the next protector PUT.
  Json SqlWireState(const ConsumerState& s);
  Json SqlServerJson(const ConsumerState& s);
  Json SqlProtectorJson(const ConsumerState& s);
  // kid "" = the ServiceManaged key.
  Json SqlServerKeyJson(const ConsumerState& s, const std::string& name, const std::string& kid);
  // Lower name -> (name, versioned key id) of every Key Vault server key.
  // `wire` is the server's SqlWireState.
  std::map<std::string, std::pair<std::string, std::string>> SqlServerKeys(const ConsumerState& s, const Json& wire);
  // arm_des.cc
  // child "associatedresources" or "".
  ServerResponse ArmDes(Ctx& c, const std::string& sub, const std::string& rg, const std::string& name,
                        const std::string& child = "");
  Json DesJson(const ConsumerState& s);
  // A consumer's identity block; `both` is how its service spells
  // "SystemAssigned,UserAssigned".
  Json ConsumerIdentityJson(const ConsumerState& a, const char* both);
  Json VaultJson(const VaultState& v) const;
  Json StorageJson(const ConsumerState& a);
  std::string NewOperationId(const std::string& resource_id);

  std::unique_ptr<SandboxCloud> cloud_;
  std::mutex cloud_mu_;  // guards cloud_ and the caches below
  ServeOptions options_;
  int port_;
  std::string tenant_id_;
  TokenService tokens_;
  RateGate gate_;
  // Public halves of key versions (immutable per version), so that a
  // disabled version's bundle still shows n/e as Azure does.
  std::map<std::string, PublicKey> public_keys_;
  // Async vault-create operations: id -> {resource id, polls left}.
  struct Operation {
    std::string resource_id;
    int polls_left = 0;
    int64_t start = 0;
  };
  std::map<std::string, Operation> operations_;
  uint64_t counter_ = 0;
  std::atomic<bool> release_held_{false};
  std::vector<std::string> silent_vaults_, firewalled_vaults_;  // lower case
};

}  // namespace cmk
