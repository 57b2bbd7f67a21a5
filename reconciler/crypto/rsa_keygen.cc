// Multi-prime RSA key generation for the sandbox.
//
// OpenSSL's own generator tests every prime it finds with 64 Miller-Rabin
// rounds (OpenSSL 3.0, bn_mr_min_checks), which is two thirds of its time;
// a large sandbox estate spends most of its first `verify` there. The
// candidates here are uniformly random odd numbers, for which far fewer
// rounds reach the same bound: Damgard, Landrock and Pomerance (1993),
// the bound FIPS 186-5 Appendix B.3 / C.1 builds its tables on, give an
// error below 2^-100 with 5 rounds for 1024-bit candidates and 8 rounds
// for 512- to 1023-bit ones. Everything else is OpenSSL's: the CSPRNG, the
// big-number arithmetic, the key object and its encoding.
//
// The key: e = 65537; k primes (3 below 4096 bits, 4 at 4096, as OpenSSL
// allows for the size, RFC 8017 multi-prime), each with its top two bits set
// except the last, which is drawn from the interval that makes the modulus
// exactly `bits` long; no prime is 1 mod e, so d exists; d = e^-1 mod
// lcm(p_i - 1); the CRT exponents and coefficients of RFC 8017 3.2.
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <array>
#include <vector>

#include "crypto/openssl_util.h"

