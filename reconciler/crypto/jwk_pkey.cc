// Conversions between PublicJwk and OpenSSL keys, with the validation rules
// of RFC 7518 section 6 (see ParsePublicJwk in crypto.h).
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"

namespace cmk::internal {
namespace {

Result<PkeyPtr> PkeyFromParams(const char* type, int selection, OSSL_PARAM_BLD* bld,
                               const std::string& what) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslFailure(what + ": cannot create key context");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(what + ": OpenSSL rejected the key parameters");
  }
  return PkeyPtr(raw);
}

Result<PkeyPtr> RsaPublic(const PublicJwk& jwk) {
  CMK_ASSIGN_OR_RETURN(BnPtr n, JwkUint("n", jwk.n));
  CMK_ASSIGN_OR_RETURN(BnPtr e, JwkUint("e", jwk.e));
  int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return InvalidArgument("JWK: RSA modulus has " + std::to_string(bits) + " bits (allowed " +
                           std::to_string(kMinRsaBits) + ".." + std::to_string(kMaxRsaBits) + ")");
  }
  if (!BN_is_odd(n.get())) return InvalidArgument("JWK: RSA modulus is even");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > 64) {
    return InvalidArgument("JWK: RSA public exponent must be odd, > 1 and at most 64 bits");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return OpenSslFailure("JWK: out of memory");
  }
  return PkeyFromParams("RSA", EVP_PKEY_PUBLIC_KEY, bld.get(), "JWK RSA key");
}

Result<PkeyPtr> EcPublic(const PublicJwk& jwk) {
  const CurveInfo* curve = CurveByCrv(jwk.crv);
  if (curve == nullptr) return InvalidArgument("JWK: unsupported EC curve '" + jwk.crv + "'");
  Result<Bytes> x = Base64UrlDecode(jwk.x);
  if (!x.ok()) return x.status().WithContext("JWK member 'x'");
  Result<Bytes> y = Base64UrlDecode(jwk.y);
  if (!y.ok()) return y.status().WithContext("JWK member 'y'");
  if (x->size() != curve->coord_bytes || y->size() != curve->coord_bytes) {
    return InvalidArgument("JWK: EC x and y must be " + std::to_string(curve->coord_bytes) +
                           " bytes for " + jwk.crv);
  }
  Bytes point = {0x04};  // SEC 1 uncompressed point
  point.insert(point.end(), x->begin(), x->end());
  point.insert(point.end(), y->begin(), y->end());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslFailure("JWK: out of memory");
  }
  Result<PkeyPtr> pkey = PkeyFromParams("EC", EVP_PKEY_PUBLIC_KEY, bld.get(), "JWK EC key");
  if (!pkey.ok()) return InvalidArgument("JWK: EC point is not on curve " + jwk.crv);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("JWK: EC point is not on curve " + jwk.crv);
  }
  return pkey;
}

Result<std::string> UintMember(EVP_PKEY* pkey, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) return OpenSslFailure("cannot read RSA key");
  BnPtr bn(raw);
  Bytes b(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), b.data());
  return Base64UrlEncode(b);
}

Result<std::string> CoordMember(EVP_PKEY* pkey, const char* param, size_t size) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) return OpenSslFailure("cannot read EC key");
  BnPtr bn(raw);
  Bytes b(size);
  if (BN_bn2binpad(bn.get(), b.data(), static_cast<int>(size)) < 0) {
    return OpenSslFailure("EC coordinate larger than the field");
  }
  return Base64UrlEncode(b);
}

}  // namespace

Result<PkeyPtr> PkeyFromPublicJwk(const PublicJwk& jwk) {
  std::string kty = jwk.kty;
  if (kty == "RSA" || kty == "RSA-HSM") return RsaPublic(jwk);
  if (kty == "EC" || kty == "EC-HSM") return EcPublic(jwk);
  return InvalidArgument("JWK: unsupported kty '" + kty + "'");
}

Result<PublicJwk> PublicJwkFromPkey(EVP_PKEY* pkey) {
  PublicJwk jwk;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    jwk.kty = "RSA";
    CMK_ASSIGN_OR_RETURN(jwk.n, UintMember(pkey, OSSL_PKEY_PARAM_RSA_N));
    CMK_ASSIGN_OR_RETURN(jwk.e, UintMember(pkey, OSSL_PKEY_PARAM_RSA_E));
    return jwk;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1) {
      return OpenSslFailure("cannot read the EC key's curve");
    }
    const CurveInfo* curve = CurveByGroup(group);
    if (curve == nullptr) return InvalidArgument(std::string("unsupported EC curve ") + group);
    jwk.kty = "EC";
    jwk.crv = curve->crv;
    CMK_ASSIGN_OR_RETURN(jwk.x, CoordMember(pkey, OSSL_PKEY_PARAM_EC_PUB_X, curve->coord_bytes));
    CMK_ASSIGN_OR_RETURN(jwk.y, CoordMember(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, curve->coord_bytes));
    return jwk;
  }
  return InvalidArgument("key type has no JWK form here (expected RSA or EC)");
}

}  // namespace cmk::internal

namespace cmk {

Result<Bytes> SpkiSha256(const PublicJwk& jwk) {
  CMK_ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromPublicJwk(jwk));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey.get(), &der);
  if (len <= 0) return internal::OpenSslFailure("cannot encode the public key");
  std::string der_text(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return Sha256(der_text);
}

}  // namespace cmk
