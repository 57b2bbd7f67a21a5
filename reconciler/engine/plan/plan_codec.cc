// The only place plan JSON is written and parsed (docs/plan-format.md).
#include "engine/plan/plan_codec.h"

#include <array>
#include <utility>

#include "base/strings.h"
#include "model/codec.h"
#include "model/key_id.h"

namespace cmk {

// Field lists of the engine's own request and live-object types (the
// provider requests describe themselves in model/requests.h). In namespace
// cmk so that argument-dependent lookup finds them from the codec.
template <typename F, DescribesAs<RotateToGeneration> T>
void Describe(F& f, T& v) {
  f("vault", v.key.vault);
  f("key", v.key.name);
  f("generation", v.generation);
}
template <typename F, DescribesAs<ConsumerAccount> T>
void Describe(F& f, T& v) {
  DescribeConsumer(f, v.consumer);
}
template <typename F, DescribesAs<RetireVersion> T>
void Describe(F& f, T& v) {
  f("vault", v.key.vault);
  f("key", v.key.name);
  f("version", v.version);
  f("retire", v.action);
  f("consumers", v.consumers);
  f("canaryVersions", v.canary_versions);
}
template <typename F, DescribesAs<PrincipalLookup> T>
void Describe(F& f, T& v) {
  f("identity", v.identity, Emit::kIfSet);
  f("consumer", v.consumer, Emit::kIfSet);
}
template <typename F, DescribesAs<GrantRole> T>
void Describe(F& f, T& v) {
  Describe(f, v.assignment);
  f("resolvePrincipal", v.principal, Emit::kIfSet);
}
template <typename F, DescribesAs<KeyPolicy> T>
void Describe(F& f, T& v) {
  f("vault", v.key.vault);
  f("key", v.key.name);
  f("policy", v.policy);
}
template <typename F, DescribesAs<KeyNewest> T>
void Describe(F& f, T& v) {
  f("vault", v.key.vault);
  f("key", v.key.name);
  f("newest", v.newest);
}
template <typename F, DescribesAs<ConsumerEncryption> T>
void Describe(F& f, T& v) {
  DescribeConsumer(f, v.consumer);
  f("encryption", v.encryption);
}
template <typename F, DescribesAs<FieldChange> T>
void Describe(F& f, T& v) {
  f("path", v.path);
  f("before", v.before, Emit::kAlways);
  f("after", v.after, Emit::kAlways);
}
template <typename F, DescribesAs<PlanMessage> T>
void Describe(F& f, T& v) {
  f("severity", v.severity);
  f("address", v.address);
  f("message", v.message);
  f("source", v.source);
  f("rule", v.rule, Emit::kIfSet);
}
template <typename F, DescribesAs<SourceLoc> T>
void Describe(F& f, T& v) {
  f("file", v.file);
  f("line", v.line);
  f("col", v.col);
}
template <typename F, DescribesAs<PolicyFinding> T>
void Describe(F& f, T& v) {
  f("rule", v.rule);
  f("policy", v.policy);
  f("severity", v.severity);
  f("state", v.state);
  f("address", v.address);
  f("message", v.message);
  f("source", v.loc);
  f("ruleSource", v.rule_loc);
}
template <typename F, DescribesAs<HookSpec> T>
void Describe(F& f, T& h) {
  f("name", h.name);
  f("phase", h.phase);
  f("kinds", h.kinds);
  f("names", h.names);
  f("actions", h.actions);
  f("script", h.script);
  f("rollback_script", h.rollback_script);
  f("timeout_seconds", h.timeout_seconds);
  f("on_failure", h.on_failure);
  f("env", h.env);
  f("script_sha256", h.script_sha256);
  f("rollback_script_sha256", h.rollback_script_sha256);
}
template <typename F, DescribesAs<TargetInfo> T>
void Describe(F& f, T& t) {
  f("kind", t.kind);
  f("location", t.location);
}
template <typename F, DescribesAs<PlanSummary> T>
void Describe(F& f, T& s) {
  f("create", s.create);
  f("update", s.update);
  f("replace", s.replace);
  f("delete", s.del);
  f("no_op", s.no_op);
  f("rotate", s.rotate);
  f("repin", s.repin);
  f("disable_version", s.disable_version);
  f("recover", s.recover);
}

namespace {

// The `op` of each Request alternative, in the variant's order.
constexpr std::array<const char*, std::variant_size_v<Request>> kOps = {
    "put-vault",           "delete-vault",          "create-key",
    "update-key",          "delete-key",            "put-rotation-policy",
    "rotate-key",          "retire-version",        "put-identity",
    "delete-identity",     "put-role-assignment",   "delete-role-assignment",
    "enable-system-identity", "update-consumer-encryption", "recover-vault", "recover-key"};

// The request alternative named `op`, decoded from `j` (its members).
template <size_t I = 0>
bool DecodeRequest(const std::string& op, const Json& j, Request& out, JsonDecoder& d,
                   const std::string& path) {
  if constexpr (I == std::variant_size_v<Request>) {
    d.Error(path + ".op", "unknown request op '" + op + "'");
    return false;
  } else {
    if (op != kOps[I]) return DecodeRequest<I + 1>(op, j, out, d, path);
    std::variant_alternative_t<I, Request> r{};
    if (!d.Decode(j, r, path)) return false;
    out = std::move(r);
    return true;
  }
}

// Which live object a change's `before` is, from its request.
LiveObject EmptyBeforeFor(const Request& request) {
  return std::visit(
      [](const auto& r) -> LiveObject {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, PutVault> || std::is_same_v<R, DeleteVault>) return VaultState{};
        else if constexpr (std::is_same_v<R, CreateKey> || std::is_same_v<R, UpdateKey> ||
                           std::is_same_v<R, DeleteKey>)
          return KeyState{};
        else if constexpr (std::is_same_v<R, PutRotationPolicy>) return KeyPolicy{};
        else if constexpr (std::is_same_v<R, RotateToGeneration>) return KeyNewest{};
        else if constexpr (std::is_same_v<R, RetireVersion>) return KeyVersionState{};
        else if constexpr (std::is_same_v<R, PutIdentity> || std::is_same_v<R, DeleteIdentity>)
          return IdentityState{};
        else if constexpr (std::is_same_v<R, GrantRole> || std::is_same_v<R, DeleteRoleAssignment>)
          return RoleAssignmentState{};
        else if constexpr (std::is_same_v<R, UpdateConsumerEncryption>) return ConsumerEncryption{};
        else return std::monostate{};
      },
      request);
}

// `request`: {"op": ..., members}.
template <typename R>  // Request or const Request
struct RequestField {
  R& request;
  Json ToJson() const {
    Json j = RequestPayload(request);
    j["op"] = RequestOp(request);
    return j;
  }
  bool FromJson(const Json& j, JsonDecoder& d, const std::string& path) const {
    if (!j.is_object() || !j.contains("op") || !j["op"].is_string()) {
      d.Error(path + ".op", "missing");
      return false;
    }
    return DecodeRequest(j["op"].get<std::string>(), j, request, d, path);
  }
};

// `before`: the live object's members, or null. Its type follows from the
// request, which is read first.
template <typename L, typename R>
struct BeforeField {
  L& before;
  R& request;
  Json ToJson() const { return LiveObjectJson(before); }
  bool FromJson(const Json& j, JsonDecoder& d, const std::string& path) const {
    before = std::monostate{};
    if (j.is_null()) return true;
    LiveObject typed = EmptyBeforeFor(request);
    bool ok = std::visit(
        [&](auto& object) {
          if constexpr (std::is_same_v<std::decay_t<decltype(object)>, std::monostate>) {
            d.Error(path, "this request has no live object before it");
            return false;
          } else {
            return d.Decode(j, object, path);
          }
        },
        typed);
    if (ok) before = std::move(typed);
    return ok;
  }
};

// An enum written by name.
template <typename E>
struct EnumField {
  E& value;
  const char* (*name)(std::remove_const_t<E>);
  std::optional<std::remove_const_t<E>> (*parse)(const std::string&);
  Json ToJson() const { return name(value); }
  bool FromJson(const Json& j, JsonDecoder& d, const std::string& path) const {
    auto v = j.is_string() ? parse(j.get<std::string>()) : std::nullopt;
    if (!v) {
      d.Error(path, "unknown value " + j.dump());
      return false;
    }
    value = *v;
    return true;
  }
};

template <typename E, typename N, typename P>
EnumField<E> Enum(E& value, N name, P parse) {
  return EnumField<E>{value, name, parse};
}

const char* KindNameOf(Kind k) { return KindName(k); }
std::optional<Kind> KindFrom(const std::string& s) { return KindFromName(s); }

}  // namespace

