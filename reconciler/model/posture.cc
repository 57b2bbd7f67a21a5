#include "model/posture.h"

namespace cmk {

const std::vector<std::string>& PostureRuleIds() {
  static const std::vector<std::string> kIds = {
      "purge-protection",      "soft-delete-retention", "hsm-keys",
      "rsa-min-size",          "allowed-curves",        "rotation-policy-required",
      "rotation-interval-max", "expiry-required",       "notify-before-expiry-min",
      "network-deny",          "version-max-age",       "auto-bindings",
      "rbac-required"};
  return kIds;
}

}  // namespace cmk
