// AES key wrap: RFC 3394 (A128KW/A192KW/A256KW) and RFC 5649 with padding
// (CKM_AES_KEY_WRAP_PAD), through OpenSSL's AES-*-WRAP(-PAD) ciphers.
//
// Sizes are checked here, before OpenSSL: its wrap ciphers treat an empty
// update as success with no output. Every integrity failure on unwrap returns
// the same status.
#include <openssl/err.h>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

constexpr char kUnwrapFailed[] = "AES key unwrap failed: integrity check failed (wrong key or corrupted data)";

// Fetched once; immutable afterwards, so safe to share between threads.
const EVP_CIPHER* WrapCipher(size_t kek_len, bool pad) {
  static const EVP_CIPHER* const kCiphers[2][3] = {
      {EVP_CIPHER_fetch(nullptr, "AES-128-WRAP", nullptr),
       EVP_CIPHER_fetch(nullptr, "AES-192-WRAP", nullptr),
       EVP_CIPHER_fetch(nullptr, "AES-256-WRAP", nullptr)},
      {EVP_CIPHER_fetch(nullptr, "AES-128-WRAP-PAD", nullptr),
       EVP_CIPHER_fetch(nullptr, "AES-192-WRAP-PAD", nullptr),
       EVP_CIPHER_fetch(nullptr, "AES-256-WRAP-PAD", nullptr)},
  };
  int index = kek_len == 16 ? 0 : kek_len == 24 ? 1 : kek_len == 32 ? 2 : -1;
  return index < 0 ? nullptr : kCiphers[pad ? 1 : 0][index];
}

// Checks that alg is an AES wrap and the KEK fits it.
Status CheckKek(const Bytes& kek, WrapAlg alg) {
  size_t want = 0;
  switch (alg) {
    case WrapAlg::kA128Kw: want = 16; break;
    case WrapAlg::kA192Kw: want = 24; break;
    case WrapAlg::kA256Kw: want = 32; break;
    case WrapAlg::kAesKwp:
      if (kek.size() == 16 || kek.size() == 24 || kek.size() == 32) return Status::Ok();
      return InvalidArgument("CKM_AES_KEY_WRAP_PAD needs a 128-, 192- or 256-bit key, got " +
                             std::to_string(kek.size() * 8) + " bits");
    default:
      return InvalidArgument(std::string(WrapAlgName(alg)) + " is not an AES key wrap algorithm");
  }
  if (kek.size() != want) {
    return InvalidArgument(std::string(WrapAlgName(alg)) + " needs a " + std::to_string(want * 8) +
                           "-bit key, got " + std::to_string(kek.size() * 8) + " bits");
  }
  return Status::Ok();
}

// One EVP update does the whole wrap or unwrap. Returns the output length, or
// -1 on failure (queue cleared).
int RunCipher(const Bytes& kek, bool pad, bool encrypt, const Bytes& in, uint8_t* out) {
  const EVP_CIPHER* cipher = WrapCipher(kek.size(), pad);
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (cipher == nullptr || !ctx) return -1;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  int len = 0;
  if (EVP_CipherInit_ex2(ctx.get(), cipher, kek.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1) {
    ERR_clear_error();
    return -1;
  }
  return len;
}

constexpr size_t kMaxInput = size_t{1} << 30;  // far beyond any key; keeps int casts safe

}  // namespace

Result<Bytes> AesKeyWrap(const Bytes& kek, WrapAlg alg, const Bytes& plaintext) {
  CMK_RETURN_IF_ERROR(CheckKek(kek, alg));
  bool pad = alg == WrapAlg::kAesKwp;
  if (plaintext.size() > kMaxInput) return InvalidArgument("AES key wrap: input too large");
  if (pad && plaintext.empty()) return InvalidArgument("CKM_AES_KEY_WRAP_PAD: key data is empty");
  if (!pad && (plaintext.size() < 16 || plaintext.size() % 8 != 0)) {
    return InvalidArgument(std::string(WrapAlgName(alg)) +
                           ": key data must be at least 16 bytes and a multiple of 8, got " +
                           std::to_string(plaintext.size()));
  }
  size_t expected = (pad ? (plaintext.size() + 7) / 8 * 8 : plaintext.size()) + 8;
  Bytes out(expected + 16);  // OpenSSL checks the output room against input + block
  int len = RunCipher(kek, pad, /*encrypt=*/true, plaintext, out.data());
  if (len < 0 || static_cast<size_t>(len) != expected) {
    return internal::OpenSslFailure(std::string(WrapAlgName(alg)) + ": AES key wrap failed");
  }
  out.resize(expected);
  return out;
}

Result<SecureBytes> AesKeyUnwrap(const Bytes& kek, WrapAlg alg, const Bytes& ciphertext) {
  CMK_RETURN_IF_ERROR(CheckKek(kek, alg));
  bool pad = alg == WrapAlg::kAesKwp;
  size_t min = pad ? 16 : 24;
  if (ciphertext.size() > kMaxInput || ciphertext.size() < min || ciphertext.size() % 8 != 0) {
    return InvalidArgument(std::string(WrapAlgName(alg)) + ": wrapped data must be at least " +
                           std::to_string(min) + " bytes and a multiple of 8, got " +
                           std::to_string(ciphertext.size()));
  }
  Bytes out(ciphertext.size() + 16);
  int len = RunCipher(kek, pad, /*encrypt=*/false, ciphertext, out.data());
  if (len < 0 || static_cast<size_t>(len) > ciphertext.size() - 8) {
    SecureBytes cleanse(std::move(out));
    return InvalidArgument(kUnwrapFailed);
  }
  out.resize(static_cast<size_t>(len));
  return SecureBytes(std::move(out));
}

}  // namespace cmk
