// RotationPolicy and Key specs.
#include <algorithm>
#include <set>

#include "base/duration.h"
#include "manifest/spec_parsers.h"

namespace cmk {
namespace {

constexpr int64_t kDay = 86400;

struct Trigger {
  const char* key;
  std::optional<std::string>* out;
  std::optional<IsoDuration> parsed;
};

bool IsRsa(const std::string& kty) { return kty == "RSA" || kty == "RSA-HSM"; }
bool IsEc(const std::string& kty) { return kty == "EC" || kty == "EC-HSM"; }

void ReadTimestamp(SpecReader& r, const char* key, std::optional<int64_t>& out) {
  auto text = r.String(key);
  if (!text) return;
  auto t = ParseRfc3339(*text);
  if (!t.ok()) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": " + t.status().message());
    return;
  }
  // A key's dates are instants a vault accepts: 1970 to 9999 (Key Vault's
  // exp and nbf are Unix seconds; year 0000 is a typo, not a date).
  constexpr int64_t kYear10000 = 253402300800;  // 10000-01-01T00:00:00Z
  if (*t < 0 || *t >= kYear10000) {
    r.ctx().Error(r.ValueLoc(key), r.Path(key) + ": " + *text +
                                       " is outside the range a vault accepts (1970 to 9999)");
    return;
  }
  out = *t;
}

}  // namespace

void ParsePolicySpec(const SpecInput& in, PolicySpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx,
               {"rotateAfterCreate", "rotateBeforeExpiry", "notifyBeforeExpiry", "expiryTime"});
  RotationPolicyState& p = out.state;
  Trigger fields[] = {{"rotateAfterCreate", &p.rotate_after_create, {}},
                      {"rotateBeforeExpiry", &p.rotate_before_expiry, {}},
                      {"notifyBeforeExpiry", &p.notify_before_expiry, {}},
                      {"expiryTime", &p.expiry_time, {}}};
  for (Trigger& f : fields) {
    auto text = r.String(f.key);
    if (!text) continue;
    auto d = ParseIsoDuration(*text);
    if (!d.ok()) {
      in.ctx.Error(r.ValueLoc(f.key), r.Path(f.key) + ": " + d.status().message());
      continue;
    }
    f.parsed = *d;
    *f.out = d->text;
  }
  r.Finish();
  Trigger& after = fields[0];
  Trigger& rotate_before = fields[1];
  Trigger& notify_before = fields[2];
  Trigger& expiry = fields[3];
  bool any_written = r.Find("rotateAfterCreate") || r.Find("rotateBeforeExpiry") ||
                     r.Find("notifyBeforeExpiry");
  if (!any_written) {
    in.ctx.Error(in.loc,
                 "a rotation policy needs at least one action (rotateAfterCreate, "
                 "rotateBeforeExpiry or notifyBeforeExpiry)");
  }
  if (r.Find("rotateAfterCreate") && r.Find("rotateBeforeExpiry")) {
    in.ctx.Error(r.KeyLoc("rotateBeforeExpiry"),
                 "rotateAfterCreate and rotateBeforeExpiry are exclusive: a key rotates on one "
                 "trigger");
  }
  for (Trigger* t : {&after, &rotate_before}) {
    if (t->parsed && ApproxSeconds(*t->parsed) < 7 * kDay) {
      in.ctx.Error(r.ValueLoc(t->key), std::string(t->key) + " " + t->parsed->text +
                                           " is shorter than the Key Vault minimum of P7D");
    }
  }
  if (expiry.parsed && ApproxSeconds(*expiry.parsed) < 28 * kDay) {
    in.ctx.Error(r.ValueLoc("expiryTime"), "expiryTime " + expiry.parsed->text +
                                               " is shorter than the Key Vault minimum of P28D");
  }
  for (Trigger* t : {&rotate_before, &notify_before}) {
    if (!r.Find(t->key)) continue;
    if (!r.Find("expiryTime")) {
      in.ctx.Error(r.KeyLoc(t->key), std::string(t->key) +
                                         " is a before-expiry trigger and needs expiryTime");
    } else if (t->parsed && expiry.parsed &&
               ApproxSeconds(*t->parsed) >= ApproxSeconds(*expiry.parsed)) {
      in.ctx.Error(r.ValueLoc(t->key), std::string(t->key) + " " + t->parsed->text +
                                           " must be shorter than expiryTime " +
                                           expiry.parsed->text);
    }
  }
  if (after.parsed && expiry.parsed &&
      ApproxSeconds(*after.parsed) >= ApproxSeconds(*expiry.parsed)) {
    in.ctx.Warning(r.ValueLoc("rotateAfterCreate"),
                   "versions expire (expiryTime " + expiry.parsed->text +
                       ") before they rotate (rotateAfterCreate " + after.parsed->text + ")");
  }
}

