// JSON codecs derived from one field list per type.
//
// A type lists its members once, as a `Describe` function found by ADL:
//
//   template <typename F, DescribesAs<VaultState> T>
//   void Describe(F& f, T& v) {
//     f("name", v.name);
//     f("id", v.id, Emit::kIfSet);
//   }
//
// (`T` is const when writing), and EncodeJson / DecodeJson derive both
// directions from that list, so a member can never be written and not read
// back, or read under another name. Values may be strings, booleans,
// integers, Json itself, std::optional, std::vector, std::map<std::string,
// ...>, other described types, the EmptyAs adapter below and adapters with
// a codec of their own (CustomJson).
//
// Decoding never throws. Tolerant (no error list): a missing, null or
// wrongly typed member leaves the default. Strict (an error list): the same,
// and each member written with Emit::kAlways must be present, each value must
// have its type; every problem is recorded with its JSON path. Members the
// list does not name are ignored (readers ignore what they do not know).
// Pure; thread-safe.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/json.h"

namespace cmk {

// `T` is `U` or `const U`: what a Describe overload for U takes.
template <typename T, typename U>
concept DescribesAs = std::same_as<std::remove_const_t<T>, U>;

// When a member is written: always; only when it is set (non-empty string,
// non-zero number, engaged optional, non-empty container or object); never
// (read only).
enum class Emit { kAlways, kIfSet, kNever };

// A string member spelled `word` when empty ("auto", "system"), and read
// back as empty from `word`.
template <typename S>
struct EmptyAsRef {
  S& value;
  const char* word;
};
inline EmptyAsRef<std::string> EmptyAs(std::string& s, const char* word) { return {s, word}; }
inline EmptyAsRef<const std::string> EmptyAs(const std::string& s, const char* word) {
  return {s, word};
}

class JsonEncoder;
class JsonDecoder;

// A value with a codec of its own (an adapter over a variant, say):
// ToJson() writes it, FromJson() reads it (false on a problem, recorded
// through the decoder when strict).
template <typename T>
concept CustomJson = requires(const T& c, const Json& j, JsonDecoder& d, const std::string& p) {
  { c.ToJson() } -> std::same_as<Json>;
  { c.FromJson(j, d, p) } -> std::same_as<bool>;
};

namespace internal {

template <typename T>
concept Described = requires(JsonEncoder& e, const T& v) { Describe(e, v); };

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsStringMap : std::false_type {};
template <typename T>
struct IsStringMap<std::map<std::string, T>> : std::true_type {};

template <typename T>
Json Encode(const T& v);

template <typename T>
bool IsSet(const T& v) {
  if constexpr (std::is_same_v<T, Json>) return !v.is_null();
  else if constexpr (CustomJson<T>) return !v.ToJson().is_null();
  else if constexpr (std::is_same_v<T, std::string>) return !v.empty();
  else if constexpr (std::is_same_v<T, bool>) return v;
  else if constexpr (std::is_arithmetic_v<T>) return v != 0;
  else if constexpr (IsOptional<T>::value) return v.has_value();
  else if constexpr (IsVector<T>::value || IsStringMap<T>::value) return !v.empty();
  else if constexpr (Described<T>) return !Encode(v).empty();
  else return true;
}

}  // namespace internal

class JsonEncoder {
 public:
  template <typename T>
  void operator()(const char* name, const T& value, Emit emit = Emit::kAlways) {
    if (emit == Emit::kNever || (emit == Emit::kIfSet && !internal::IsSet(value))) return;
    out_[name] = internal::Encode(value);
  }
  template <typename S>
  void operator()(const char* name, const EmptyAsRef<S>& a, Emit emit = Emit::kAlways) {
    if (emit == Emit::kNever) return;
    out_[name] = a.value.empty() ? std::string(a.word) : std::string(a.value);
  }
  Json Take() { return std::move(out_); }

 private:
  Json out_ = Json::object();
};

class JsonDecoder {
 public:
  // `errors` null: tolerant. `path` prefixes error messages ("changes[2].request").
  JsonDecoder(const Json& in, std::string path, std::vector<std::string>* errors)
      : in_(in), path_(std::move(path)), errors_(errors) {}

  template <typename T>
  void operator()(const char* name, T& value, Emit emit = Emit::kAlways) {
    // A Json member holds null as a value; anything else reads null as absent.
    const Json* m = Member(name, emit, std::is_same_v<T, Json>);
    if (m != nullptr) Decode(*m, value, Path(name));
  }
  template <typename S>
  void operator()(const char* name, const EmptyAsRef<S>& a, Emit emit = Emit::kAlways) {
    const Json* m = Member(name, emit);
    if (m == nullptr) return;
    std::string s;
    if (!Decode(*m, s, Path(name))) return;
    a.value = s == a.word ? std::string() : s;
  }
  template <CustomJson C>
  void operator()(const char* name, const C& adapter, Emit emit = Emit::kAlways) {
    const Json* m = Member(name, emit, /*null_is_value=*/true);
    if (m != nullptr) adapter.FromJson(*m, *this, Path(name));
  }

