// Helpers for the crypto tests: loading the shared test vectors, hex/bytes
// shortcuts, per-file vector tallies and a cache of generated keys (RSA key
// generation is slow, so each kind is generated at most once per run).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "crypto/crypto.h"

namespace cmk {

using Json = nlohmann::json;

// Parses CMK_TEST_DATA_DIR/<relative> (tests/data/); fails the test if unreadable.
Json LoadVectors(const std::string& relative);

// Hex to bytes; aborts the test on bad hex (the vectors are trusted input).
Bytes Hex(const std::string& hex);
Bytes ToBytes(const std::string& s);
std::string ToString(const Bytes& b);

// A private key built from a PEM string (as the Wycheproof groups give it).
PrivateKey RsaKeyFromPem(const std::string& pem);

// Generated once per process.
const PrivateKey& CachedKey(const std::string& kty, int bits, const std::string& crv);

// Counts vectors per file and prints "file: N passed, M skipped (reason)"
// (plus "F failed" when any failed).
class Tally {
 public:
  explicit Tally(std::string file) : file_(std::move(file)) {}
  // One vector that ran; `passed` is false when any of its checks failed.
  void Record(bool passed) { ++(passed ? passed_ : failed_); }
  void Skip(const std::string& reason) { ++skipped_[reason]; }
  int ran() const { return passed_ + failed_; }
  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int skipped() const;
  void Print() const;  // to stdout

 private:
  std::string file_;
  int passed_ = 0;
  int failed_ = 0;
  std::map<std::string, int> skipped_;
};

}  // namespace cmk::testing
