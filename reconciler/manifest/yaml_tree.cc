#include "manifest/yaml_tree.h"

#include "base/strings.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace cmk {
namespace {

// Builds YamlNodes from yaml-cpp events. Containers under construction sit on
// a stack; a finished node is attached to the container below it.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& text, const std::string& file, const YamlParseOptions& options,
              DiagnosticList& diags)
      : text_(text), file_(file), options_(options), diags_(diags) {}

  YamlNode TakeRoot() { return std::move(root_); }
  // Set after an error that makes the rest of the file meaningless.
  bool fatal() const { return fatal_; }

  void OnDocumentStart(const YAML::Mark&) override {
    root_ = YamlNode();
    stack_.clear();
    skip_ = 0;
    alias_reported_ = false;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    if (skip_ > 0) return;
    YamlNode n = Make(YamlNode::Type::kNull, mark);
    Attach(std::move(n));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (skip_ > 0) return;
    if (!alias_reported_) {
      auto it = anchor_names_.find(anchor);
      std::string name = it == anchor_names_.end() ? "" : it->second;
      Error(mark, "YAML aliases (*" + name + ") are not supported: write the value out");
      alias_reported_ = true;
    }
    Attach(Make(YamlNode::Type::kInvalid, mark));
  }

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    anchor_names_[++anchor_count_] = name;
    if (skip_ > 0) return;
    Error(mark, "YAML anchors (&" + name + ") are not supported: write the value out");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (skip_ > 0) return;
    YamlNode n = Make(YamlNode::Type::kScalar, mark);
    n.value = value;
    n.plain = tag == "?";
    // The file was checked at the door; escapes ("\e", "\0", "\x9b") can
    // still make a control character, so check what they produced too.
    if (auto fault = FindTextFault(n.value)) {
      Error(mark, "this value holds a " + fault->what + " (escaped in the file): values are printable text");
      n.type = YamlNode::Type::kInvalid;
    }
    if (!n.plain && !CheckClosed(mark)) {
      fatal_ = true;
      n.type = YamlNode::Type::kInvalid;
    }
    if (!CheckTag(mark, tag)) n.type = YamlNode::Type::kInvalid;
    // An anchored node was reported in OnAnchor; readers must not add more.
    if (anchor != YAML::NullAnchor) n.type = YamlNode::Type::kInvalid;
    Attach(std::move(n));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(YamlNode::Type::kSequence, mark, tag, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(YamlNode::Type::kMap, mark, tag, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YamlNode node;
    std::optional<YamlNode> pending_key;
    bool anchored = false;
    // A mapping's keys so far, to find a duplicate without a scan: loading
    // stays linear in the number of entries.
    std::unordered_map<std::string, size_t> keys;
    bool over_limit = false;  // reported once per container
  };

  YamlNode Make(YamlNode::Type type, const YAML::Mark& mark) {
    YamlNode n;
    n.type = type;
    n.line = mark.line + 1;
    n.col = mark.column + 1;
    return n;
  }

  void Error(const YAML::Mark& mark, const std::string& message) {
    diags_.Error({file_, mark.line + 1, mark.column + 1}, "", message);
  }

  bool CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return true;
    static const std::string kCore = "tag:yaml.org,2002:";
    std::string shown = tag.rfind(kCore, 0) == 0 ? "!!" + tag.substr(kCore.size()) : tag;
    Error(mark, "YAML tags ('" + shown + "') are not supported");
    return false;
  }

  // yaml-cpp 0.7 accepts a quoted scalar that runs to the end of the input;
  // YAML does not. Find the closing quote ourselves.
  bool CheckClosed(const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return true;
    char quote = text_[mark.pos];
    if (quote != '"' && quote != '\'') return true;  // block scalars
    for (size_t i = mark.pos + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;
          continue;
        }
        return true;
      }
    }
    Error(mark, std::string("invalid YAML: unclosed quoted string (no closing ") + quote + ")");
    return false;
  }

  void Open(YamlNode::Type type, const YAML::Mark& mark, const std::string& tag,
            YAML::anchor_t anchor) {
    if (skip_ > 0) {
      ++skip_;
      return;
    }
    if (static_cast<int>(stack_.size()) >= options_.max_depth) {
      Error(mark, "nesting deeper than " + std::to_string(options_.max_depth) + " levels");
      skip_ = 1;
      skip_mark_ = mark;
      return;
    }
    CheckTag(mark, tag);
    stack_.push_back({Make(type, mark), std::nullopt, anchor != YAML::NullAnchor});
  }

  void Close() {
    if (skip_ > 0) {
      if (--skip_ == 0) Attach(Make(YamlNode::Type::kInvalid, skip_mark_));
      return;
    }
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchored) {
      f.node.type = YamlNode::Type::kInvalid;
      f.node.items.clear();
      f.node.entries.clear();
    }
    Attach(std::move(f.node));
  }

  void Attach(YamlNode n) {
    if (stack_.empty()) {
      root_ = std::move(n);
      return;
    }
    Frame& top = stack_.back();
    if (top.node.type == YamlNode::Type::kSequence) {
      if (top.node.items.size() >= options_.max_entries) {
        if (!top.over_limit)
          diags_.Error({file_, n.line, n.col}, "",
                       "more than " + std::to_string(options_.max_entries) +
                           " items in one list; the rest are not read");
        top.over_limit = true;
        return;
      }
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.pending_key) {
      top.pending_key = std::move(n);
      return;
    }
    YamlNode key = std::move(*top.pending_key);
    top.pending_key.reset();
    AddEntry(top, std::move(key), std::move(n));
  }

  void AddEntry(Frame& frame, YamlNode key, YamlNode value) {
    YamlNode& map = frame.node;
    YAML::Mark mark;
    mark.line = key.line - 1;
    mark.column = key.col - 1;
    if (key.is_invalid()) return;
    if (key.type != YamlNode::Type::kScalar) {
      Error(mark, "mapping keys must be plain strings, not " + key.Describe());
      return;
    }
    if (key.plain && key.value == "<<") {
      Error(mark, "YAML merge keys ('<<') are not supported: write the fields out");
      return;
    }
    if (map.entries.size() >= options_.max_entries) {
      if (!frame.over_limit)
        Error(mark, "more than " + std::to_string(options_.max_entries) +
                        " entries in one mapping; the rest are not read");
      frame.over_limit = true;
      return;
    }
    auto [it, fresh] = frame.keys.emplace(key.value, map.entries.size());
    if (!fresh) {
      const YamlNode& first = map.entries[it->second].key;
      Error(mark, "duplicate key '" + key.value + "' (first at line " + std::to_string(first.line) +
                      ", column " + std::to_string(first.col) + ")");
      return;
    }
    map.entries.push_back({std::move(key), std::move(value)});
  }

  const std::string& text_;
  const std::string& file_;
  bool fatal_ = false;
  const YamlParseOptions& options_;
  DiagnosticList& diags_;
  YamlNode root_;
  std::vector<Frame> stack_;
  int skip_ = 0;
  YAML::Mark skip_mark_;
  bool alias_reported_ = false;
  std::map<YAML::anchor_t, std::string> anchor_names_;
  YAML::anchor_t anchor_count_ = 0;
};

}  // namespace

