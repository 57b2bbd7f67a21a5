#include "sandbox_server/jwt_verify.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

#include "crypto/crypto.h"

namespace cmk {
namespace {

struct JwtPkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct JwtBioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct JwtMdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct JwtEcSigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };
using JwtPkey = std::unique_ptr<EVP_PKEY, JwtPkeyFree>;

enum class JwsFamily { kRsa, kRsaPss, kEcdsa };
struct JwsAlg {
  JwsFamily family;
  const EVP_MD* md;
  size_t ec_half = 0;  // ECDSA: bytes of r (and of s) in the JWS signature
};

std::optional<JwsAlg> JwsAlgOf(const std::string& alg) {
  if (alg == "RS256") return JwsAlg{JwsFamily::kRsa, EVP_sha256()};
  if (alg == "RS384") return JwsAlg{JwsFamily::kRsa, EVP_sha384()};
  if (alg == "RS512") return JwsAlg{JwsFamily::kRsa, EVP_sha512()};
  if (alg == "PS256") return JwsAlg{JwsFamily::kRsaPss, EVP_sha256()};
  if (alg == "PS384") return JwsAlg{JwsFamily::kRsaPss, EVP_sha384()};
  if (alg == "PS512") return JwsAlg{JwsFamily::kRsaPss, EVP_sha512()};
  if (alg == "ES256") return JwsAlg{JwsFamily::kEcdsa, EVP_sha256(), 32};
  if (alg == "ES384") return JwsAlg{JwsFamily::kEcdsa, EVP_sha384(), 48};
  if (alg == "ES512") return JwsAlg{JwsFamily::kEcdsa, EVP_sha512(), 66};
  return std::nullopt;
}

// A registered public key; certificates also carry their thumbprints
// (base64url of the SHA-256 and SHA-1 of their DER).
struct RegisteredKey {
  JwtPkey key;
  std::string x5t_s256, x5t;
};

std::string JwtSha1(const unsigned char* der, long len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(der, static_cast<size_t>(len), md, &n, EVP_sha1(), nullptr) != 1) return "";
  return Base64UrlEncode(Bytes(md, md + n));
}

// Every public key in `pem`: certificates contribute their subject key.
// Blocks of other kinds (a private key pasted by mistake) are skipped.
std::vector<RegisteredKey> RegisteredKeys(const std::string& pem) {
  std::vector<RegisteredKey> keys;
  std::unique_ptr<BIO, JwtBioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return keys;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    const unsigned char* p = data;
    std::string kind = name ? name : "";
    if (kind == "CERTIFICATE") {
      X509* cert = d2i_X509(nullptr, &p, len);
      if (cert) {
        if (EVP_PKEY* k = X509_get_pubkey(cert))
          keys.push_back({JwtPkey(k),
                          Base64UrlEncode(Sha256(std::string(reinterpret_cast<char*>(data),
                                                             static_cast<size_t>(len)))),
                          JwtSha1(data, len)});
        X509_free(cert);
      }
    } else if (kind == "PUBLIC KEY") {
      if (EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, len)) keys.push_back({JwtPkey(k), "", ""});
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return keys;
}

bool KeyFits(EVP_PKEY* key, const JwsAlg& alg) {
  int id = EVP_PKEY_get_base_id(key);
  if (alg.family == JwsFamily::kEcdsa) {
    if (id != EVP_PKEY_EC) return false;
    return static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8) == alg.ec_half;
  }
  return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
}

// JWS ECDSA signatures are r || s, fixed width; OpenSSL verifies DER.
std::optional<Bytes> EcdsaDer(const Bytes& raw, size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, JwtEcSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int n = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (n <= 0) return std::nullopt;
  Bytes der(static_cast<size_t>(n));
  unsigned char* out = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &out) != n) return std::nullopt;
  return der;
}

