// RSA private keys from JWK members (ImportKey, test vectors).
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "crypto/openssl_util.h"

namespace cmk::internal {

Result<PrivateKey> RsaPrivateFromMembers(const std::map<std::string, std::string>& members) {
  static constexpr std::pair<const char*, const char*> kParams[] = {
      {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
  };
  // Size and exponent rules are the public ones.
  PublicJwk pub{"RSA", members.at("n"), members.at("e"), "", "", ""};
  CMK_ASSIGN_OR_RETURN(PkeyPtr checked_public, PkeyFromPublicJwk(pub));
  (void)checked_public;

  std::vector<BnPtr> values;  // the builder keeps pointers until to_param
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return OpenSslFailure("RSA JWK import: out of memory");
  for (const auto& [member, param] : kParams) {
    CMK_ASSIGN_OR_RETURN(BnPtr bn, JwkUint(member, members.at(member)));
    if (OSSL_PARAM_BLD_push_BN(bld.get(), param, bn.get()) != 1) {
      return OpenSslFailure("RSA JWK import: out of memory");
    }
    values.push_back(std::move(bn));
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslFailure("RSA JWK import: cannot create key context");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("RSA JWK import: OpenSSL rejected the key members");
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("RSA JWK import: the private members do not match the public key");
  }
  PrivateKey key;
  key.kty = "RSA";
  CMK_ASSIGN_OR_RETURN(key.material, PrivatePkcs8Pem(pkey.get()));
  return key;
}

}  // namespace cmk::internal
