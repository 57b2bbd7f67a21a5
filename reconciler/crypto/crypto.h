// The wrap-verification core: the only code in cmkctl that touches OpenSSL.
//
// Envelope encryption primitives (random DEKs, RSA-OAEP / RSA-OAEP-256 /
// RSA1_5-unwrap, AES key wrap RFC 3394 and with padding RFC 5649), JWK import
// and export with strict base64url, RFC 7638 thumbprints, constant-time
// comparison, key-material generation for the sandbox, and the certificate and
// JWS signature of Azure certificate credentials, and the Ed25519 signatures
// of evidence bundles. Errors are values;
// an invalid ciphertext is an error, never a crash or a silent wrong answer.
// Buffers that held DEKs or private material are cleansed (SecureBytes).
//
// Thread-safe: no shared mutable state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header.

namespace cmk {

using Bytes = std::vector<uint8_t>;

// A byte buffer that is OPENSSL_cleanse'd when destroyed or cleared. Use it
// for DEKs, unwrapped plaintexts and private key material.
class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(Bytes b) : b_(std::move(b)) {}
  SecureBytes(const SecureBytes&) = default;
  SecureBytes& operator=(const SecureBytes&);
  SecureBytes(SecureBytes&& o) noexcept;
  SecureBytes& operator=(SecureBytes&& o) noexcept;
  ~SecureBytes();
  const Bytes& bytes() const { return b_; }
  size_t size() const { return b_.size(); }
  const uint8_t* data() const { return b_.data(); }
  void clear();

 private:
  Bytes b_;
};

// Overwrites a string that held secret or private material (OPENSSL_cleanse,
// which the optimizer cannot drop); its length is kept, its bytes are zero.
void CleanseString(std::string& s);

// base64url without padding (RFC 7515 §2). Decoding is strict: rejects
// padding, '+', '/', whitespace and non-canonical trailing bits.
std::string Base64UrlEncode(const Bytes& data);
Result<Bytes> Base64UrlDecode(const std::string& text);
// Standard base64 with padding (RFC 4648 §4), e.g. a JWS "x5c" member.
std::string Base64Encode(const Bytes& data);
std::string HexEncode(const Bytes& data);  // lower case
Result<Bytes> HexDecode(const std::string& hex);
// Lenient decoding for values on the wire (e.g. a wrapKey/unwrapKey "value"):
// accepts both the base64url and the standard alphabet, with or without '='
// padding; still rejects whitespace, stray characters and non-canonical
// trailing bits. Use Base64UrlDecode for JWK members.
Result<Bytes> Base64AnyDecode(const std::string& text);

// CSPRNG (OpenSSL RAND_bytes).
Result<SecureBytes> RandomBytes(size_t n);
inline Result<SecureBytes> GenerateDek() { return RandomBytes(32); }  // AES-256
bool ConstantTimeEqual(const Bytes& a, const Bytes& b);
Bytes Sha256(const std::string& data);

// Wrap algorithms as Key Vault names them.
enum class WrapAlg { kRsaOaep, kRsaOaep256, kRsa15, kA128Kw, kA192Kw, kA256Kw, kAesKwp };
Result<WrapAlg> WrapAlgFromName(const std::string& name);  // "RSA-OAEP-256", "A256KW", "CKM_AES_KEY_WRAP_PAD"...
const char* WrapAlgName(WrapAlg alg);
bool IsRsaAlg(WrapAlg alg);

