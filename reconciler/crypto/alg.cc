// Key Vault wrap algorithm names.
#include "crypto/crypto.h"

namespace cmk {
namespace {

struct AlgName {
  WrapAlg alg;
  const char* name;
};

constexpr AlgName kAlgNames[] = {
    {WrapAlg::kRsaOaep, "RSA-OAEP"},   {WrapAlg::kRsaOaep256, "RSA-OAEP-256"},
    {WrapAlg::kRsa15, "RSA1_5"},       {WrapAlg::kA128Kw, "A128KW"},
    {WrapAlg::kA192Kw, "A192KW"},      {WrapAlg::kA256Kw, "A256KW"},
    {WrapAlg::kAesKwp, "CKM_AES_KEY_WRAP_PAD"},
};

}  // namespace

Result<WrapAlg> WrapAlgFromName(const std::string& name) {
  for (const AlgName& a : kAlgNames) {
    if (name == a.name) return a.alg;
  }
  if (name == "CKM_AES_KEY_WRAP") {
    return InvalidArgument(
        "wrap algorithm CKM_AES_KEY_WRAP is not supported: use A128KW, A192KW or A256KW "
        "matching the key size");
  }
  return InvalidArgument("unknown wrap algorithm '" + name +
                         "' (expected RSA-OAEP, RSA-OAEP-256, RSA1_5, A128KW, A192KW, A256KW "
                         "or CKM_AES_KEY_WRAP_PAD)");
}

const char* WrapAlgName(WrapAlg alg) {
  for (const AlgName& a : kAlgNames) {
    if (a.alg == alg) return a.name;
  }
  return "unknown";
}

bool IsRsaAlg(WrapAlg alg) {
  return alg == WrapAlg::kRsaOaep || alg == WrapAlg::kRsaOaep256 || alg == WrapAlg::kRsa15;
}

}  // namespace cmk
