// Certificate credentials: the certificate and private key a service
// principal signs its client assertions with, and the JWS signature itself.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

struct CcX509Free { void operator()(X509* p) const { X509_free(p); } };
struct CcP12Free { void operator()(PKCS12* p) const { PKCS12_free(p); } };
struct CcMdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
using CcX509Ptr = std::unique_ptr<X509, CcX509Free>;

// Hands the password to OpenSSL; an empty one fails the decryption instead
// of OpenSSL prompting on the terminal.
int CcPassword(char* buf, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password == nullptr || password->empty() || password->size() > static_cast<size_t>(size))
    return -1;
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

Result<Bytes> CcDer(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return internal::OpenSslFailure("cannot encode the certificate");
  Bytes der(static_cast<size_t>(n));
  unsigned char* out = der.data();
  if (i2d_X509(cert, &out) != n) return internal::OpenSslFailure("cannot encode the certificate");
  return der;
}

// The parsed pieces, before they become a ClientCertificate.
struct CcParts {
  internal::PkeyPtr key;
  CcX509Ptr leaf;
  std::vector<CcX509Ptr> others;  // file order
};

Result<CcParts> CcFromPem(const std::string& pem, const std::string& password) {
  CcParts parts;
  std::vector<CcX509Ptr> certs;
  bool key_seen = false, key_encrypted = false;
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return internal::OpenSslFailure("out of memory");
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    std::string kind = name ? name : "";
    if (kind == "CERTIFICATE") {
      const unsigned char* p = data;
      if (X509* cert = d2i_X509(nullptr, &p, len)) certs.emplace_back(cert);
    } else if (kind.size() >= 11 && kind.compare(kind.size() - 11, 11, "PRIVATE KEY") == 0) {
      key_seen = true;
      key_encrypted = kind == "ENCRYPTED PRIVATE KEY" ||
                      (header != nullptr && std::strstr(header, "ENCRYPTED") != nullptr);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(data, static_cast<size_t>(len > 0 ? len : 0));
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (certs.empty()) return InvalidArgument("the PEM file holds no certificate");
  if (!key_seen) return InvalidArgument("the PEM file holds no private key (it needs both)");
  if (key_encrypted && password.empty())
    return InvalidArgument("the private key is encrypted and no password was given");
  internal::BioPtr key_bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!key_bio) return internal::OpenSslFailure("out of memory");
  parts.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, CcPassword,
                                          const_cast<std::string*>(&password)));
  if (!parts.key) {
    ERR_clear_error();
    return InvalidArgument(key_encrypted ? "cannot decrypt the private key (wrong password?)"
                                         : "cannot read the private key");
  }
  for (auto& cert : certs) {
    if (!parts.leaf && X509_check_private_key(cert.get(), parts.key.get()) == 1)
      parts.leaf = std::move(cert);
    else
      parts.others.push_back(std::move(cert));
  }
  ERR_clear_error();
  if (!parts.leaf) return InvalidArgument("no certificate in the PEM file matches its private key");
  return parts;
}

Result<CcParts> CcFromPkcs12(const std::string& der, const std::string& password) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS12, CcP12Free> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  if (!p12) {
    ERR_clear_error();
    return InvalidArgument("not a PEM file (certificate and private key) or a PKCS#12 file");
  }
  EVP_PKEY* key = nullptr;
  X509* leaf = nullptr;
  STACK_OF(X509)* ca = nullptr;
  // An empty password tries both "no password" and "" (PKCS12_parse does).
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &leaf, &ca) != 1) {
    ERR_clear_error();
    return InvalidArgument(
        password.empty()
            ? "cannot open the PKCS#12 file: it needs a password"
            : "cannot open the PKCS#12 file (wrong password, or an algorithm OpenSSL 3 "
              "supports only with its legacy provider: re-export it with AES-256)");
  }
  CcParts parts;
  parts.key.reset(key);
  parts.leaf.reset(leaf);
  for (int i = 0; ca != nullptr && i < sk_X509_num(ca); ++i) {
    X509* c = sk_X509_value(ca, i);
    X509_up_ref(c);
    parts.others.emplace_back(c);
  }
  sk_X509_pop_free(ca, X509_free);
  if (!parts.key || !parts.leaf)
    return InvalidArgument("the PKCS#12 file needs both a certificate and its private key");
  return parts;
}

const EVP_MD* CcDigest(const std::string& alg) {
  if (alg.size() != 5) return nullptr;
  std::string bits = alg.substr(2);
  return bits == "256" ? EVP_sha256() : bits == "384" ? EVP_sha384() : bits == "512" ? EVP_sha512()
                                                                                        : nullptr;
}

}  // namespace

Result<ClientCertificate> ParseClientCertificate(const std::string& contents,
                                                 const std::string& password) {
  CcParts parts;
  if (contents.find("-----BEGIN") != std::string::npos) {
    CMK_ASSIGN_OR_RETURN(parts, CcFromPem(contents, password));
  } else {
    CMK_ASSIGN_OR_RETURN(parts, CcFromPkcs12(contents, password));
  }
  if (!EVP_PKEY_is_a(parts.key.get(), "RSA"))
    return InvalidArgument(
        "the certificate's key is not RSA: Microsoft Entra ID signs in with RSA certificates");
  ClientCertificate out;
  CMK_ASSIGN_OR_RETURN(Bytes leaf_der, CcDer(parts.leaf.get()));
  out.chain_der.push_back(std::move(leaf_der));
  for (const auto& c : parts.others) {
    CMK_ASSIGN_OR_RETURN(Bytes der, CcDer(c.get()));
    out.chain_der.push_back(std::move(der));
  }
  PrivateKey key;
  key.kty = "RSA";
  CMK_ASSIGN_OR_RETURN(key.material, internal::PrivatePkcs8Pem(parts.key.get()));
  CMK_ASSIGN_OR_RETURN(out.key, LoadPrivateKey(key));
  return out;
}

Result<Bytes> SignJws(const LoadedKey& key, const std::string& alg,
                      const std::string& signing_input) {
  const EVP_MD* md = CcDigest(alg);
  bool pss = alg.rfind("PS", 0) == 0;
  if (md == nullptr || (!pss && alg.rfind("RS", 0) != 0))
    return InvalidArgument("unsupported JWS algorithm '" + alg + "' (RS256..512, PS256..512)");
  if (key.kty() != "RSA" || key.pkey() == nullptr)
    return InvalidArgument(alg + " needs an RSA private key");
  std::unique_ptr<EVP_MD_CTX, CcMdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key.pkey()) != 1)
    return internal::OpenSslFailure("cannot start the signature");
  if (pss ? (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
          : EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return internal::OpenSslFailure("cannot set the signature padding");
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t n = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &n, in, signing_input.size()) != 1)
    return internal::OpenSslFailure("cannot sign");
  Bytes signature(n);
  if (EVP_DigestSign(ctx.get(), signature.data(), &n, in, signing_input.size()) != 1)
    return internal::OpenSslFailure("cannot sign");
  signature.resize(n);
  return signature;
}

}  // namespace cmk
