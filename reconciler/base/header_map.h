// HeaderMap: HTTP header fields by name, any spelling of the name finding
// the same entry (RFC 9110 §5.1: field names are case-insensitive). Shared by
// the Azure client and the sandbox's server. Plain value; thread-compatible.
#pragma once

#include <map>
#include <string>

namespace cmk {

// ASCII case-insensitive ordering.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::map<std::string, std::string, CaseInsensitiveLess>;

}  // namespace cmk
