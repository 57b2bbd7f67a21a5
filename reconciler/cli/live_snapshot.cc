#include "cli/live_snapshot.h"

#include <stdlib.h>

#include <filesystem>
#include <vector>

#include "engine/read/live_reader.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "sandbox/sandbox_cloud.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

// A user-assigned identity's ARM id -> {S, RG, NAME}; nullopt for another shape.
std::optional<ArmRef> IdentityRefOf(const std::string& arm_id) {
  ArmIdParts p = ParseArmId(arm_id);
  if (!EqualsIgnoreCase(IdentityArmId(p.subscription, p.resource_group, p.name), arm_id))
    return std::nullopt;
  return ArmRef{p.subscription, p.resource_group, p.name};
}

// The identities storage accounts reach their keys with, when the manifests
// do not name them: the restored accounts must still find them.
Status ReadAccountIdentities(Provider& provider, LiveState& live) {
  std::vector<std::string> wanted;
  for (const auto& [address, a] : live.consumers) {
    wanted.insert(wanted.end(), a.user_assigned_identities.begin(),
                  a.user_assigned_identities.end());
    if (!a.encryption.user_assigned_identity.empty())
      wanted.push_back(a.encryption.user_assigned_identity);
  }
  for (const auto& id : wanted) {
    bool known = false;
    for (const auto& [address, i] : live.identities)
      known |= EqualsIgnoreCase(IdentityArmId(i.subscription, i.resource_group, i.name), id);
    std::optional<ArmRef> ref = IdentityRefOf(id);
    if (known || !ref) continue;
    auto identity = provider.GetIdentity(*ref);
    if (!identity.ok()) return identity.status().WithContext("reading identity " + id);
    if (!*identity) continue;
    std::string address = "identity/" + ref->name;
    if (live.identities.count(address))
      address = "identity/" + ref->resource_group + "/" + ref->name;
    live.identities[address] = **identity;
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> NewRehearsalDir() {
  std::string tmpl = (fs::temp_directory_path() / "cmkctl-rehearse-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Internal("cannot create a temporary directory");
  return tmpl;
}

Result<LiveSnapshot> SnapshotToSandbox(const GlobalOptions& global, std::optional<int64_t> at,
                                       std::ostream& err) {
  CMK_ASSIGN_OR_RETURN(DesiredState desired, LoadDesired(global, err));
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<Target> target, OpenTarget(global));
  Provider& provider = target->provider();
  LiveSnapshot snapshot;
  snapshot.target = provider.Target().ToString();
  snapshot.time = at.value_or(provider.Now());
  CMK_ASSIGN_OR_RETURN(LiveState live, ReadLive(provider, BuildQuery(desired), false));
  CMK_RETURN_IF_ERROR(ReadAccountIdentities(provider, live));

  CMK_ASSIGN_OR_RETURN(snapshot.dir, NewRehearsalDir());
  Status restored = [&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxCloud> cloud, SandboxCloud::Open(snapshot.dir));
    return cloud->RestoreSnapshot(live, snapshot.time);
  }();
  if (!restored.ok()) {
    std::error_code ec;
    fs::remove_all(snapshot.dir, ec);
    return restored.WithContext("restoring the snapshot of " + snapshot.target);
  }
  return snapshot;
}

}  // namespace cmk
