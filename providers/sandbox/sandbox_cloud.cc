// SandboxCloud: opening, the clock and the activity log. The operations live
// in vault_ops.cc, key_ops.cc, key_crypto_ops.cc, identity_ops.cc and
// storage_ops.cc.
#include "sandbox/sandbox_cloud.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "base/duration.h"
#include "sandbox/sandbox_util.h"

namespace cmk {
namespace {

constexpr const char* kMetaTenant = "tenant_id";
constexpr const char* kMetaClock = "clock";

std::optional<int64_t> ParseInt64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

Result<std::unique_ptr<SandboxCloud>> SandboxCloud::Open(const std::string& dir,
                                                         SandboxOptions options) {
  if (options.dns_suffix.empty()) return InvalidArgument("sandbox: empty vault DNS suffix");
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxStore> store, SandboxStore::Open(dir));
  std::unique_ptr<SandboxCloud> cloud(new SandboxCloud(std::move(store), std::move(options)));
  SandboxCloud* c = cloud.get();
  CMK_RETURN_IF_ERROR(c->InTransaction([c]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<std::string> tenant, c->store_->GetMeta(kMetaTenant));
    if (tenant) {
      c->tenant_id_ = *tenant;
      return Status::Ok();
    }
    // A fixed tenant, like other local emulators' fixed account keys: two
    // fresh sandboxes answer alike.
    c->tenant_id_ = DeterministicGuid("cmkctl-sandbox-tenant");
    CMK_RETURN_IF_ERROR(c->store_->SetMeta(kMetaTenant, c->tenant_id_));
    return c->Record("sandbox.create", "tenant/" + c->tenant_id_, "sandbox created");
  }));
  return cloud;
}

Result<std::string> SandboxCloud::NewGuid(const std::string& purpose) {
  CMK_ASSIGN_OR_RETURN(std::optional<std::string> counter, store_->GetMeta("id_counter"));
  int64_t n = 0;
  if (counter) {
    if (auto v = ParseInt64(*counter)) n = *v;
  }
  CMK_RETURN_IF_ERROR(store_->SetMeta("id_counter", std::to_string(n + 1)));
  return DeterministicGuid(tenant_id_ + "|" + purpose + "|" + std::to_string(n));
}

Result<std::string> SandboxCloud::NewVersionId(const std::string& purpose) {
  CMK_ASSIGN_OR_RETURN(std::string guid, NewGuid(purpose));
  std::string hex;
  for (char c : guid)
    if (c != '-') hex += c;
  return hex;
}

int64_t SandboxCloud::Now() const {
  auto clock = store_->GetMeta(kMetaClock);
  if (clock.ok() && clock->has_value()) {
    if (auto v = ParseInt64(**clock)) return *v;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

Result<bool> SandboxCloud::ClockIsSimulated() const {
  CMK_ASSIGN_OR_RETURN(std::optional<std::string> clock, store_->GetMeta(kMetaClock));
  return clock.has_value();
}

Status SandboxCloud::SetClock(int64_t unix_seconds) {
  if (unix_seconds < 0) return InvalidArgument("sandbox clock cannot be set before 1970");
  return InTransaction([&]() -> Status {
    CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(unix_seconds)));
    return Record("clock.set", "clock", "simulated clock set to " + FormatRfc3339(unix_seconds));
  });
}

Status SandboxCloud::AdvanceClock(int64_t seconds) {
  if (seconds < 0) return InvalidArgument("sandbox clock cannot move backwards");
  return InTransaction([&]() -> Status {
    int64_t t = Now() + seconds;
    CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(t)));
    return Record("clock.advance", "clock",
                  "simulated clock advanced by " + std::to_string(seconds) + "s to " +
                      FormatRfc3339(t));
  });
}

Status SandboxCloud::UseRealClock() {
  return InTransaction([&]() -> Status {
    CMK_RETURN_IF_ERROR(store_->DeleteMeta(kMetaClock));
    return Record("clock.real", "clock", "back to real time");
  });
}

Result<std::vector<SandboxEvent>> SandboxCloud::ListEvents() { return store_->ListEvents(); }

Status SandboxCloud::Record(const std::string& kind, const std::string& object,
                            const std::string& message) {
  SandboxEvent e;
  e.time = Now();
  e.kind = kind;
  e.object = object;
  e.message = message;
  return store_->AppendEvent(e);
}

}  // namespace cmk