// A public key as a JWK (members base64url).
struct PublicJwk {
  std::string kty;       // "RSA" or "EC" (an -HSM suffix is accepted and ignored)
  std::string n, e;      // RSA
  std::string crv, x, y; // EC
};
// Strict parse of a JWK JSON object's public members; validates sizes
// (RSA modulus >= 2048 bits, EC point on curve).
// Decisions: n and e must be minimal (a leading zero octet, as some libraries
// write, is rejected per RFC 7518 6.3.1.1); e must be odd and > 1; RSA moduli
// are 2048..8192 bits. EC crv is P-256, P-384, P-521 or P-256K, x and y must
// be exactly the field size. kty is normalised ("RSA-HSM" -> "RSA").
// Members other than kty/n/e/crv/x/y are ignored.
Result<PublicJwk> ParsePublicJwk(const std::string& json_text);
// SHA-256 of the DER SubjectPublicKeyInfo (i2d_PUBKEY) of a validated JWK:
// a key fingerprint independent of JSON formatting.
Result<Bytes> SpkiSha256(const PublicJwk& jwk);
std::string PublicJwkToJson(const PublicJwk& jwk);  // canonical members only
// RFC 7638 thumbprint (SHA-256 over the required members), base64url.
Result<std::string> JwkThumbprint(const PublicJwk& jwk);

// Private key material held by the sandbox (and only the sandbox).
// RSA/EC: PKCS#8 PEM. oct: the raw AES key. Never logged.
struct PrivateKey {
  std::string kty;  // RSA | EC | oct
  SecureBytes material;
};
// kty in {"RSA","RSA-HSM"} with size 2048|3072|4096; {"EC","EC-HSM"} with
// crv P-256|P-384|P-521; "oct-HSM"/"oct" with size 128|192|256 (bits).
Result<PrivateKey> GenerateKey(const std::string& kty, int size_bits, const std::string& crv);
// The kty GenerateKey would give ("RSA", "EC" or "oct"), or its error for
// these parameters, without generating anything: what a caller that makes the
// material later checks now.
Result<std::string> GeneratedKty(const std::string& kty, int size_bits, const std::string& crv);
Result<PublicJwk> PublicJwkOf(const PrivateKey& key);  // error for oct
// Import an RSA private key from JWK members (n, e, d, p, q, dp, dq, qi), for
// test vectors and ImportKey. All eight members are required, the same size
// rules as ParsePublicJwk apply (>= 2048 bits: no vector we run needs less),
// and the members must be consistent (OpenSSL pairwise check).
Result<PrivateKey> RsaPrivateFromJwk(const std::string& json_text);

// Wrap with a public key (RSA-OAEP, RSA-OAEP-256; RSA1_5 is refused).
Result<Bytes> WrapWithPublic(const PublicJwk& jwk, WrapAlg alg, const Bytes& plaintext);
// Wrap/unwrap with the private (or symmetric) key: what the vault does.
// RSA1_5 unwrap is allowed (legacy data) and never returns OpenSSL's
// implicit-rejection output: any padding failure is an error.
Result<Bytes> WrapWithPrivate(const PrivateKey& key, WrapAlg alg, const Bytes& plaintext);
Result<SecureBytes> Unwrap(const PrivateKey& key, WrapAlg alg, const Bytes& ciphertext);

struct LoadedKeyCache;  // defined inside the crypto core

// A private (or symmetric) key parsed once for repeated use: RSA/EC keys hold
// an EVP_PKEY (RSA keys also per-algorithm contexts prepared once, so a call
// only duplicates one), oct keys a copy of the raw bytes. The PrivateKey
// overloads above load the key on every call (PEM parse plus context setup);
// hot paths (the sandbox's unwrap, benchmarks) load once and call the
// LoadedKey overloads. Copies share the EVP_PKEY
// (reference counted). A LoadedKey may be used by several threads at once:
// OpenSSL keys are safe for concurrent read-only operations.
class LoadedKey {
 public:
  LoadedKey() = default;
  LoadedKey(const LoadedKey& o);
  LoadedKey& operator=(const LoadedKey& o);
  LoadedKey(LoadedKey&& o) noexcept;
  LoadedKey& operator=(LoadedKey&& o) noexcept;
  ~LoadedKey();

