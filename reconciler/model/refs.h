// References to Azure objects: what a read asks for and what a request acts
// on. An ARM object is named by subscription, resource group and name; a key
// by its vault (vault names are global) and name; a key version adds its id.
// Plain values; no I/O.
#pragma once

#include <string>

#include "base/json_codec.h"

namespace cmk {

struct ArmRef {
  std::string subscription;
  std::string resource_group;
  std::string name;
  bool operator==(const ArmRef&) const = default;
};

struct KeyRef {
  std::string vault;
  std::string name;
  bool operator==(const KeyRef&) const = default;
};

struct KeyVersionRef {
  std::string vault;
  std::string name;
  std::string version;  // "" = the newest
  bool operator==(const KeyVersionRef&) const = default;
};

template <typename F, DescribesAs<ArmRef> T>
void Describe(F& f, T& v) {
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("name", v.name);
}

template <typename F, DescribesAs<KeyRef> T>
void Describe(F& f, T& v) {
  f("vault", v.vault);
  f("name", v.name);
}

}  // namespace cmk
