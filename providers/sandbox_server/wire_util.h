// Small helpers shared by the server's handlers: case folding, path
// segments, Azure error envelopes built from the cloud's Status values,
// opaque paging tokens, and non-throwing reads of request JSON.
//
// Error mapping: SandboxCloud messages read "<AzureCode>: <text>"; the code
// becomes the envelope's "code" and the text its "message". Statuses without
// such a prefix get a generic code for their HTTP status. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/url.h"  // UrlEncode
#include "model/state.h"
#include "sandbox_server/http_types.h"

namespace cmk {

std::vector<std::string> SplitPath(const std::string& path);  // non-empty segments

struct WireError {
  int http = 500;
  std::string code;
  std::string message;
};
// `kv` selects Key Vault's status for FailedPrecondition (403) vs ARM's (409).
WireError ToWireError(const Status& status, bool kv);

ServerResponse JsonResponse(int status, const Json& body);
// ARM: {"error":{"code","message"}}.
ServerResponse ArmError(int status, const std::string& code, const std::string& message);
ServerResponse ArmError(const Status& status);
// Key Vault: {"error":{"code","message"[,"innererror"]}}; codes Azure nests
// under a generic one (ObjectIsDeletedButRecoverable under Conflict) are
// rendered that way.
ServerResponse KvError(int status, const std::string& code, const std::string& message);
ServerResponse KvError(const Status& status);

// Paging: an opaque token for an offset into a sorted list.
std::string EncodeSkipToken(size_t offset);
std::optional<size_t> DecodeSkipToken(const std::string& token);

// Parses a JSON object body; an empty body is {}.
Result<Json> ParseBody(const std::string& body);
std::string JString(const Json& j, const char* key, const std::string& def = "");
std::optional<bool> JBool(const Json& j, const char* key);
std::optional<int64_t> JInt(const Json& j, const char* key);
const Json& JObject(const Json& j, const char* key);  // {} when absent or not an object
Tags JTags(const Json& j, const char* key);          // string members only
std::vector<std::string> JStrings(const Json& j, const char* key);

}  // namespace cmk