bool Verifies(EVP_PKEY* key, const JwsAlg& alg, const std::string& signing_input,
              const Bytes& signature) {
  std::unique_ptr<EVP_MD_CTX, JwtMdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, alg.md, nullptr, key) != 1) return false;
  if (alg.family == JwsFamily::kRsaPss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return false;
  if (alg.family == JwsFamily::kRsa &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return false;
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), in,
                          signing_input.size()) == 1;
}

Result<Json> JwtSegmentJson(const std::string& segment, const char* what) {
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return InvalidArgument(std::string("the JWT ") + what + " is not base64url");
  Json j = Json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(std::string("the JWT ") + what + " is not a JSON object");
  return j;
}

}  // namespace

Result<VerifiedJwt> VerifyJwt(const std::string& token, const std::string& pem) {
  size_t a = token.find('.');
  size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos || token.find('.', b + 1) != std::string::npos)
    return InvalidArgument("the assertion is not a compact JWS (three dot-separated parts)");
  VerifiedJwt out;
  CMK_ASSIGN_OR_RETURN(out.header, JwtSegmentJson(token.substr(0, a), "header"));
  CMK_ASSIGN_OR_RETURN(out.claims, JwtSegmentJson(token.substr(a + 1, b - a - 1), "payload"));
  auto signature = Base64UrlDecode(token.substr(b + 1));
  if (!signature.ok() || signature->empty())
    return InvalidArgument("the JWT signature is missing or not base64url");
  const Json& alg_member = JsonMember(out.header, "alg");
  std::string alg_name = alg_member.is_string() ? alg_member.get<std::string>() : "";
  auto alg = JwsAlgOf(alg_name);
  if (!alg)
    return InvalidArgument("the JWT algorithm '" + alg_name +
                           "' is not accepted (RS*, PS* or ES* with SHA-2)");
  Bytes sig = *signature;
  if (alg->family == JwsFamily::kEcdsa) {
    auto der = EcdsaDer(sig, alg->ec_half);
    if (!der) return PermissionDenied("the JWT signature does not verify");
    sig = std::move(*der);
  }
  std::vector<RegisteredKey> keys = RegisteredKeys(pem);
  if (keys.empty()) return NotFound("no certificate or public key is registered");
  // A certificate credential names its certificate: only that one may verify.
  const Json& s256 = JsonMember(out.header, "x5t#S256");
  const Json& sha1 = JsonMember(out.header, "x5t");
  if (!s256.is_null() || !sha1.is_null()) {
    if ((!s256.is_null() && !s256.is_string()) || (!sha1.is_null() && !sha1.is_string()))
      return InvalidArgument("the JWT thumbprint is not a string");
    const std::string want = s256.is_string() ? s256.get<std::string>() : sha1.get<std::string>();
    std::erase_if(keys, [&](const RegisteredKey& k) {
      return (s256.is_string() ? k.x5t_s256 : k.x5t) != want || want.empty();
    });
    if (keys.empty()) return NotFound("no registered certificate has the assertion's thumbprint");
    out.by_certificate = true;
    const Json& x5c = JsonMember(out.header, "x5c");
    if (!x5c.is_null()) {
      if (!x5c.is_array() || x5c.empty() || !x5c[0].is_string())
        return InvalidArgument("the JWT x5c is not an array of certificates");
      auto first = Base64AnyDecode(x5c[0].get<std::string>());
      if (!first.ok() || Base64UrlEncode(Sha256(std::string(first->begin(), first->end()))) !=
                             keys.front().x5t_s256)
        return InvalidArgument("the JWT x5c chain does not start with the certificate it names");
    }
  }
  const std::string signing_input = token.substr(0, b);
  for (const auto& key : keys) {
    if (KeyFits(key.key.get(), *alg) && Verifies(key.key.get(), *alg, signing_input, sig)) {
      ERR_clear_error();
      return out;
    }
  }
  ERR_clear_error();
  return PermissionDenied("the JWT signature does not verify against any registered key");
}

}  // namespace cmk
