// SecureBytes: cleanse before the memory goes back to the allocator.
#include <openssl/crypto.h>

#include "crypto/crypto.h"

namespace cmk {
namespace {

void Cleanse(Bytes& b) {
  // capacity, not size: bytes past size() may still hold old key material.
  if (b.capacity() > 0) OPENSSL_cleanse(b.data(), b.capacity());
  b.clear();
}

}  // namespace

void CleanseString(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

SecureBytes& SecureBytes::operator=(const SecureBytes& o) {
  if (this != &o) {
    Cleanse(b_);
    b_ = o.b_;
  }
  return *this;
}

SecureBytes::SecureBytes(SecureBytes&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }

SecureBytes& SecureBytes::operator=(SecureBytes&& o) noexcept {
  if (this != &o) {
    Cleanse(b_);
    b_ = std::move(o.b_);
    o.b_.clear();
  }
  return *this;
}

SecureBytes::~SecureBytes() { Cleanse(b_); }

void SecureBytes::clear() { Cleanse(b_); }

}  // namespace cmk