std::string YamlNode::Describe() const {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kScalar: return "'" + value + "'";
    case Type::kSequence: return "a list";
    case Type::kMap: return "a mapping";
    case Type::kInvalid: return "an invalid value";
  }
  return "?";
}

std::vector<YamlNode> ParseYaml(const std::string& text, const std::string& file,
                                const YamlParseOptions& options, DiagnosticList& diags) {
  std::vector<YamlNode> docs;
  // One rule for text at the door: nothing that is not printable UTF-8
  // reaches the parser, the plan's JSON or a terminal.
  if (auto fault = FindTextFault(text, /*allow_cr=*/true)) {
    size_t line_start = text.rfind('\n', fault->offset == 0 ? 0 : fault->offset - 1);
    line_start = line_start == std::string::npos || fault->offset == 0 ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + fault->offset, '\n'));
    int col = 1 + static_cast<int>(fault->offset - line_start);
    diags.Error({file, line, col}, "",
                fault->what + ": manifests are UTF-8 text without control characters (tab and line "
                              "breaks aside); the file was not read");
    return docs;
  }
  std::istringstream in(text);
  TreeBuilder builder(text, file, options, diags);
  try {
    YAML::Parser parser(in);
    // Every document after the first starts with a marker of at least three
    // characters, so a file cannot hold more than size/3 + 1 of them. yaml-cpp
    // 0.7 can loop on some malformed input, yielding empty documents forever
    // ("- a: b\n, c: d"): past that bound it is not reading anymore.
    const size_t max_events = text.size() / 3 + 2;
    size_t events = 0;
    while (parser.HandleNextDocument(builder)) {
      if (builder.fatal()) break;
      if (++events > max_events) {
        diags.Error({file, 0, 0}, "", "invalid YAML: the parser stopped making progress (malformed document)");
        break;
      }
      YamlNode root = builder.TakeRoot();
      if (root.type == YamlNode::Type::kNull) continue;  // an empty document: skipped
      if (docs.size() >= options.max_documents) {
        diags.Error({file, root.line, root.col}, "",
                    "more than " + std::to_string(options.max_documents) +
                        " documents in one file; the rest are not read");
        break;
      }
      docs.push_back(std::move(root));
    }
  } catch (const YAML::Exception& e) {
    SourceLoc loc{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                  e.mark.is_null() ? 0 : e.mark.column + 1};
    diags.Error(loc, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    diags.Error({file, 0, 0}, "", std::string("invalid YAML: ") + e.what());
  }
  return docs;
}

}  // namespace cmk