  const std::string& kty() const { return kty_; }  // "RSA" | "EC" | "oct"
  int bits() const { return bits_; }                // modulus / field / AES key size
  // Internal handles for the crypto core; not for use outside reconciler/crypto.
  evp_pkey_st* pkey() const { return pkey_; }
  const SecureBytes& oct() const { return oct_; }
  const LoadedKeyCache* cache() const { return cache_.get(); }

 private:
  friend Result<LoadedKey> LoadPrivateKey(const PrivateKey& key);
  std::string kty_;
  int bits_ = 0;
  evp_pkey_st* pkey_ = nullptr;
  SecureBytes oct_;
  std::shared_ptr<const LoadedKeyCache> cache_;  // immutable once built
};
Result<LoadedKey> LoadPrivateKey(const PrivateKey& key);
Result<PublicJwk> PublicJwkOf(const LoadedKey& key);  // error for oct
Result<Bytes> WrapWithPrivate(const LoadedKey& key, WrapAlg alg, const Bytes& plaintext);
Result<SecureBytes> Unwrap(const LoadedKey& key, WrapAlg alg, const Bytes& ciphertext);

// A certificate credential's material: the certificate whose public key
// matches the private key (the leaf), the file's other certificates in file
// order, and the RSA private key. Never logged.
struct ClientCertificate {
  std::vector<Bytes> chain_der;  // DER; the leaf first
  LoadedKey key;
};
// PEM text (CERTIFICATE blocks and one private key, which `password`
// decrypts if it is encrypted) or PKCS#12 bytes (opened with `password`,
// which may be empty). Only RSA keys (Entra ID's rule). Messages name what is
// wrong, never the password or key bytes.
Result<ClientCertificate> ParseClientCertificate(const std::string& contents,
                                                 const std::string& password);
// The JWS signature (RFC 7518: RS256/384/512 PKCS#1 v1.5, PS256/384/512 PSS
// with a salt as long as the digest) of `signing_input` with an RSA key.
Result<Bytes> SignJws(const LoadedKey& key, const std::string& alg,
                      const std::string& signing_input);

// Ed25519 (RFC 8032, pure: the message itself is signed) for evidence
// bundles. Private keys are unencrypted PKCS#8 PEM (what `openssl genpkey
// -algorithm ed25519` writes), public keys SubjectPublicKeyInfo PEM. A key of
// another type, or an encrypted PEM, is an InvalidArgument; messages never
// carry key bytes.
Result<SecureBytes> GenerateEd25519Key();
Result<std::string> Ed25519PublicPem(const SecureBytes& private_pem);
Result<Bytes> Ed25519Sign(const SecureBytes& private_pem, const std::string& message);
// OK when `signature` is `public_pem`'s signature of `message`; else
// InvalidArgument (also for a malformed public key).
[[nodiscard]] Status Ed25519Verify(const std::string& public_pem, const std::string& message,
                                   const Bytes& signature);
// The DER SubjectPublicKeyInfo: compares keys independently of PEM layout.
Result<Bytes> Ed25519PublicDer(const std::string& public_pem);

// AES key wrap with a raw KEK (RFC 3394 when alg is A*KW, RFC 5649 for kAesKwp).
Result<Bytes> AesKeyWrap(const Bytes& kek, WrapAlg alg, const Bytes& plaintext);
Result<SecureBytes> AesKeyUnwrap(const Bytes& kek, WrapAlg alg, const Bytes& ciphertext);

}  // namespace cmk

namespace cmk {

// TLS material for the sandbox HTTPS server: a throw-away self-signed CA
// (its private key is discarded once the server certificate is signed, so it
// can sign nothing else) and an EC P-256 server certificate with the given
// subjectAltNames (DNS names may be wildcards such as "*.vault.localhost").
// Valid from an hour ago for 365 days. PEM text; the key is PKCS#8.
struct TlsMaterial {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  SecureBytes server_key_pem;
};
Result<TlsMaterial> GenerateServerTls(const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ips);

}  // namespace cmk