template <typename F, DescribesAs<WithheldChange> T>
void Describe(F& f, T& v) {
  f("address", v.address);
  f("action", Enum(v.action, ActionName, ActionFromName));
  f("reason", v.reason);
  f("source", v.source);
}
template <typename F, DescribesAs<Change> T>
void Describe(F& f, T& c) {
  f("address", c.address);
  f("kind", Enum(c.kind, KindNameOf, KindFrom));
  f("action", Enum(c.action, ActionName, ActionFromName));
  f("reason", c.reason);
  f("reason_code", Enum(c.reason_code, ChangeReasonName, ChangeReasonFromName));
  f("risk", Enum(c.risk, RiskName, RiskFromName));
  f("owner", c.owner);
  f("source", c.source);
  f("request", RequestField<std::remove_reference_t<decltype((c.request))>>{c.request});
  f("before", BeforeField<std::remove_reference_t<decltype((c.before))>,
                          std::remove_reference_t<decltype((c.request))>>{c.before, c.request});
  f("fields", c.fields);
  f("depends_on", c.depends_on);
  f("hooks", c.hooks);
}

template <typename F, DescribesAs<Plan> T>
void Describe(F& f, T& p) {
  f("format_version", p.format_version);
  f("tool_version", p.tool_version);
  f("target", p.target);
  f("query", p.query);
  f("fingerprints", p.fingerprints);
  f("changes", p.changes);
  f("hooks", p.hooks);
  f("errors", p.errors);
  f("warnings", p.warnings);
  f("unobservable", p.unobservable, Emit::kIfSet);  // only when the read degraded
  f("withheld", p.withheld, Emit::kIfSet);
  f("keys", p.keys, Emit::kIfSet);
  f("policy", p.policy, Emit::kIfSet);  // only when a desired key has live versions
}

