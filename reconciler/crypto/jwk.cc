// JWK JSON: parsing (public members, RSA private import), canonical output
// and RFC 7638 thumbprints. The only file of the crypto core that uses
// nlohmann_json; its exceptions stop here.
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include <map>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

using Json = nlohmann::json;  // std::map-backed: keys come out sorted

// "RSA-HSM" -> "RSA", "EC-HSM" -> "EC", "oct-HSM" -> "oct".
std::string BaseKty(const std::string& kty) {
  const std::string suffix = "-HSM";
  if (kty.size() > suffix.size() && kty.compare(kty.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return kty.substr(0, kty.size() - suffix.size());
  }
  return kty;
}

Result<Json> ParseObject(const std::string& json_text) {
  try {
    Json j = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InvalidArgument("JWK: not valid JSON");
    if (!j.is_object()) return InvalidArgument("JWK: not a JSON object");
    return j;
  } catch (const std::exception&) {
    return InvalidArgument("JWK: not valid JSON");
  }
}

// A required string member. Error messages name the member, never its value.
Result<std::string> StringMember(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return InvalidArgument(std::string("JWK: missing member '") + name + "'");
  if (!it->is_string()) return InvalidArgument(std::string("JWK: member '") + name + "' is not a string");
  return it->get<std::string>();
}

}  // namespace

Result<PublicJwk> ParsePublicJwk(const std::string& json_text) {
  CMK_ASSIGN_OR_RETURN(Json j, ParseObject(json_text));
  CMK_ASSIGN_OR_RETURN(std::string kty, StringMember(j, "kty"));
  PublicJwk jwk;
  jwk.kty = BaseKty(kty);
  if (jwk.kty == "RSA") {
    CMK_ASSIGN_OR_RETURN(jwk.n, StringMember(j, "n"));
    CMK_ASSIGN_OR_RETURN(jwk.e, StringMember(j, "e"));
  } else if (jwk.kty == "EC") {
    CMK_ASSIGN_OR_RETURN(jwk.crv, StringMember(j, "crv"));
    CMK_ASSIGN_OR_RETURN(jwk.x, StringMember(j, "x"));
    CMK_ASSIGN_OR_RETURN(jwk.y, StringMember(j, "y"));
  } else if (jwk.kty == "oct") {
    return InvalidArgument("JWK: kty 'oct' has no public key");
  } else {
    return InvalidArgument("JWK: unsupported kty '" + kty + "'");
  }
  // Full validation (sizes, exponent, point on curve) by building the key.
  CMK_ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromPublicJwk(jwk));
  (void)pkey;
  return jwk;
}

std::string PublicJwkToJson(const PublicJwk& jwk) {
  Json j = Json::object();
  std::string kty = BaseKty(jwk.kty);
  j["kty"] = kty;
  if (kty == "RSA") {
    j["n"] = jwk.n;
    j["e"] = jwk.e;
  } else if (kty == "EC") {
    j["crv"] = jwk.crv;
    j["x"] = jwk.x;
    j["y"] = jwk.y;
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<std::string> JwkThumbprint(const PublicJwk& jwk) {
  std::string kty = BaseKty(jwk.kty);
  if (kty == "RSA") {
    if (jwk.n.empty() || jwk.e.empty()) return InvalidArgument("JWK thumbprint: RSA key needs n and e");
  } else if (kty == "EC") {
    if (jwk.crv.empty() || jwk.x.empty() || jwk.y.empty()) {
      return InvalidArgument("JWK thumbprint: EC key needs crv, x and y");
    }
  } else {
    return InvalidArgument("JWK thumbprint: unsupported kty '" + jwk.kty + "'");
  }
  return Base64UrlEncode(Sha256(PublicJwkToJson(jwk)));
}

Result<PrivateKey> RsaPrivateFromJwk(const std::string& json_text) {
  CMK_ASSIGN_OR_RETURN(Json j, ParseObject(json_text));
  CMK_ASSIGN_OR_RETURN(std::string kty, StringMember(j, "kty"));
  if (BaseKty(kty) != "RSA") return InvalidArgument("JWK: expected kty RSA, got '" + kty + "'");
  std::map<std::string, std::string> members;
  for (const char* name : {"n", "e", "d", "p", "q", "dp", "dq", "qi"}) {
    CMK_ASSIGN_OR_RETURN(members[name], StringMember(j, name));
  }
  Result<PrivateKey> key = internal::RsaPrivateFromMembers(members);
  for (auto& [name, value] : members) OPENSSL_cleanse(value.data(), value.size());
  for (auto& [name, value] : j.items()) {
    if (value.is_string()) {
      std::string& s = value.get_ref<std::string&>();
      OPENSSL_cleanse(s.data(), s.size());
    }
  }
  return key;
}

}  // namespace cmk