// spec.rotation: {policy, generation, retire: {adoptionWindow, maxEnabledVersions, action}}.
static void ParseRotationSpec(const YamlNode& node, SourceLoc loc, const DocContext& ctx, KeySpec& out) {
  struct {
    const DocContext& ctx;
  } in{ctx};
  SpecReader r(node, "spec.rotation", loc, ctx, {"policy", "generation", "retire"});
  if (auto v = r.String("policy")) {
    if (out.rotation_policy.set())
      ctx.Error(r.KeyLoc("policy"),
                "spec.rotation.policy and spec.rotationPolicy name the same thing: keep one");
    out.rotation_policy = {*v, r.ValueLoc("policy")};
  }
  if (auto g = r.Int("generation")) {
    if (*g < 0)
      in.ctx.Error(r.ValueLoc("generation"), "spec.rotation.generation must be 0 or more");
    else
      out.state.rotation_generation = *g;
  }
  if (const YamlNode* node = r.Map("retire")) {
    SpecReader rr(*node, "spec.rotation.retire", r.KeyLoc("retire"), in.ctx,
                  {"adoptionWindow", "maxEnabledVersions", "action"});
    RetireSpec retire;
    if (auto w = rr.String("adoptionWindow")) {
      auto d = ParseIsoDuration(*w);
      if (!d.ok())
        in.ctx.Error(rr.ValueLoc("adoptionWindow"),
                     rr.Path("adoptionWindow") + ": " + d.status().message());
      else
        retire.adoption_window = d->text;
    }
    if (auto m = rr.Int("maxEnabledVersions")) {
      if (*m < 1)
        in.ctx.Error(rr.ValueLoc("maxEnabledVersions"),
                     "spec.rotation.retire.maxEnabledVersions must be 1 or more");
      else
        retire.max_enabled_versions = static_cast<int>(*m);
    }
    if (auto a = rr.String("action")) {
      if (CheckOneOf(*a, {"disable", "expire"}, rr.Path("action"), rr.ValueLoc("action"), in.ctx))
        retire.action = *a;
    }
    rr.Finish();
    out.state.retire = retire;
  }
  r.Finish();
}

