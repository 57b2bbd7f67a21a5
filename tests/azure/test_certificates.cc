#include "test_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <fstream>

namespace cmk {
namespace {

std::string TakeBio(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

TestCertificate::TestCertificate(const std::string& common_name, const TestCertificate* issuer,
                                 int bits, bool ec) {
  key_ = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(static_cast<unsigned>(bits));
  cert_ = X509_new();
  X509_set_version(cert_, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert_), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert_), 86400);
  X509_set_pubkey(cert_, key_);
  X509_NAME* name = X509_get_subject_name(cert_);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert_, issuer ? X509_get_subject_name(issuer->cert_) : name);
  X509_sign(cert_, issuer ? issuer->key_ : key_, EVP_sha256());
}

TestCertificate::~TestCertificate() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

std::string TestCertificate::CertificatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert_);
  return TakeBio(bio);
}

Bytes TestCertificate::CertificateDer() const {
  unsigned char* der = nullptr;
  int n = i2d_X509(cert_, &der);
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

std::string TestCertificate::KeyPem(const std::string& password) const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (password.empty())
    PEM_write_bio_PKCS8PrivateKey(bio, key_, nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_bio_PKCS8PrivateKey(bio, key_, EVP_aes_256_cbc(), password.data(),
                                  static_cast<int>(password.size()), nullptr, nullptr);
  return TakeBio(bio);
}

std::string TestCertificate::Pkcs12(const std::string& password,
                                    const TestCertificate* chain) const {
  STACK_OF(X509)* ca = nullptr;
  if (chain) {
    ca = sk_X509_new_null();
    sk_X509_push(ca, chain->cert_);
  }
  PKCS12* p12 = PKCS12_create(password.c_str(), "cmkctl test", key_, cert_, ca, 0, 0, 0, 0, 0);
  sk_X509_free(ca);
  EXPECT_NE(p12, nullptr);
  unsigned char* der = nullptr;
  int n = i2d_PKCS12(p12, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  PKCS12_free(p12);
  return out;
}

bool TestCertificate::VerifiesPs256(const std::string& input, const Bytes& signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string WriteTestFile(const std::string& name, const std::string& contents) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  return path;
}

}  // namespace cmk
