// Version-aware part of a plan: per key, the table of its versions with the
// consumers on each, upcoming dates, inventory notes and blocked retirements.
//
// Plain values computed by Diff (diff_versions.cc) from live versions and the
// storage accounts' read-back evidence; rendered by the views and carried in
// the plan's JSON (`keys`). Informational: apply never reads it. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/json_codec.h"
#include "model/state.h"

namespace cmk {

struct VersionRow {
  std::string version;  // 32 hex
  int64_t created = 0;
  std::optional<int64_t> expires;
  bool enabled = true;
  int64_t generation = 0;  // the cmkctl-generation tag, 0 when absent
  // "storage/bankdata01 (auto)", "storage/exports01 (pinned)", sorted.
  std::vector<std::string> consumers;
};

// One inventory finding about a key and its consumers, for `show`, the plan
// and drift jobs: kind is "no-policy", "pinned", "lagging" or "stale";
// subject is the consumer ("storage/NAME") or the version (32 hex) it is
// about (the key's address for "no-policy").
struct Finding {
  std::string kind;
  std::string subject;
  std::string message;
};

struct KeyVersions {
  std::string address;               // key/NAME
  std::vector<VersionRow> versions;  // oldest first
  // "next rotation 2027-01-01T00:00:00Z (rotateAfterCreate P1Y)", ...
  std::vector<std::string> upcoming;
  // Inventory: no policy, pinned bindings, lagging consumers, stale versions
  // (in that order; each group by subject).
  std::vector<Finding> findings;
  // "blocked: version 3f2a… still used by storage/x (pinned)".
  std::vector<std::string> blocked;
};

// Times as RFC 3339 text in the plan's JSON.
template <typename T>  // int64_t or std::optional<int64_t>, maybe const
struct Rfc3339Field {
  T& value;
  Json ToJson() const {
    if constexpr (std::is_same_v<std::remove_const_t<T>, std::optional<int64_t>>)
      return value ? Json(FormatRfc3339(*value)) : Json();
    else
      return Json(FormatRfc3339(value));
  }
  bool FromJson(const Json& j, JsonDecoder& d, const std::string& path) const {
    if constexpr (std::is_same_v<std::remove_const_t<T>, std::optional<int64_t>>) {
      if (j.is_null()) {
        value.reset();
        return true;
      }
    }
    if (!j.is_string()) {
      d.Error(path, "expected an RFC 3339 time");
      return false;
    }
    Result<int64_t> t = ParseRfc3339(j.get<std::string>());
    if (!t.ok()) {
      d.Error(path, t.status().message());
      return false;
    }
    value = *t;
    return true;
  }
};
template <typename T>
Rfc3339Field<T> Rfc3339(T& v) {
  return {v};
}

template <typename F, DescribesAs<VersionRow> T>
void Describe(F& f, T& v) {
  f("version", v.version);
  f("created", Rfc3339(v.created));
  f("expires", Rfc3339(v.expires));
  f("enabled", v.enabled);
  f("generation", v.generation, Emit::kIfSet);
  f("consumers", v.consumers);
}

template <typename F, DescribesAs<Finding> T>
void Describe(F& f, T& v) {
  f("kind", v.kind);
  f("subject", v.subject);
  f("message", v.message);
}

template <typename F, DescribesAs<KeyVersions> T>
void Describe(F& f, T& k) {
  f("address", k.address);
  f("versions", k.versions);
  f("upcoming", k.upcoming);
  f("findings", k.findings);
  f("blocked", k.blocked);
}

// Text rendering of every key's table (used by text and Markdown views).
// Versions are shortened to 8 characters. "" when `keys` is empty.
std::string RenderKeyVersionsText(const std::vector<KeyVersions>& keys);
std::string RenderKeyVersionsMarkdown(const std::vector<KeyVersions>& keys);

}  // namespace cmk
