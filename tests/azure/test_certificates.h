// Certificates made in the test, with OpenSSL, for the certificate
// credential: RSA keys, self-signed or issued by another test certificate,
// written out as PEM (optionally with an encrypted key) or PKCS#12. Valid
// from an hour before the process clock for a day; nothing checks dates.
#pragma once

#include <memory>
#include <string>

#include "crypto/crypto.h"

struct evp_pkey_st;
struct x509_st;

namespace cmk {

class TestCertificate {
 public:
  // A `bits`-bit RSA key (or a P-256 key when `ec`), signed by `issuer` or by itself.
  explicit TestCertificate(const std::string& common_name, const TestCertificate* issuer = nullptr,
                           int bits = 2048, bool ec = false);
  ~TestCertificate();
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  std::string CertificatePem() const;
  Bytes CertificateDer() const;
  // PKCS#8 PEM; encrypted (AES-256) with `password` when it is not empty.
  std::string KeyPem(const std::string& password = "") const;
  // PKCS#12 (OpenSSL 3 defaults: AES-256, PBKDF2) of the key, this certificate and `chain`.
  std::string Pkcs12(const std::string& password, const TestCertificate* chain = nullptr) const;
  // Whether `signature` is this certificate's key's PS256 signature of `input`.
  bool VerifiesPs256(const std::string& input, const Bytes& signature) const;

 private:
  evp_pkey_st* key_ = nullptr;
  x509_st* cert_ = nullptr;
};

// Writes `contents` to a new file under the test's temporary directory.
std::string WriteTestFile(const std::string& name, const std::string& contents);

}  // namespace cmk