namespace cmk::internal {
namespace {

struct BnCtxFree { void operator()(BN_CTX* p) const { BN_CTX_free(p); } };
struct MontFree { void operator()(BN_MONT_CTX* p) const { BN_MONT_CTX_free(p); } };
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using MontPtr = std::unique_ptr<BN_MONT_CTX, MontFree>;

constexpr BN_ULONG kPublicExponent = 65537;

// The odd primes below 17,900 (2,048 of them), for trial division.
const std::vector<BN_ULONG>& SmallPrimes() {
  static const std::vector<BN_ULONG> primes = [] {
    constexpr int kLimit = 17900;
    std::vector<bool> composite(kLimit, false);
    std::vector<BN_ULONG> out;
    for (int i = 3; i < kLimit; i += 2) {
      if (composite[i]) continue;
      out.push_back(static_cast<BN_ULONG>(i));
      for (int j = i * i; j < kLimit; j += 2 * i) composite[j] = true;
    }
    return out;
  }();
  return primes;
}

BnPtr NewBn() { return BnPtr(BN_new()); }

// Miller-Rabin with `rounds` random bases; n is odd and far above 3.
// Returns 1 (probably prime), 0 (composite) or -1 (OpenSSL failure).
int MillerRabin(const BIGNUM* n, int rounds, BN_CTX* ctx) {
  MontPtr mont(BN_MONT_CTX_new());
  BnPtr n1 = NewBn(), d = NewBn(), range = NewBn(), a = NewBn(), y = NewBn();
  if (!mont || !n1 || !d || !range || !a || !y || BN_MONT_CTX_set(mont.get(), n, ctx) != 1 ||
      !BN_copy(n1.get(), n) || BN_sub_word(n1.get(), 1) != 1)
    return -1;
  int s = 0;
  while (!BN_is_bit_set(n1.get(), s)) ++s;
  if (BN_rshift(d.get(), n1.get(), s) != 1 || !BN_copy(range.get(), n) || BN_sub_word(range.get(), 3) != 1)
    return -1;
  // A Fermat test to base 2 first: it rejects almost every composite that
  // passed the sieve for the price of a word-base exponentiation.
  if (BN_mod_exp_mont_word(y.get(), 2, n1.get(), n, ctx, mont.get()) != 1) return -1;
  if (!BN_is_one(y.get())) return 0;
  for (int round = 0; round < rounds; ++round) {
    // a uniform in [2, n-2].
    if (BN_priv_rand_range(a.get(), range.get()) != 1 || BN_add_word(a.get(), 2) != 1) return -1;
    if (BN_mod_exp_mont_consttime(y.get(), a.get(), d.get(), n, ctx, mont.get()) != 1) return -1;
    if (BN_is_one(y.get()) || BN_cmp(y.get(), n1.get()) == 0) continue;
    bool witness = true;
    for (int j = 1; j < s && witness; ++j) {
      if (BN_mod_sqr(y.get(), y.get(), n, ctx) != 1) return -1;
      if (BN_cmp(y.get(), n1.get()) == 0) witness = false;
      else if (BN_is_one(y.get())) break;
    }
    if (witness) return 0;
  }
  return 1;
}

// A probable prime p in [lo, hi) with p mod e != 1, found by walking up from
// a random odd start and sieving by the small primes. hi - lo is large (the
// intervals here span at least 2^(bits-2) numbers).
BnPtr RandomPrimeIn(const BIGNUM* lo, const BIGNUM* hi, int rounds, BN_CTX* ctx) {
  const std::vector<BN_ULONG>& small = SmallPrimes();
  std::vector<BN_ULONG> residue(small.size());
  BnPtr width = NewBn(), start = NewBn(), candidate = NewBn();
  if (!width || !start || !candidate || BN_sub(width.get(), hi, lo) != 1) return nullptr;
  constexpr BN_ULONG kMaxWalk = 1u << 16;
  for (;;) {
    if (BN_priv_rand_range(start.get(), width.get()) != 1 || BN_add(start.get(), start.get(), lo) != 1 ||
        (!BN_is_odd(start.get()) && BN_add_word(start.get(), 1) != 1))
      return nullptr;
    for (size_t i = 0; i < small.size(); ++i) {
      residue[i] = BN_mod_word(start.get(), small[i]);
      if (residue[i] == static_cast<BN_ULONG>(-1)) return nullptr;
    }
    BN_ULONG residue_e = BN_mod_word(start.get(), kPublicExponent);
    for (BN_ULONG delta = 0; delta < kMaxWalk; delta += 2) {
      bool sieved = (residue_e + delta) % kPublicExponent != 1;
      for (size_t i = 0; sieved && i < small.size(); ++i) sieved = (residue[i] + delta) % small[i] != 0;
      if (!sieved) continue;
      if (!BN_copy(candidate.get(), start.get()) || BN_add_word(candidate.get(), delta) != 1) return nullptr;
      if (BN_cmp(candidate.get(), hi) >= 0) break;  // walked out: draw a new start
      int prime = MillerRabin(candidate.get(), rounds, ctx);
      if (prime < 0) return nullptr;
      if (prime == 1) return candidate;
    }
  }
}

int RoundsFor(int prime_bits) { return prime_bits >= 1024 ? 5 : 8; }

}  // namespace

PkeyPtr GenerateMultiPrimeRsa(int bits) {
  const int count = bits >= 4096 ? 4 : 3;
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr product = NewBn(), lo = NewBn(), hi = NewBn(), e = NewBn();
  if (!ctx || !product || !lo || !hi || !e || BN_set_word(e.get(), kPublicExponent) != 1 ||
      BN_one(product.get()) != 1)
    return nullptr;
  std::vector<BnPtr> primes;
  const int prime_bits = (bits + count - 1) / count;
  int used_bits = 0;
  for (int i = 0; i < count; ++i) {
    if (i + 1 < count) {
      // [3 * 2^(b-2), 2^b): top two bits set.
      if (BN_set_word(lo.get(), 3) != 1 || BN_lshift(lo.get(), lo.get(), prime_bits - 2) != 1 ||
          BN_set_word(hi.get(), 0) != 1 || BN_set_bit(hi.get(), prime_bits) != 1)
        return nullptr;
      used_bits += prime_bits;
    } else {
      // [ceil(2^(bits-1) / P), floor((2^bits - 1) / P) + 1): n = P * p has
      // exactly `bits` bits.
      BnPtr rem = NewBn(), top = NewBn();
      if (!rem || !top || BN_set_word(top.get(), 0) != 1 || BN_set_bit(top.get(), bits - 1) != 1 ||
          BN_div(lo.get(), rem.get(), top.get(), product.get(), ctx.get()) != 1 ||
          (!BN_is_zero(rem.get()) && BN_add_word(lo.get(), 1) != 1) || BN_set_word(top.get(), 0) != 1 ||
          BN_set_bit(top.get(), bits) != 1 || BN_sub_word(top.get(), 1) != 1 ||
          BN_div(hi.get(), nullptr, top.get(), product.get(), ctx.get()) != 1 || BN_add_word(hi.get(), 1) != 1)
        return nullptr;
    }
    BnPtr p = RandomPrimeIn(lo.get(), hi.get(), RoundsFor(i + 1 < count ? prime_bits : bits - used_bits),
                            ctx.get());
    if (!p) return nullptr;
    bool repeated = false;
    for (const BnPtr& other : primes) repeated = repeated || BN_cmp(other.get(), p.get()) == 0;
    if (repeated) { --i; continue; }  // never in practice; keeps the primes distinct
    if (BN_mul(product.get(), product.get(), p.get(), ctx.get()) != 1) return nullptr;
    primes.push_back(std::move(p));
  }
  if (BN_num_bits(product.get()) != bits) return nullptr;

  // lambda = lcm(p_i - 1); d = e^-1 mod lambda.
  BnPtr lambda = NewBn(), gcd = NewBn(), pm1 = NewBn(), d = NewBn();
  if (!lambda || !gcd || !pm1 || !d || BN_one(lambda.get()) != 1) return nullptr;
  for (const BnPtr& p : primes) {
    if (!BN_copy(pm1.get(), p.get()) || BN_sub_word(pm1.get(), 1) != 1 ||
        BN_gcd(gcd.get(), lambda.get(), pm1.get(), ctx.get()) != 1 ||
        BN_mul(lambda.get(), lambda.get(), pm1.get(), ctx.get()) != 1 ||
        BN_div(lambda.get(), nullptr, lambda.get(), gcd.get(), ctx.get()) != 1)
      return nullptr;
  }
  BN_set_flags(lambda.get(), BN_FLG_CONSTTIME);
  if (!BN_mod_inverse(d.get(), e.get(), lambda.get(), ctx.get())) return nullptr;

  // CRT: d_i = d mod (p_i - 1); coefficient 1 = p_2^-1 mod p_1, coefficient
  // i (i >= 2) = (p_1 ... p_i)^-1 mod p_(i+1) (OpenSSL's numbering).
  static constexpr std::array<const char*, 4> kFactor = {OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                                                         OSSL_PKEY_PARAM_RSA_FACTOR3, OSSL_PKEY_PARAM_RSA_FACTOR4};
  static constexpr std::array<const char*, 4> kExponent = {
      OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_EXPONENT3,
      OSSL_PKEY_PARAM_RSA_EXPONENT4};
  static constexpr std::array<const char*, 3> kCoefficient = {
      OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_COEFFICIENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT3};
  std::vector<BnPtr> keep;  // the builder holds pointers until to_param
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, product.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1)
    return nullptr;
  BnPtr prefix = NewBn();
  if (!prefix || !BN_copy(prefix.get(), primes[0].get())) return nullptr;
  for (size_t i = 0; i < primes.size(); ++i) {
    BnPtr exponent = NewBn();
    if (!exponent || !BN_copy(pm1.get(), primes[i].get()) || BN_sub_word(pm1.get(), 1) != 1 ||
        BN_mod(exponent.get(), d.get(), pm1.get(), ctx.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), kFactor[i], primes[i].get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), kExponent[i], exponent.get()) != 1)
      return nullptr;
    keep.push_back(std::move(exponent));
    if (i == 0) continue;
    BnPtr coefficient = NewBn();
    const BIGNUM* invert = i == 1 ? primes[1].get() : prefix.get();
    const BIGNUM* modulus = i == 1 ? primes[0].get() : primes[i].get();
    if (!coefficient || !BN_mod_inverse(coefficient.get(), invert, modulus, ctx.get()) ||
        OSSL_PARAM_BLD_push_BN(bld.get(), kCoefficient[i - 1], coefficient.get()) != 1 ||
        BN_mul(prefix.get(), prefix.get(), primes[i].get(), ctx.get()) != 1)
      return nullptr;
    keep.push_back(std::move(coefficient));
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr from(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !from || EVP_PKEY_fromdata_init(from.get()) != 1 ||
      EVP_PKEY_fromdata(from.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return nullptr;
  return PkeyPtr(raw);
}

}  // namespace cmk::internal
