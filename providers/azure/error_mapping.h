// Azure error envelopes (ARM ErrorResponse/CloudError, KeyVaultError with
// nested innererror) turned into Status values that name the object.
//
// 400 -> kInvalidArgument, 401/403 -> kPermissionDenied (a vault firewall
// refusal says so and names the vault), 404 -> kNotFound, 409 -> kConflict
// (soft-deleted names explained), 408/429/5xx -> kUnavailable, others
// kInternal. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "azure/http_transport.h"
#include "base/status.h"

namespace cmk {

struct AzureError {
  std::string code;
  std::string message;
  std::vector<std::string> inner_codes;  // innererror chain, then details[].code
  std::vector<std::string> inner_messages;
  bool HasCode(const std::string& code) const;  // outer or inner, case-insensitive
};

AzureError ParseAzureError(const std::string& body);

// `object` like "vault bank-kv" or "key bank-kv/cmk"; `operation` like "create".
Status StatusFromResponse(const HttpResponse& response, const std::string& operation,
                          const std::string& object);

}  // namespace cmk
