// The server's own view of an HTTP exchange, independent of cpp-httplib, so
// that routing and handlers never see the HTTP library.
//
// Header names are matched case-insensitively; query values are decoded.
// Plain values; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/header_map.h"

namespace cmk {

struct ServerRequest {
  std::string method;  // upper case
  std::string path;    // decoded, without the query
  HeaderMap headers;
  std::multimap<std::string, std::string> query;
  std::string body;

  std::string Header(const std::string& name) const;
  bool HasQuery(const std::string& name) const;
  std::string Query(const std::string& name) const;  // first value or ""
};

struct ServerResponse {
  int status = 200;
  HeaderMap headers;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  bool drop_connection = false;  // fault injection: close without answering
};

}  // namespace cmk
