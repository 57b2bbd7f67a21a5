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
#include <limits>
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
  int retry_after_seconds = 0;  // > 0: the answer carries Retry-After
};
// How long a client should wait after a 503 that contention caused (the
// sandbox store answering kUnavailable while another process holds its
// database): such locks last milliseconds, so one second, Azure's smallest.
inline constexpr int kBusyRetryAfterSeconds = 1;
// The one mapping from Status to HTTP. `kv` selects Key Vault's status for
// FailedPrecondition (403) vs ARM's (409). kUnavailable is 503
// ServiceUnavailable with a Retry-After, as Azure answers under pressure.
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

// Member types of a request body, checked before a handler reads it: the J*
// readers below skip a member of the wrong type, which would accept
// `"enablePurgeProtection": "yes"` as if it were absent, and an integer that
// does not fit would wrap. Azure refuses both with 400.
enum class JType { kString, kBool, kInt, kObject, kArray };
struct FieldRule {
  // Dotted member path; "[]" steps into each element of an array and "*"
  // into each member of an object: "tags.*", "properties.networkAcls.ipRules[].value".
  std::string path;
  JType type;
  int64_t min = std::numeric_limits<int64_t>::min();  // kInt: the accepted range
  int64_t max = std::numeric_limits<int64_t>::max();
};
struct FieldError {
  std::string path;   // as found: "properties.networkAcls.ipRules[0].value"
  std::string value;  // the offending JSON text, shortened
  FieldRule rule;
  bool out_of_range = false;  // a number of the right kind outside [min, max]
};
// The first member (in rule order) whose type or range is wrong. A JSON null
// member counts as absent (a null array element does not); a container of
// the wrong type stops the walk below it (its own rule reports it).
std::optional<FieldError> CheckFields(const Json& body, const std::vector<FieldRule>& rules);
// ARM: 400 InvalidRequestContent, worded as ARM's deserializer words it.
ServerResponse ArmFieldError(const FieldError& e);
// Key Vault: 400 BadParameter.
ServerResponse KvFieldError(const FieldError& e);
std::string JString(const Json& j, const char* key, const std::string& def = "");
std::optional<bool> JBool(const Json& j, const char* key);
std::optional<int64_t> JInt(const Json& j, const char* key);  // none when it does not fit
const Json& JObject(const Json& j, const char* key);  // {} when absent or not an object
Tags JTags(const Json& j, const char* key);          // string members only
std::vector<std::string> JStrings(const Json& j, const char* key);

}  // namespace cmk
