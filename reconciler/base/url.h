// Percent-encoding (RFC 3986) for query values and form bodies, as both the
// Azure client and the sandbox server write them. Pure; thread-safe.
#pragma once

#include <string>

namespace cmk {

// Every byte but the unreserved characters (A-Z a-z 0-9 - _ . ~) becomes %XX
// with upper-case hex.
std::string UrlEncode(const std::string& s);

}  // namespace cmk
