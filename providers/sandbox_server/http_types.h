// The server's own view of an HTTP exchange, independent of cpp-httplib, so
// that routing and handlers never see the HTTP library.
//
// Header names are matched case-insensitively; query values are decoded.
// Plain values; thread-compatible.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "base/header_map.h"

namespace cmk {

// The largest request body accepted, sized or chunked: ARM's limit
// (RequestContentTooLarge, "exceeds the maximum size of 4 MB"). Larger
// bodies are refused before they are read (413).
inline constexpr size_t kMaxRequestBodyBytes = 4 * 1024 * 1024;

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
  // Close after answering: the request's body was left unread (refused from
  // its headers), so the connection cannot carry another request.
  bool close_connection = false;
};

}  // namespace cmk
