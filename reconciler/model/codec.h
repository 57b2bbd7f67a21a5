// ToJson / FromJson for every described type (model/describe.h, and the
// engine's own types that describe themselves the same way). FromJson is
// tolerant: a missing or wrongly typed member keeps its default; it never
// throws. For strict reading with errors, use DecodeJson (base/json_codec.h).
#pragma once

#include "base/json_codec.h"
#include "model/describe.h"

namespace cmk {

template <typename T>
Json ToJson(const T& v) {
  return EncodeJson(v);
}

template <typename T>
T FromJson(const Json& j) {
  return DecodeJson<T>(j);
}

}  // namespace cmk
