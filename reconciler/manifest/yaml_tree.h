// YamlNode: a plain tree of one YAML document, with 1-based positions.
//
// This is the only door to yaml-cpp. ParseYaml drives yaml-cpp's event
// parser and builds our own tree, enforcing the loader's guards on the way:
// nesting depth, number of documents, no anchors/aliases (billion laughs),
// no merge keys, no duplicate mapping keys, no explicit tags. yaml-cpp's
// exceptions are caught here and become diagnostics with file:line:col.
// Scalars keep their text and whether they were plain (unquoted), so the
// spec reader can apply cmkctl's strict typing (only plain `true`/`false`
// are booleans). Plain values; ParseYaml is reentrant.
#pragma once

#include <string>
#include <vector>

#include "manifest/diagnostic.h"

namespace cmk {

struct YamlEntry;

struct YamlNode {
  // kInvalid stands for a node already reported (an alias, a subtree past
  // the depth limit): readers skip it silently to avoid cascades.
  enum class Type { kNull, kScalar, kSequence, kMap, kInvalid };
  Type type = Type::kNull;
  std::string value;   // scalar text
  bool plain = false;  // an unquoted scalar
  int line = 0;        // 1-based
  int col = 0;         // 1-based
  std::vector<YamlNode> items;     // sequence items
  std::vector<YamlEntry> entries;  // mapping entries, in file order, unique keys

  bool is_map() const { return type == Type::kMap; }
  bool is_invalid() const { return type == Type::kInvalid; }
  // "a mapping", "a list", "null", "'text'" for messages.
  std::string Describe() const;
};

struct YamlEntry {
  YamlNode key;  // always a scalar
  YamlNode value;
};

struct YamlParseOptions {
  int max_depth = 32;
  size_t max_documents = 10000;  // non-empty documents
  size_t max_entries = 100000;   // per mapping and per list
};

// Parses every non-empty document of `text` (empty documents are skipped and
// do not count towards max_documents). Problems go to `diags` with `file` as their file.
std::vector<YamlNode> ParseYaml(const std::string& text, const std::string& file,
                                const YamlParseOptions& options, DiagnosticList& diags);

}  // namespace cmk
