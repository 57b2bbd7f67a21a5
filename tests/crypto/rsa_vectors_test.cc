// Wycheproof RSA-OAEP (SHA-1, SHA-256; 2048/3072/4096) and RSAES-PKCS1-v1_5
// decryption vectors, run through the public Unwrap API.
#include <gtest/gtest.h>

#include <set>

#include "test_util.h"

namespace cmk {
namespace {

bool HasFlag(const Json& test, const std::string& flag) {
  for (const Json& f : test["flags"]) {
    if (f == flag) return true;
  }
  return false;
}

// Item 6 of the README: the JWK (n, e) of the group, imported by our parser,
// must equal the PEM key's public half and wrap a DEK the PEM key unwraps.
// The full private JWK must import too and unwrap the same DEK.
void CheckJwkImport(const Json& group, const LoadedKey& pem_key, WrapAlg alg) {
  if (!group.contains("privateKeyJwk")) return;
  const Json& jwk = group["privateKeyJwk"];
  Json pub = {{"kty", jwk["kty"]}, {"n", jwk["n"]}, {"e", jwk["e"]}};
  Result<PublicJwk> parsed = ParsePublicJwk(pub.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  Result<PublicJwk> from_pem = PublicJwkOf(pem_key);
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(parsed->n, from_pem->n);
  EXPECT_EQ(parsed->e, from_pem->e);

  Result<SecureBytes> dek = GenerateDek();
  ASSERT_TRUE(dek.ok());
  Result<Bytes> wrapped = WrapWithPublic(*parsed, alg, dek->bytes());
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  Result<SecureBytes> back = Unwrap(pem_key, alg, *wrapped);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(ConstantTimeEqual(back->bytes(), dek->bytes()));

  Result<PrivateKey> imported = RsaPrivateFromJwk(jwk.dump());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  Result<SecureBytes> back2 = Unwrap(*imported, alg, *wrapped);
  ASSERT_TRUE(back2.ok()) << back2.status().ToString();
  EXPECT_TRUE(ConstantTimeEqual(back2->bytes(), dek->bytes()));
}

struct OaepRun {
  Tally tally;
  std::set<std::string> padding_errors;  // distinct statuses of InvalidOaepPadding
};

// Runs one OAEP group's applicable tests. `filter` decides per test whether it
// applies (nullptr: all with an empty label).
void RunOaepGroup(const Json& group, OaepRun& run, bool check_jwk) {
  std::string sha = group["sha"];
  WrapAlg alg = sha == "SHA-1" ? WrapAlg::kRsaOaep : WrapAlg::kRsaOaep256;
  Result<LoadedKey> key = LoadPrivateKey(RsaKeyFromPem(group["privateKeyPem"]));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  if (check_jwk) CheckJwkImport(group, *key, alg);
  for (const Json& test : group["tests"]) {
    if (!test["label"].get<std::string>().empty()) {
      run.tally.Skip("EncryptionWithLabel: Key Vault has no OAEP label");
      continue;
    }
    int tc = test["tcId"];
    std::string result = test["result"];
    SCOPED_TRACE("tcId " + std::to_string(tc) + " (" + result + ")");
    Result<SecureBytes> out = Unwrap(*key, alg, Hex(test["ct"]));
    bool ok;
    if (result == "valid") {
      ok = out.ok() && out->bytes() == Hex(test["msg"]);
      EXPECT_TRUE(ok) << (out.ok() ? "wrong plaintext" : out.status().ToString());
    } else if (result == "invalid") {
      ok = !out.ok();
      EXPECT_TRUE(ok) << "invalid ciphertext was accepted";
      if (!out.ok() && HasFlag(test, "InvalidOaepPadding")) {
        run.padding_errors.insert(out.status().ToString());
      }
    } else {  // acceptable: either outcome, but a success must be right
      ok = !out.ok() || out->bytes() == Hex(test["msg"]);
      EXPECT_TRUE(ok);
    }
    run.tally.Record(ok);
  }
}

void RunOaepFile(const std::string& file, int expected_run, int expected_skipped) {
  Json doc = LoadVectors("wycheproof/" + file);
  OaepRun run{Tally(file), {}};
  for (const Json& group : doc["testGroups"]) RunOaepGroup(group, run, /*check_jwk=*/true);
  run.tally.Print();
  EXPECT_EQ(run.tally.failed(), 0);
  EXPECT_EQ(run.tally.ran(), expected_run);
  EXPECT_EQ(run.tally.skipped(), expected_skipped);
  EXPECT_EQ(run.tally.ran() + run.tally.skipped(), doc["numberOfTests"].get<int>());
  // No Manger-style oracle: every bad-padding case fails the same way.
  EXPECT_EQ(run.padding_errors.size(), 1u);
}

// README: 36 tests, 7 with a label.
TEST(WycheproofRsaOaep, Sha1Rsa2048) { RunOaepFile("rsa_oaep_2048_sha1_mgf1sha1_test.json", 29, 7); }
// README: 37 tests each, 8 with a label.
TEST(WycheproofRsaOaep, Sha256Rsa2048) { RunOaepFile("rsa_oaep_2048_sha256_mgf1sha256_test.json", 29, 8); }
TEST(WycheproofRsaOaep, Sha256Rsa3072) { RunOaepFile("rsa_oaep_3072_sha256_mgf1sha256_test.json", 29, 8); }
TEST(WycheproofRsaOaep, Sha256Rsa4096) { RunOaepFile("rsa_oaep_4096_sha256_mgf1sha256_test.json", 29, 8); }

TEST(WycheproofRsaOaep, MiscRelevantGroups) {
  const std::string file = "rsa_oaep_misc_test.json";
  Json doc = LoadVectors("wycheproof/" + file);
  OaepRun run{Tally(file), {}};
  std::set<int> ran_ids;
  for (const Json& group : doc["testGroups"]) {
    std::string sha = group["sha"];
    int bits = group["keySize"];
    bool relevant = sha == group["mgfSha"].get<std::string>() && (sha == "SHA-1" || sha == "SHA-256") &&
                    (bits == 2048 || bits == 3072 || bits == 4096);
    if (!relevant) {
      for (size_t i = 0; i < group["tests"].size(); ++i) {
        run.tally.Skip("hash pair or key size Key Vault does not offer");
      }
      continue;
    }
    for (const Json& test : group["tests"]) ran_ids.insert(test["tcId"].get<int>());
    RunOaepGroup(group, run, /*check_jwk=*/false);
  }
  run.tally.Print();
  EXPECT_EQ(run.tally.failed(), 0);
  EXPECT_EQ(run.tally.ran(), 18);  // README: 18 relevant tests
  EXPECT_EQ(run.tally.ran() + run.tally.skipped(), doc["numberOfTests"].get<int>());
  std::set<int> expected = {121, 122, 123, 157, 158, 159, 196, 197, 198,
                            217, 218, 219, 256, 257, 258, 277, 278, 279};
  EXPECT_EQ(ran_ids, expected);
}

TEST(WycheproofRsaPkcs1, Rsa2048DecryptIsStrict) {
  const std::string file = "rsa_pkcs1_2048_test.json";
  Json doc = LoadVectors("wycheproof/" + file);
  Tally tally(file);
  std::set<std::string> padding_errors;
  int valid = 0, invalid = 0;
  for (const Json& group : doc["testGroups"]) {
    Result<LoadedKey> key = LoadPrivateKey(RsaKeyFromPem(group["privateKeyPem"]));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    for (const Json& test : group["tests"]) {
      int tc = test["tcId"];
      std::string result = test["result"];
      SCOPED_TRACE("tcId " + std::to_string(tc) + " (" + result + ")");
      Result<SecureBytes> out = Unwrap(*key, WrapAlg::kRsa15, Hex(test["ct"]));
      bool ok;
      if (result == "valid") {
        ++valid;
        ok = out.ok() && out->bytes() == Hex(test["msg"]);
        EXPECT_TRUE(ok) << (out.ok() ? "wrong plaintext" : out.status().ToString());
      } else {
        ++invalid;
        // Stricter than the README's "error or different bytes": implicit
        // rejection is off, so every invalid ciphertext must be an error.
        ok = !out.ok();
        EXPECT_TRUE(ok) << "invalid PKCS#1 ciphertext returned a plaintext";
        if (!out.ok() && HasFlag(test, "InvalidPkcs1Padding")) padding_errors.insert(out.status().ToString());
      }
      tally.Record(ok);
    }
  }
  tally.Print();
  EXPECT_EQ(tally.failed(), 0);
  EXPECT_EQ(tally.ran(), 67);
  EXPECT_EQ(valid, 42);
  EXPECT_EQ(invalid, 25);
  EXPECT_EQ(padding_errors.size(), 1u);
}

}  // namespace
}  // namespace cmk::testing
