// Self-signed CA and server certificate for the sandbox HTTPS server.
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

struct X509Free { void operator()(X509* p) const { X509_free(p); } };
using X509Ptr = std::unique_ptr<X509, X509Free>;

constexpr long kValiditySeconds = 365L * 24 * 3600;

Result<internal::PkeyPtr> NewEcKey() {
  internal::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return internal::OpenSslFailure("TLS key generation failed");
  return key;
}

// Adds one v3 extension in OpenSSL's config syntax.
Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return internal::OpenSslFailure("cannot build certificate extension");
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return internal::OpenSslFailure("cannot add certificate extension");
  return Status::Ok();
}

Result<X509Ptr> NewCert(EVP_PKEY* subject_key, const std::string& common_name) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1)
    return internal::OpenSslFailure("cannot allocate a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return internal::OpenSslFailure("RAND_bytes failed");
  serial[0] &= 0x7f;  // positive
  internal::BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return internal::OpenSslFailure("cannot set the serial number");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr)
    return internal::OpenSslFailure("cannot set the validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("cmkctl sandbox"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1)
    return internal::OpenSslFailure("cannot set the subject");
  if (X509_set_pubkey(cert.get(), subject_key) != 1)
    return internal::OpenSslFailure("cannot set the public key");
  return cert;
}

Result<std::string> CertPem(X509* cert) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return internal::OpenSslFailure("cannot encode the certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return internal::OpenSslFailure("cannot encode the certificate");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Result<TlsMaterial> GenerateServerTls(const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ips) {
  if (dns_names.empty() && ips.empty())
    return InvalidArgument("a server certificate needs at least one DNS name or IP address");
  std::string san;
  for (const auto& d : dns_names) {
    if (d.empty() || d.find_first_of(",:") != std::string::npos)
      return InvalidArgument("invalid DNS name for a certificate: '" + d + "'");
    san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  }
  for (const auto& ip : ips) {
    if (ip.empty() || ip.find(',') != std::string::npos)
      return InvalidArgument("invalid IP address for a certificate: '" + ip + "'");
    san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  }

  CMK_ASSIGN_OR_RETURN(internal::PkeyPtr ca_key, NewEcKey());
  CMK_ASSIGN_OR_RETURN(X509Ptr ca, NewCert(ca_key.get(), "cmkctl sandbox CA"));
  if (X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) != 1)
    return internal::OpenSslFailure("cannot set the CA issuer");
  CMK_RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  CMK_RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  CMK_RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) <= 0)
    return internal::OpenSslFailure("cannot sign the CA certificate");

  CMK_ASSIGN_OR_RETURN(internal::PkeyPtr key, NewEcKey());
  std::string cn = !dns_names.empty() ? dns_names.front() : ips.front();
  CMK_ASSIGN_OR_RETURN(X509Ptr cert, NewCert(key.get(), cn));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1)
    return internal::OpenSslFailure("cannot set the issuer");
  CMK_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  CMK_RETURN_IF_ERROR(
      AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyAgreement"));
  CMK_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth"));
  CMK_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_key_identifier, "hash"));
  CMK_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always"));
  CMK_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_alt_name, san));
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0)
    return internal::OpenSslFailure("cannot sign the server certificate");

  TlsMaterial out;
  CMK_ASSIGN_OR_RETURN(out.ca_cert_pem, CertPem(ca.get()));
  CMK_ASSIGN_OR_RETURN(out.server_cert_pem, CertPem(cert.get()));
  CMK_ASSIGN_OR_RETURN(out.server_key_pem, internal::PrivatePkcs8Pem(key.get()));
  return out;
}

}  // namespace cmk
