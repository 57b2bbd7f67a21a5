#include "manifest/graph.h"

#include <algorithm>

namespace cmk {
namespace {

enum class Color { kWhite, kGrey, kBlack };

bool Visit(const std::string& node, const std::map<std::string, std::vector<std::string>>& edges,
           std::map<std::string, Color>& color, std::vector<std::string>& path) {
  color[node] = Color::kGrey;
  path.push_back(node);
  auto it = edges.find(node);
  if (it != edges.end()) {
    for (const auto& next : it->second) {
      Color c = color[next];
      if (c == Color::kGrey) {
        auto start = std::find(path.begin(), path.end(), next);
        std::vector<std::string> cycle(start, path.end());
        cycle.push_back(next);
        path = cycle;
        return true;
      }
      if (c == Color::kWhite && Visit(next, edges, color, path)) return true;
    }
  }
  path.pop_back();
  color[node] = Color::kBlack;
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> FindCycle(
    const std::map<std::string, std::vector<std::string>>& edges) {
  std::map<std::string, Color> color;
  for (const auto& [node, _] : edges) {
    if (color[node] != Color::kWhite) continue;
    std::vector<std::string> path;
    if (Visit(node, edges, color, path)) return path;
  }
  return std::nullopt;
}

}  // namespace cmk
