#include "evidence/redact.h"

#include <gtest/gtest.h>

namespace cmk {
namespace {

TEST(RedactArguments, SecretOptionValuesAndSecretLookingValues) {
  std::vector<std::string> args = {
      "apply", "-f", "manifests/bank", "--client-secret", "s3cr3t", "--token=abc",
      "--evidence", "out/evidence", "https://x.blob.core.windows.net/c?sv=1&sig=AbC%2F",
      "eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxIn0.c2lnbmF0dXJl", "Bearer abc.def",
      "-----BEGIN PRIVATE KEY-----", "--auto-approve"};
  std::vector<std::string> want = {
      "apply", "-f", "manifests/bank", "--client-secret", "[redacted]", "--token=[redacted]",
      "--evidence", "out/evidence", "[redacted]", "[redacted]", "[redacted]", "[redacted]",
      "--auto-approve"};
  EXPECT_EQ(RedactArguments(args), want);
}

TEST(RedactArguments, OrdinaryArgumentsPassUnchanged) {
  std::vector<std::string> args = {"drift", "--evidence-key", "keys/evidence.pem", "--key",
                                   "bank-cmk", "--credential", "cli", "--format", "json"};
  EXPECT_EQ(RedactArguments(args), args);
}

}  // namespace
}  // namespace cmk
