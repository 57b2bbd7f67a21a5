// SandboxCloud: opening, reading the clock, generated ids and the activity
// log. The operations live in vault_ops.cc, key_ops.cc, key_crypto_ops.cc,
// identity_ops.cc and consumer_ops.cc; moving the clock (and what happens as
// time passes) in time_ops.cc; consumer accessibility, adoption and release
// in consumer_access_ops.cc.
#include "sandbox/sandbox_cloud.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <thread>

#include "base/duration.h"
#include "sandbox/sandbox_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

constexpr const char* kMetaTenant = "tenant_id";

std::optional<int64_t> ParseInt64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

SandboxCloud::SandboxCloud(std::unique_ptr<SandboxStore> store, SandboxOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  unsigned threads = options_.material_threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  pool_ = std::make_unique<MaterialPool>(threads);
  store_->SetObserver(this);
}

SandboxCloud::~SandboxCloud() {
  if (!options_.finish_material_on_close) pool_->DropQueued();
  // Best effort: material not stored here is made on the version's first
  // use, as if it had never been made ahead; nothing used it yet.
  (void)StoreMadeMaterial(options_.finish_material_on_close);
  pool_.reset();  // stops the workers before the store goes
  store_->SetObserver(nullptr);
}

Result<std::unique_ptr<SandboxCloud>> SandboxCloud::Open(const std::string& dir,
                                                         SandboxOptions options) {
  if (options.dns_suffix.empty()) return InvalidArgument("sandbox: empty vault DNS suffix");
  CMK_ASSIGN_OR_RETURN(std::unique_ptr<SandboxStore> store,
                       SandboxStore::Open(dir, options.busy_timeout_ms));
  std::unique_ptr<SandboxCloud> cloud(new SandboxCloud(std::move(store), std::move(options)));
  SandboxCloud* c = cloud.get();
  CMK_RETURN_IF_ERROR(c->InReadTransaction([c]() -> Status {
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

Status SandboxCloud::CopyTo(const std::string& dir) { return store_->CopyTo(dir); }

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

Result<std::vector<SandboxEvent>> SandboxCloud::ListEvents() { return store_->ListEvents(); }

Result<std::vector<SandboxEvent>> SandboxCloud::ListEvents(const EventFilter& filter) {
  CMK_ASSIGN_OR_RETURN(std::vector<SandboxEvent> all, store_->ListEvents());
  auto kind_matches = [&](const std::string& kind) {
    if (filter.kinds.empty()) return true;
    for (const auto& k : filter.kinds) {
      if (kind == k) return true;
      if (kind.size() > k.size() && kind.compare(0, k.size(), k) == 0 && kind[k.size()] == '.')
        return true;
    }
    return false;
  };
  std::vector<SandboxEvent> out;
  for (auto& e : all)
    if (e.time >= filter.since && e.seq > filter.after_seq && kind_matches(e.kind))
      out.push_back(std::move(e));
  return out;
}

void SandboxCloud::RowChanged(StoreTable table, const std::string& key, const Json* before,
                              const Json* after) {
  auto touch = [this](const std::string& topic) {
    access_.Touch(topic);
    timeline_.Touch(topic);
  };
  switch (table) {
    case StoreTable::kVaults: touch("vault:" + key); break;
    case StoreTable::kKeys: touch("key:" + key); break;
    case StoreTable::kKeyVersions: {
      loaded_.erase(key);
      touch("version:" + key);
      touch("versions:" + key.substr(0, key.rfind('/')));  // "<vault>/<key>"
      break;
    }
    case StoreTable::kIdentities: touch("identity:" + key); break;
    case StoreTable::kRoleAssignments:
      // Whoever gained or lost a grant.
      for (const Json* doc : {before, after})
        if (doc) touch("principal:" + Lower(DocString(*doc, "principalId")));
      break;
    case StoreTable::kConsumers: touch("consumer:" + key); break;
    case StoreTable::kPrincipals: break;  // directory entries grant nothing by themselves
  }
}

void SandboxCloud::Reset() {
  loaded_.clear();
  access_.Reset();
  timeline_.Reset();
  due_.clear();
  due_of_.clear();
}

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