  // Decodes `j` into `out`; false (and an error when strict) on a type mismatch.
  template <typename T>
  bool Decode(const Json& j, T& out, const std::string& path);

  void Error(const std::string& path, const std::string& what) {
    if (errors_ != nullptr) errors_->push_back((path.empty() ? std::string("(top)") : path) + ": " + what);
  }
  std::vector<std::string>* errors() const { return errors_; }

 private:
  std::string Path(const char* name) const { return path_.empty() ? name : path_ + "." + name; }
  const Json* Member(const char* name, Emit emit, bool null_is_value = false) {
    if (!in_.is_object()) return nullptr;
    auto it = in_.find(name);
    if (it == in_.end() || (it->is_null() && !null_is_value)) {
      if (emit == Emit::kAlways) Error(Path(name), "missing");
      return nullptr;
    }
    return &*it;
  }

  const Json& in_;
  std::string path_;
  std::vector<std::string>* errors_;
};

namespace internal {

template <typename T>
Json Encode(const T& v) {
  if constexpr (std::is_same_v<T, Json>) {
    return v;
  } else if constexpr (CustomJson<T>) {
    return v.ToJson();
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> || std::is_arithmetic_v<T>) {
    return Json(v);
  } else if constexpr (IsOptional<T>::value) {
    return v ? Encode(*v) : Json();
  } else if constexpr (IsVector<T>::value) {
    Json a = Json::array();
    for (const auto& e : v) a.push_back(Encode(e));
    return a;
  } else if constexpr (IsStringMap<T>::value) {
    Json o = Json::object();
    for (const auto& [k, e] : v) o[k] = Encode(e);
    return o;
  } else {
    static_assert(Described<T>, "no Describe(F&, T&) for this type");
    JsonEncoder e;
    Describe(e, v);
    return e.Take();
  }
}

}  // namespace internal

template <typename T>
bool JsonDecoder::Decode(const Json& j, T& out, const std::string& path) {
  using internal::IsOptional;
  using internal::IsStringMap;
  using internal::IsVector;
  auto fail = [&](const char* what) {
    Error(path, what);
    return false;
  };
  if constexpr (std::is_same_v<T, Json>) {
    out = j;
  } else if constexpr (CustomJson<T>) {
    return out.FromJson(j, *this, path);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return fail("expected a string");
    out = j.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return fail("expected true or false");
    out = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer()) return fail("expected an integer");
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<T>::max());
    if (j.is_number_unsigned()) {
      uint64_t u = j.get<uint64_t>();
      if (u > kMax) return fail("integer out of range");
      out = static_cast<T>(u);
    } else {
      int64_t i = j.get<int64_t>();
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
          (i > 0 && static_cast<uint64_t>(i) > kMax))
        return fail("integer out of range");
      out = static_cast<T>(i);
    }
  } else if constexpr (IsOptional<T>::value) {
    if (j.is_null()) {
      out.reset();
      return true;
    }
    typename T::value_type v{};
    if (!Decode(j, v, path)) return false;
    out = std::move(v);
  } else if constexpr (IsVector<T>::value) {
    if (!j.is_array()) return fail("expected an array");
    T items;
    for (size_t i = 0; i < j.size(); ++i) {
      typename T::value_type v{};
      if (Decode(j[i], v, path + "[" + std::to_string(i) + "]")) items.push_back(std::move(v));
    }
    out = std::move(items);
  } else if constexpr (IsStringMap<T>::value) {
    if (!j.is_object()) return fail("expected an object");
    T items;
    for (auto it = j.begin(); it != j.end(); ++it) {
      typename T::mapped_type v{};
      if (Decode(it.value(), v, path + "." + it.key())) items[it.key()] = std::move(v);
    }
    out = std::move(items);
  } else {
    static_assert(internal::Described<T>, "no Describe(F&, T&) for this type");
    if (!j.is_object()) return fail("expected an object");
    JsonDecoder d(j, path, errors_);
    Describe(d, out);
  }
  return true;
}

template <typename T>
Json EncodeJson(const T& v) {
  return internal::Encode(v);
}

// Tolerant when `errors` is null; see the file comment.
template <typename T>
T DecodeJson(const Json& j, std::vector<std::string>* errors = nullptr, const std::string& path = "") {
  static const Json kNothing;
  T out{};
  JsonDecoder(kNothing, path, errors).Decode(j, out, path);
  return out;
}

}  // namespace cmk