void ParseKeySpec(const SpecInput& in, KeySpec& out) {
  SpecReader r(in.node, "spec", in.loc, in.ctx,
               {"vault", "type", "size", "curve", "operations", "enabled", "expiry", "notBefore",
                "rotationPolicy", "rotation", "tags"});
  KeyState& k = out.state;
  k.name = in.name;
  if (auto v = r.String("vault", true)) out.vault = {*v, r.ValueLoc("vault")};
  if (auto v = r.String("rotationPolicy")) out.rotation_policy = {*v, r.ValueLoc("rotationPolicy")};
  if (const YamlNode* rot = r.Map("rotation")) ParseRotationSpec(*rot, r.KeyLoc("rotation"), in.ctx, out);
  out.type_loc = r.ValueLoc("type");
  auto type = r.String("type", true);
  if (type && CheckOneOf(*type, {"RSA", "RSA-HSM", "EC", "EC-HSM", "oct-HSM"}, r.Path("type"),
                         out.type_loc, in.ctx)) {
    k.kty = *type;
  }
  auto size = r.Int("size");
  if (!k.kty.empty()) {
    if (IsEc(k.kty)) {
      if (r.Find("size"))
        in.ctx.Error(r.KeyLoc("size"), "size is not allowed for " + k.kty +
                                           " keys: an EC key's strength is its curve");
      k.curve = "P-256";
      if (auto c = r.String("curve")) {
        if (CheckOneOf(*c, {"P-256", "P-384", "P-521"}, r.Path("curve"), r.ValueLoc("curve"),
                       in.ctx))
          k.curve = *c;
      }
    } else {
      if (r.Find("curve"))
        in.ctx.Error(r.KeyLoc("curve"), "curve is not allowed for " + k.kty + " keys (EC only)");
      bool rsa = IsRsa(k.kty);
      k.key_size = rsa ? 2048 : 256;
      if (size) {
        std::set<int64_t> allowed = rsa ? std::set<int64_t>{2048, 3072, 4096}
                                        : std::set<int64_t>{128, 192, 256};
        if (allowed.count(*size)) {
          k.key_size = static_cast<int>(*size);
        } else {
          in.ctx.Error(r.ValueLoc("size"),
                       "size " + std::to_string(*size) +
                           (rsa ? " is not an RSA key size (2048, 3072, 4096)"
                                : " is not an oct-HSM key size (128, 192, 256)"));
        }
      }
    }
  }
  static const std::vector<std::string> kOps = {"encrypt", "decrypt", "sign",   "verify",
                                                "wrapKey", "unwrapKey", "import", "export"};
  if (IsEc(k.kty)) {
    k.key_ops = {"sign", "verify"};
  } else {
    k.key_ops = {"unwrapKey", "wrapKey"};
  }
  if (auto ops = r.StringList("operations")) {
    const YamlNode* n = r.Find("operations");
    std::set<std::string> seen;
    bool ok = true;
    for (size_t i = 0; i < ops->size(); ++i) {
      const std::string& op = (*ops)[i];
      SourceLoc loc = in.ctx.Loc(n->items[i]);
      std::string path = r.Path("operations") + "[" + std::to_string(i) + "]";
      if (!CheckOneOf(op, kOps, path, loc, in.ctx)) {
        ok = false;
      } else if (!seen.insert(op).second) {
        in.ctx.Error(loc, "operation '" + op + "' is listed twice");
        ok = false;
      } else if (IsEc(k.kty) && op != "sign" && op != "verify" && op != "import" &&
                 op != "export") {
        in.ctx.Error(loc, "operation '" + op + "' is not possible with an EC key (sign, verify)");
        ok = false;
      } else if (k.kty == "oct-HSM" && (op == "sign" || op == "verify")) {
        in.ctx.Error(loc, "operation '" + op + "' is not possible with an oct-HSM key");
        ok = false;
      }
    }
    if (ops->empty()) {
      in.ctx.Error(r.ValueLoc("operations"), "operations must not be empty");
      ok = false;
    }
    if (ok) k.key_ops.assign(seen.begin(), seen.end());
  }
  if (auto b = r.Bool("enabled")) k.enabled = *b;
  ReadTimestamp(r, "expiry", k.expires);
  ReadTimestamp(r, "notBefore", k.not_before);
  if (k.expires && k.not_before && *k.not_before >= *k.expires) {
    in.ctx.Error(r.ValueLoc("notBefore"), "notBefore " + FormatRfc3339(*k.not_before) +
                                              " is not before expiry " +
                                              FormatRfc3339(*k.expires));
  }
  ReadTags(r, out.own_tags);
  r.Finish();
}

}  // namespace cmk
