#include "test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

namespace cmk {

Json LoadVectors(const std::string& relative) {
  std::string path = std::string(CMK_TEST_DATA_DIR) + "/" + relative;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "bad JSON in " << path;
  return j;
}

Bytes Hex(const std::string& hex) {
  Result<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << "bad hex in a test vector";
  return b.ok() ? *b : Bytes{};
}

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

PrivateKey RsaKeyFromPem(const std::string& pem) {
  PrivateKey key;
  key.kty = "RSA";
  key.material = SecureBytes(ToBytes(pem));
  return key;
}

const PrivateKey& CachedKey(const std::string& kty, int bits, const std::string& crv) {
  static std::mutex mu;
  static std::map<std::string, PrivateKey> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::string id = kty + "/" + std::to_string(bits) + "/" + crv;
  auto it = cache.find(id);
  if (it == cache.end()) {
    Result<PrivateKey> key = GenerateKey(kty, bits, crv);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    it = cache.emplace(id, key.ok() ? std::move(key).value() : PrivateKey{}).first;
  }
  return it->second;
}

int Tally::skipped() const {
  int n = 0;
  for (const auto& [reason, count] : skipped_) n += count;
  return n;
}

void Tally::Print() const {
  std::cout << "[vectors] " << file_ << ": " << passed_ << " passed, ";
  if (failed_ > 0) std::cout << failed_ << " FAILED, ";
  std::cout << skipped() << " skipped";
  if (!skipped_.empty()) {
    std::cout << " (";
    bool first = true;
    for (const auto& [reason, count] : skipped_) {
      std::cout << (first ? "" : "; ") << count << " " << reason;
      first = false;
    }
    std::cout << ")";
  }
  std::cout << "\n";
}

}  // namespace cmk::testing
