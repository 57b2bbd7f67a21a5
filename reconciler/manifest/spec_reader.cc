#include "manifest/spec_reader.h"

#include <algorithm>
#include <limits>
#include <set>

namespace cmk {
namespace {

// YAML 1.1 spellings of booleans other than the YAML 1.2 core `true`/`false`.
bool IsAmbiguousBool(const std::string& v) {
  static const std::set<std::string> kWords = {
      "y",   "Y",    "yes",  "Yes",  "YES",   "n",     "N",     "no",   "No",  "NO",
      "on",  "On",   "ON",   "off",  "Off",   "OFF",   "True",  "TRUE", "False", "FALSE"};
  return kWords.count(v) > 0;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::optional<std::string> ReadString(const YamlNode& n, const std::string& path,
                                      const DocContext& ctx) {
  if (n.is_invalid()) return std::nullopt;
  if (n.type != YamlNode::Type::kScalar) {
    ctx.Error(ctx.Loc(n), path + ": expected a string, got " + n.Describe());
    return std::nullopt;
  }
  if (n.plain && (n.value == "true" || n.value == "false")) {
    ctx.Error(ctx.Loc(n), path + ": expected a string, got the boolean " + n.value +
                              ": quote it if you mean the text");
    return std::nullopt;
  }
  return n.value;
}

std::optional<bool> ReadBool(const YamlNode& n, const std::string& path, const DocContext& ctx) {
  if (n.is_invalid()) return std::nullopt;
  if (n.type == YamlNode::Type::kScalar && n.plain) {
    if (n.value == "true") return true;
    if (n.value == "false") return false;
    if (IsAmbiguousBool(n.value)) {
      ctx.Error(ctx.Loc(n), path + ": ambiguous YAML 1.1 boolean '" + n.value +
                                "': write true or false");
      return std::nullopt;
    }
  }
  std::string got = n.type == YamlNode::Type::kScalar && !n.plain
                        ? "the string " + n.Describe()
                        : n.Describe();
  ctx.Error(ctx.Loc(n), path + ": expected a boolean (true or false), got " + got);
  return std::nullopt;
}

std::optional<int64_t> ReadInt(const YamlNode& n, const std::string& path, const DocContext& ctx) {
  if (n.is_invalid()) return std::nullopt;
  if (n.type == YamlNode::Type::kScalar && n.plain && !n.value.empty()) {
    size_t start = n.value[0] == '-' ? 1 : 0;
    bool digits = start < n.value.size() &&
                  std::all_of(n.value.begin() + start, n.value.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      // Every integer field is a 32-bit int downstream: check in that width,
      // so 4294967297 is refused rather than wrapped to 1.
      size_t significant = n.value.find_first_not_of('0', start);
      bool too_long = significant != std::string::npos && n.value.size() - significant > 10;
      int64_t v = too_long ? 0 : std::stoll(n.value);
      if (too_long || v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min()) {
        ctx.Error(ctx.Loc(n), path + ": " + (n.value.size() > 24 ? n.value.substr(0, 24) + "..." : n.value) +
                                  " is out of range for an integer here (at most " +
                                  std::to_string(std::numeric_limits<int32_t>::max()) + ")");
        return std::nullopt;
      }
      return v;
    }
  }
  std::string got = n.type == YamlNode::Type::kScalar && !n.plain
                        ? "the string " + n.Describe()
                        : n.Describe();
  ctx.Error(ctx.Loc(n), path + ": expected an integer, got " + got);
  return std::nullopt;
}

SpecReader::SpecReader(const YamlNode& map, std::string path, SourceLoc owner,
                       const DocContext& ctx, std::initializer_list<const char*> known)
    : map_(map), path_(std::move(path)), owner_(std::move(owner)), ctx_(ctx) {
  for (const char* k : known) known_.push_back(k);
}

const YamlEntry* SpecReader::Entry(const std::string& key) const {
  for (const auto& e : map_.entries)
    if (e.key.value == key) return &e;
  return nullptr;
}

const YamlNode* SpecReader::Find(const std::string& key) const {
  const YamlEntry* e = Entry(key);
  if (e == nullptr) return nullptr;
  if (e->value.type == YamlNode::Type::kNull) {
    // `size: ~` or `size:` would silently mean "the default": say so instead.
    if (null_reported_.insert(key).second)
      ctx_.Error(ctx_.Loc(e->key), Path(key) + ": no value (null): give a value, or remove the "
                                               "field to use its default");
    return nullptr;
  }
  return &e->value;
}

SourceLoc SpecReader::KeyLoc(const std::string& key) const {
  const YamlEntry* e = Entry(key);
  return e == nullptr ? owner_ : ctx_.Loc(e->key);
}

SourceLoc SpecReader::ValueLoc(const std::string& key) const {
  const YamlEntry* e = Entry(key);
  if (e == nullptr) return owner_;
  // A null value has no position of its own worth pointing at: use the key.
  return e->value.type == YamlNode::Type::kNull ? ctx_.Loc(e->key) : ctx_.Loc(e->value);
}

void SpecReader::Missing(const std::string& key) const {
  ctx_.Error(owner_, "missing required field '" + key + "' in " + path_);
}

std::optional<std::string> SpecReader::String(const std::string& key, bool required) {
  const YamlNode* n = Find(key);
  if (n == nullptr) {
    if (required) Missing(key);
    return std::nullopt;
  }
  return ReadString(*n, Path(key), ctx_);
}

std::optional<bool> SpecReader::Bool(const std::string& key) {
  const YamlNode* n = Find(key);
  return n == nullptr ? std::nullopt : ReadBool(*n, Path(key), ctx_);
}

std::optional<int64_t> SpecReader::Int(const std::string& key, bool required) {
  const YamlNode* n = Find(key);
  if (n == nullptr) {
    if (required) Missing(key);
    return std::nullopt;
  }
  return ReadInt(*n, Path(key), ctx_);
}

std::optional<std::vector<std::string>> SpecReader::StringList(const std::string& key) {
  const YamlNode* n = Find(key);
  if (n == nullptr || n->is_invalid()) return std::nullopt;
  if (n->type != YamlNode::Type::kSequence) {
    ctx_.Error(ctx_.Loc(*n), Path(key) + ": expected a list of strings, got " + n->Describe());
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < n->items.size(); ++i) {
    auto s = ReadString(n->items[i], Path(key) + "[" + std::to_string(i) + "]", ctx_);
    if (s) out.push_back(*s);
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Tags> SpecReader::StringMap(const std::string& key) {
  const YamlNode* n = Find(key);
  if (n == nullptr || n->is_invalid()) return std::nullopt;
  if (!n->is_map()) {
    ctx_.Error(ctx_.Loc(*n), Path(key) + ": expected a mapping of strings, got " + n->Describe());
    return std::nullopt;
  }
  Tags out;
  bool ok = true;
  for (const auto& e : n->entries) {
    auto s = ReadString(e.value, Path(key) + "." + e.key.value, ctx_);
    if (s) out[e.key.value] = *s;
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

const YamlNode* SpecReader::Map(const std::string& key, bool required) {
  const YamlNode* n = Find(key);
  if (n == nullptr) {
    if (required) Missing(key);
    return nullptr;
  }
  if (n->is_invalid()) return nullptr;
  if (!n->is_map()) {
    ctx_.Error(ctx_.Loc(*n), Path(key) + ": expected a mapping, got " + n->Describe());
    return nullptr;
  }
  return n;
}

void SpecReader::Finish() const {
  for (const auto& e : map_.entries) {
    if (std::find(known_.begin(), known_.end(), e.key.value) != known_.end()) continue;
    std::string hint = Suggest(e.key.value, known_);
    std::string message = "unknown field '" + e.key.value + "' in " + path_;
    if (!hint.empty()) {
      message += " (did you mean '" + hint + "'?)";
    } else {
      message += " (known fields:";
      for (size_t i = 0; i < known_.size(); ++i) message += (i ? ", " : " ") + known_[i];
      message += ")";
    }
    ctx_.Error(ctx_.Loc(e.key), message);
  }
}

}  // namespace cmk
