// SandboxCloud: ImportKey (Key Vault's PUT /keys/{name}). Turns a private
// JSON Web Key into key material and adds it as a new version, with
// CreateKey's rules (AddKeyVersion). Error messages name JWK members, never
// their values; copies of the private members made here are cleansed.
#include "crypto/crypto.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"

namespace cmk {
namespace {


// A member that must be a non-empty string.
Status RequireString(const Json& jwk, const char* member) {
  auto it = jwk.find(member);
  if (it == jwk.end())
    return BadParameter(std::string("The JSON Web Key is missing the member '") + member + "'.");
  if (!it->is_string() || it->get_ref<const std::string&>().empty())
    return BadParameter(std::string("The JSON Web Key member '") + member +
                  "' must be a non-empty base64url string.");
  return Status::Ok();
}

struct ImportedMaterial {
  std::string kty;  // as stored: RSA | RSA-HSM | oct-HSM
  int size = 0;     // bits
  PrivateKey key;
};

Result<ImportedMaterial> RsaMaterial(const Json& jwk, bool hsm) {
  static constexpr const char* kMembers[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
  Json only = Json{{"kty", "RSA"}};
  for (const char* m : kMembers) {
    CMK_RETURN_IF_ERROR(RequireString(jwk, m));
    only[m] = jwk[m];
  }
  std::string text = only.dump();
  for (auto& [name, value] : only.items())
    if (value.is_string()) CleanseString(value.get_ref<std::string&>());
  Result<PrivateKey> key = RsaPrivateFromJwk(text);
  CleanseString(text);
  if (!key.ok())
    return BadParameter("The JSON Web Key is not a valid RSA private key: " + key.status().message() +
                  ".");
  auto n = Base64UrlDecode(jwk["n"].get<std::string>());
  if (!n.ok()) return BadParameter("The JSON Web Key member 'n' is not valid base64url.");
  ImportedMaterial out;
  out.kty = hsm ? "RSA-HSM" : "RSA";
  out.size = static_cast<int>(n->size() * 8);
  out.key = std::move(key).value();
  return out;
}

Result<ImportedMaterial> OctMaterial(const Json& jwk, bool hsm) {
  if (!hsm)
    return BadParameter("Symmetric (oct) keys can be imported only into an HSM: use kty 'oct-HSM' or "
                  "set 'Hsm' to true.");
  CMK_RETURN_IF_ERROR(RequireString(jwk, "k"));
  Result<Bytes> k = Base64UrlDecode(jwk["k"].get<std::string>());
  if (!k.ok()) return BadParameter("The JSON Web Key member 'k' is not valid base64url.");
  ImportedMaterial out;
  out.kty = "oct-HSM";
  out.size = static_cast<int>(k->size() * 8);
  out.key.kty = "oct";
  out.key.material = SecureBytes(std::move(*k));
  return out;
}

}  // namespace

Result<KeyState> SandboxCloud::ImportKey(const KeyState& desired, const Json& jwk, bool hsm) {
  if (!jwk.is_object())
    return BadParameter("The parameter 'key' is required and must be a JSON Web Key object.");
  CMK_RETURN_IF_ERROR(RequireString(jwk, "kty"));
  const std::string kty = jwk["kty"].get<std::string>();
  const bool hsm_kty = kty.size() > 4 && kty.compare(kty.size() - 4, 4, "-HSM") == 0;
  ImportedMaterial material;
  if (kty == "RSA" || kty == "RSA-HSM") {
    CMK_ASSIGN_OR_RETURN(material, RsaMaterial(jwk, hsm || hsm_kty));
  } else if (kty == "oct" || kty == "oct-HSM") {
    CMK_ASSIGN_OR_RETURN(material, OctMaterial(jwk, hsm || hsm_kty));
  } else {
    return BadParameter("The JSON Web Key type '" + kty +
                  "' cannot be imported into the sandbox: RSA, RSA-HSM or oct-HSM only.");
  }
  KeyState k = desired;
  k.kty = material.kty;
  k.key_size = material.size;
  k.curve.clear();
  return AddKeyVersion(k, &material.key);
}

}  // namespace cmk
