// ForwardingProvider: a Provider that passes every call to another one.
//
// Subclass it and override only the calls to observe or break (leveldb's
// EnvWrapper): tests use it to record calls and inject faults, such as a vault
// whose unwrap returns corrupted bytes. Not thread-safe (neither is Provider).
#pragma once

#include "provider/provider.h"

namespace cmk {

class ForwardingProvider : public Provider {
 public:
  explicit ForwardingProvider(Provider& target) : target_(target) {}

  TargetInfo Target() const override { return target_.Target(); }
  int64_t Now() const override { return target_.Now(); }
  std::string VaultDnsSuffix() const override { return target_.VaultDnsSuffix(); }
  std::vector<ConsumerKind> ConsumerKinds() const override { return target_.ConsumerKinds(); }

#define CMK_FORWARD_(Operation, Request, Answer)                                  \
  ProviderResult<Answer> Operation(const ::cmk::Request& request) override {     \
    return target_.Operation(request);                                            \
  }
  CMK_PROVIDER_OPERATIONS(CMK_FORWARD_)
#undef CMK_FORWARD_
  // GetKeys is deliberately not forwarded: Provider's default calls GetKey,
  // so a subclass that overrides GetKey sees batched reads too.

 protected:
  Provider& target_;
};

}  // namespace cmk
