// Shared helpers: error translation, curve table, JWK integers.
#include "crypto/openssl_util.h"

#include <openssl/err.h>

namespace cmk::internal {
namespace {

constexpr CurveInfo kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
    {"P-256K", "secp256k1", 32},
};

}  // namespace

Status OpenSslFailure(const std::string& what) {
  ERR_clear_error();
  return Internal(what);
}

const CurveInfo* CurveByCrv(const std::string& crv) {
  for (const CurveInfo& c : kCurves) {
    if (crv == c.crv) return &c;
  }
  return nullptr;
}

const CurveInfo* CurveByGroup(const std::string& group) {
  for (const CurveInfo& c : kCurves) {
    if (group == c.group) return &c;
  }
  // OpenSSL may report the NIST alias.
  if (group == "P-256") return &kCurves[0];
  if (group == "P-384") return &kCurves[1];
  if (group == "P-521") return &kCurves[2];
  return nullptr;
}

Result<BnPtr> JwkUint(const std::string& member, const std::string& value) {
  Result<Bytes> raw = Base64UrlDecode(value);
  if (!raw.ok()) return raw.status().WithContext("JWK member '" + member + "'");
  if (raw->empty()) return InvalidArgument("JWK member '" + member + "' is empty");
  if ((*raw)[0] == 0) {
    return InvalidArgument("JWK member '" + member +
                           "' has a leading zero octet (RFC 7518 requires the minimal encoding)");
  }
  BIGNUM* bn = BN_bin2bn(raw->data(), static_cast<int>(raw->size()), nullptr);
  SecureBytes cleanse(std::move(*raw));  // private members (d, p, ...) pass through here too
  if (bn == nullptr) return OpenSslFailure("JWK member '" + member + "': out of memory");
  return BnPtr(bn);
}

}  // namespace cmk::internal
