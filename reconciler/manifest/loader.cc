#include "manifest/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "manifest/documents.h"
#include "manifest/resolver.h"
#include "manifest/yaml_tree.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

// Longer lines (minified or generated YAML) are not echoed under a diagnostic.
constexpr size_t kMaxShownLine = 240;

bool IsManifestName(const fs::path& p) {
  std::string ext = p.extension().string();
  return (ext == ".yaml" || ext == ".yml") && p.filename() != kSandboxSeedFile;
}

// Expands the arguments into the sorted, unique list of files to read.
std::vector<std::string> ListFiles(const std::vector<std::string>& paths, DiagnosticList& diags) {
  std::set<std::string> files;
  for (const std::string& arg : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) {
      diags.Error({arg, 0, 0}, "", "no such file or directory");
    } else if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (fs::directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec)) {
        if (!IsManifestName(it->path())) continue;
        std::string path = (fs::path(arg) / it->path().filename()).lexically_normal().string();
        // A *.yaml that is not a regular file (a dangling link, a FIFO, a
        // link to a device) is named, never skipped: a skipped manifest is a
        // silently missing resource.
        std::error_code file_ec;
        fs::file_status file_st = fs::status(it->path(), file_ec);
        if (file_ec || !fs::exists(file_st))
          diags.Error({path, 0, 0}, "", "cannot read: a broken link or unreadable entry");
        else if (!fs::is_regular_file(file_st))
          diags.Error({path, 0, 0}, "", "not a regular file; a manifest must be one");
        else
          found.push_back(path);
      }
      if (ec) diags.Error({arg, 0, 0}, "", "cannot list directory: " + ec.message());
      files.insert(found.begin(), found.end());
    } else if (fs::is_regular_file(st)) {
      files.insert(fs::path(arg).lexically_normal().string());
    } else {
      diags.Error({arg, 0, 0}, "", "not a regular file or directory");
    }
  }
  return {files.begin(), files.end()};
}

// YAML forbids tabs in indentation; yaml-cpp's own messages for them are
// confusing, so report them first and skip the file.
bool CheckTabs(const std::string& text, const std::string& file, DiagnosticList& diags) {
  bool ok = true;
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    for (size_t i = start; i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '-'); ++i) {
      if (text[i] == '\t') {
        diags.Error({file, line, static_cast<int>(i - start) + 1}, "",
                    "tab character in indentation: YAML indents with spaces");
        ok = false;
        break;
      }
    }
    start = end + 1;
    ++line;
  }
  return ok;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

LoadResult LoadManifests(const std::vector<std::string>& paths, const LoadOptions& options) {
  LoadResult result;
  DiagnosticList diags;
  std::map<std::string, std::vector<std::string>> sources;  // file -> lines
  std::vector<ParsedDoc> docs;
  size_t total_bytes = 0;
  for (const std::string& file : ListFiles(paths, diags)) {
    std::error_code ec;
    uintmax_t size = fs::file_size(file, ec);
    if (ec) {
      diags.Error({file, 0, 0}, "", "cannot read: " + ec.message());
      continue;
    }
    if (size > options.max_file_bytes) {
      diags.Error({file, 0, 0}, "", "file is " + std::to_string(size) + " bytes, over the " +
                                        std::to_string(options.max_file_bytes) +
                                        "-byte limit for one manifest file");
      continue;
    }
    if (total_bytes + size > options.max_total_bytes) {
      diags.Error({file, 0, 0}, "", "manifests exceed the " +
                                        std::to_string(options.max_total_bytes) +
                                        "-byte limit for one load; not read");
      continue;
    }
    total_bytes += size;
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      diags.Error({file, 0, 0}, "", "cannot read file");
      continue;
    }
    result.files.push_back(file);
    sources[file] = SplitLines(text);
    if (!CheckTabs(text, file, diags)) continue;
    YamlParseOptions yaml_options;
    yaml_options.max_depth = options.max_depth;
    yaml_options.max_documents = options.max_file_documents;
    yaml_options.max_entries = options.max_entries;
    std::vector<YamlNode> roots = ParseYaml(text, file, yaml_options, diags);
    std::string dir = fs::path(file).parent_path().string();
    for (const YamlNode& root : roots) {
      if (root.type == YamlNode::Type::kNull) continue;  // empty document
      if (auto doc = ParseDocument(root, file, dir, diags)) docs.push_back(std::move(*doc));
    }
  }
  result.desired = Resolve(docs, diags);
  result.diagnostics = std::move(diags.items());
  for (Diagnostic& d : result.diagnostics) {
    auto it = sources.find(d.loc.file);
    if (it != sources.end() && d.loc.line >= 1 &&
        static_cast<size_t>(d.loc.line) <= it->second.size() &&
        it->second[d.loc.line - 1].size() <= kMaxShownLine)
      d.source_line = it->second[d.loc.line - 1];
  }
  SortDiagnostics(result.diagnostics);
  return result;
}

}  // namespace cmk
