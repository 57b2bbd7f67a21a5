// SpecReader: typed, strict access to the fields of one YAML mapping.
//
// Every accessor reports its own problems (wrong type, ambiguous YAML 1.1
// boolean, missing required field) to the document's DiagnosticList, with
// the location of the offending value, and returns nullopt. Finish() reports
// fields the kind does not know, with a "did you mean" hint. A null value
// (`size: ~`, `size:`) is an error, never "the default". Not thread-safe; one reader per mapping.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "manifest/diagnostic.h"
#include "manifest/yaml_tree.h"

namespace cmk {

// What a diagnostic about one document needs: where and about what.
struct DocContext {
  std::string file;
  std::string address;  // filled once metadata.name is known
  DiagnosticList* diags = nullptr;

  SourceLoc Loc(const YamlNode& n) const { return {file, n.line, n.col}; }
  void Error(const SourceLoc& loc, const std::string& m) const { diags->Error(loc, address, m); }
  void Warning(const SourceLoc& loc, const std::string& m) const {
    diags->Warning(loc, address, m);
  }
};

// Scalar conversions for a node reached by `path` ("spec.size").
std::optional<std::string> ReadString(const YamlNode& n, const std::string& path,
                                      const DocContext& ctx);
std::optional<bool> ReadBool(const YamlNode& n, const std::string& path, const DocContext& ctx);
std::optional<int64_t> ReadInt(const YamlNode& n, const std::string& path, const DocContext& ctx);

// The closest candidate within edit distance 2, or "".
std::string Suggest(const std::string& word, const std::vector<std::string>& candidates);

class SpecReader {
 public:
  // `path` names the mapping in messages ("spec", "spec.networkAcls");
  // `owner` is where "missing field" errors point (the mapping's key).
  SpecReader(const YamlNode& map, std::string path, SourceLoc owner, const DocContext& ctx,
             std::initializer_list<const char*> known);

  // The value node, or nullptr when absent or null.
  const YamlNode* Find(const std::string& key) const;
  SourceLoc KeyLoc(const std::string& key) const;    // owner when absent
  SourceLoc ValueLoc(const std::string& key) const;  // owner when absent

  std::optional<std::string> String(const std::string& key, bool required = false);
  std::optional<bool> Bool(const std::string& key);
  std::optional<int64_t> Int(const std::string& key, bool required = false);
  std::optional<std::vector<std::string>> StringList(const std::string& key);
  std::optional<Tags> StringMap(const std::string& key);
  // The mapping node under `key`; nullptr (after an error) when not a mapping.
  const YamlNode* Map(const std::string& key, bool required = false);
  void Missing(const std::string& key) const;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& key) const { return path_ + "." + key; }
  const DocContext& ctx() const { return ctx_; }

  // Reports unknown fields. Call once, after reading.
  void Finish() const;

 private:
  const YamlEntry* Entry(const std::string& key) const;

  const YamlNode& map_;
  std::string path_;
  SourceLoc owner_;
  const DocContext& ctx_;
  std::vector<std::string> known_;
  mutable std::set<std::string> null_reported_;  // each null field reported once
};

}  // namespace cmk