const char* RequestOp(const Request& request) { return kOps[request.index()]; }

std::optional<KeyRef> KeyOfRequest(const Request& request) {
  using Key = std::optional<KeyRef>;
  auto from_scope = [](const std::string& scope) -> Key {
    // ".../providers/Microsoft.KeyVault/vaults/V/keys/K"
    std::string lower = Lower(scope);
    size_t vaults = lower.rfind("/vaults/"), keys = lower.rfind("/keys/");
    if (vaults == std::string::npos || keys == std::string::npos || keys < vaults) return std::nullopt;
    std::string vault = scope.substr(vaults + 8, keys - vaults - 8);
    std::string key = scope.substr(keys + 6);
    while (!key.empty() && key.back() == '/') key.pop_back();
    if (vault.empty() || key.empty() || key.find('/') != std::string::npos) return std::nullopt;
    return KeyRef{vault, key};
  };
  return std::visit(
      [&](const auto& r) -> Key {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, CreateKey> || std::is_same_v<T, UpdateKey>)
          return KeyRef{r.key.vault, r.key.name};
        else if constexpr (std::is_same_v<T, DeleteKey> || std::is_same_v<T, PutRotationPolicy> ||
                           std::is_same_v<T, RecoverKey> ||
                           std::is_same_v<T, RotateToGeneration> || std::is_same_v<T, RetireVersion>)
          return r.key;
        else if constexpr (std::is_same_v<T, UpdateConsumerEncryption>)
          return r.encryption.key_name.empty()
                     ? Key()
                     : Key(KeyRef{VaultNameOfUri(r.encryption.key_vault_uri), r.encryption.key_name});
        else if constexpr (std::is_same_v<T, GrantRole>)
          return from_scope(r.assignment.scope);
        else if constexpr (std::is_same_v<T, DeleteRoleAssignment>)
          return from_scope(r.scope);
        else
          return std::nullopt;
      },
      request);
}

Json RequestPayload(const Request& request) {
  return std::visit([](const auto& r) { return EncodeJson(r); }, request);
}

Json LiveObjectJson(const LiveObject& before) {
  return std::visit(
      [](const auto& object) -> Json {
        if constexpr (std::is_same_v<std::decay_t<decltype(object)>, std::monostate>) return Json();
        else return EncodeJson(object);
      },
      before);
}

Json ChangeToJson(const Change& change) { return EncodeJson(change); }

Json PlanToJson(const Plan& plan) {
  Json j = EncodeJson(plan);
  j["summary"] = EncodeJson(plan.Summary());
  return j;
}

std::string PlanToJsonText(const Plan& plan) { return PlanToJson(plan).dump(2) + "\n"; }

Result<Plan> PlanFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("reading saved plan: malformed plan JSON");
  if (!j.is_object()) return InvalidArgument("reading saved plan: plan JSON must be an object");
  const Json& version = JsonMember(j, "format_version");
  if (!version.is_number_integer())
    return InvalidArgument("reading saved plan: plan JSON has no format_version: not a cmkctl plan?");
  if (version.get<int64_t>() != kPlanFormatVersion)
    return InvalidArgument("reading saved plan: plan format_version " + version.dump() +
                           " is not supported by this cmkctl (it reads version " +
                           std::to_string(kPlanFormatVersion) +
                           "); run plan again with this tool and apply that plan");
  std::vector<std::string> errors;
  Plan p = DecodeJson<Plan>(j, &errors);
  for (const auto& c : p.changes)
    for (const auto& name : c.hooks)
      if (p.FindHook(name) == nullptr)
        errors.push_back("changes: " + c.address + " names hook '" + name +
                         "', but the plan does not carry its spec");
  if (!errors.empty()) {
    std::string msg = "reading saved plan: the plan JSON does not match format version " +
                      std::to_string(kPlanFormatVersion) + ": ";
    for (size_t i = 0; i < errors.size() && i < 10; ++i) msg += (i ? "; " : "") + errors[i];
    if (errors.size() > 10) msg += "; and " + std::to_string(errors.size() - 10) + " more";
    return InvalidArgument(msg);
  }
  return p;
}

}  // namespace cmk
