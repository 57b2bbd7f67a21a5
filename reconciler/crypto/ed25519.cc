// Ed25519 signing keys and signatures (RFC 8032, pure Ed25519: the message is
// signed as is, EVP_DigestSign with a NULL digest), for evidence bundles.
// Private keys are PKCS#8 PEM held in SecureBytes; public keys are
// SubjectPublicKeyInfo PEM, which `openssl pkeyutl -verify -pubin` reads.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

using internal::BioPtr;
using internal::OpenSslFailure;
using internal::PkeyPtr;

struct EdMdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
using EdMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EdMdCtxFree>;

// Refuses encrypted PEM instead of prompting on the terminal.
int EdNoPassword(char*, int, int, void*) { return -1; }

Result<PkeyPtr> LoadEdPrivate(const SecureBytes& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFailure("out of memory");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, EdNoPassword, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return InvalidArgument("not an unencrypted PEM private key (PKCS#8)");
  }
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519)
    return InvalidArgument("not an Ed25519 key");
  return pkey;
}

Result<PkeyPtr> LoadEdPublic(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFailure("out of memory");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, EdNoPassword, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return InvalidArgument("not a PEM public key (SubjectPublicKeyInfo)");
  }
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519)
    return InvalidArgument("not an Ed25519 public key");
  return pkey;
}

Result<std::string> EdPublicPem(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1)
    return OpenSslFailure("cannot encode the Ed25519 public key");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Result<SecureBytes> GenerateEd25519Key() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return OpenSslFailure("cannot generate an Ed25519 key");
  return internal::PrivatePkcs8Pem(pkey.get());
}

Result<std::string> Ed25519PublicPem(const SecureBytes& private_pem) {
  CMK_ASSIGN_OR_RETURN(PkeyPtr pkey, LoadEdPrivate(private_pem));
  return EdPublicPem(pkey.get());
}

Result<Bytes> Ed25519Sign(const SecureBytes& private_pem, const std::string& message) {
  CMK_ASSIGN_OR_RETURN(PkeyPtr pkey, LoadEdPrivate(private_pem));
  EdMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1)
    return OpenSslFailure("cannot start an Ed25519 signature");
  Bytes signature(64);
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return OpenSslFailure("Ed25519 signing failed");
  signature.resize(len);
  return signature;
}

Status Ed25519Verify(const std::string& public_pem, const std::string& message,
                     const Bytes& signature) {
  CMK_ASSIGN_OR_RETURN(PkeyPtr pkey, LoadEdPublic(public_pem));
  EdMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1)
    return OpenSslFailure("cannot start an Ed25519 verification");
  int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (ok != 1) {
    ERR_clear_error();
    return InvalidArgument("the Ed25519 signature does not verify");
  }
  return Status::Ok();
}

Result<Bytes> Ed25519PublicDer(const std::string& public_pem) {
  CMK_ASSIGN_OR_RETURN(PkeyPtr pkey, LoadEdPublic(public_pem));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey.get(), &der);
  if (len <= 0) return OpenSslFailure("cannot encode the Ed25519 public key");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace cmk
