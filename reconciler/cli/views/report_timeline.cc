#include "cli/views/report_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "base/duration.h"
#include "base/strings.h"

namespace cmk {
namespace {

using report_html::Date;
using report_html::Esc;
using report_html::kDay;
using report_html::Short;
using report_html::Stamp;

}  // namespace

int ReportAxis::X(int64_t t) const {
  double f = static_cast<double>(t - from) / static_cast<double>(to - from);
  f = std::clamp(f, 0.0, 1.0);
  return left + static_cast<int>(std::lround(f * (right - left)));
}

ReportAxis ReportAxisFor(const ReportPage& page) {
  int64_t lo = page.now, hi = page.now;
  if (page.rehearsal) lo = std::min(lo, page.rehearsal->start);
  for (const auto& k : page.keys) {
    for (const auto& v : k.versions) {
      lo = std::min(lo, v.created);
      if (v.expires) hi = std::max(hi, *v.expires);
    }
    for (const auto& u : k.upcoming) hi = std::max(hi, u.time);
  }
  // The future is context: at most two years of it, at least a month.
  hi = std::clamp(hi, page.now + 30 * kDay, page.now + 730 * kDay);
  lo = std::min(lo, page.now - 30 * kDay);
  int64_t pad = std::max<int64_t>((hi - lo) / 50, kDay);
  return ReportAxis{lo - pad, hi + pad};
}

namespace {

// Month starts on the axis: every month on a short axis, quarters on a
// longer one (labelled only at years when it spans more than three).
std::vector<std::pair<int64_t, std::string>> Ticks(const ReportAxis& axis) {
  int64_t span_days = (axis.to - axis.from) / kDay;
  unsigned every = span_days > 30 * 30 ? 3 : 1;
  int64_t y;
  unsigned m, d;
  CivilFromDays(axis.from / kDay, y, m, d);
  std::vector<std::pair<int64_t, std::string>> out;
  for (int i = 0; i < 400; ++i) {
    if (++m > 12) {
      m = 1;
      ++y;
    }
    if ((m - 1) % every != 0) continue;
    int64_t t = DaysFromCivil(y, m, 1) * kDay;
    if (t > axis.to) break;
    char label[32];
    std::snprintf(label, sizeof label, "%04lld-%02u", static_cast<long long>(y), m);
    out.emplace_back(t, label);
  }
  return out;
}
// Where a version's solid bar ends: disabled, expired, or still valid now.
int64_t BarEnd(const ReportVersion& v, int64_t now) {
  int64_t end = now;
  if (v.disabled) end = std::min(end, *v.disabled);
  if (v.expires) end = std::min(end, *v.expires);
  return std::max(end, v.created);
}

}  // namespace

std::string VersionState(const ReportVersion& v, const ReportKey& k, int64_t now) {
  if (v.expires && *v.expires <= now) return "expired";
  if (!v.enabled) return "disabled";
  return &v == &k.versions.back() ? "active" : "enabled";
}

void RenderTimelineLegend(std::string& o) {
  o += "<div class=\"legend\">"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" "
       "fill=\"#2563eb\"/>"
       "</svg>newest version</span>"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" "
       "fill=\"#93c5fd\"/>"
       "</svg>older, enabled</span>"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" "
       "fill=\"#cbd5e1\"/>"
       "</svg>disabled / expired</span>"
       "<span><svg width=\"26\" height=\"10\"><rect x=\"1\" y=\"1\" width=\"24\" height=\"8\" rx=\"3\" "
       "fill=\"none\" stroke=\"#60a5fa\" stroke-dasharray=\"3 2\"/></svg>valid until expiry</span>"
       "<span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"#15803d\"/></svg>"
       "consumer adopted it</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M1 1h10l-5 9z\" fill=\"#d97706\"/></svg>rotation"
       "</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M6 0l6 6-6 6-6-6z\" "
       "fill=\"#dc2626\"/></svg>expiry"
       "</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M6 0l6 6-6 6-6-6z\" fill=\"none\" "
       "stroke=\"#7c3aed\" "
       "stroke-width=\"2\"/></svg>notify</span>"
       "</div>\n";
}

namespace {

// A consumer's time on one version: from its adoption (the version's
// creation when that is not known) to the next adoption or now.
struct Stint {
  int64_t from = 0;
  size_t version = 0;
  bool known = false;
};
std::map<std::string, std::vector<Stint>> Stints(const ReportKey& k) {
  std::map<std::string, std::vector<Stint>> out;
  for (size_t i = 0; i < k.versions.size(); ++i)
    for (const auto& a : k.versions[i].adoptions)
      out[a.consumer].push_back({a.time.value_or(k.versions[i].created), i, a.time.has_value()});
  for (auto& [consumer, stints] : out)
    std::stable_sort(stints.begin(), stints.end(), [](const Stint& a, const Stint& b) {
      return a.from != b.from ? a.from < b.from : a.version < b.version;
    });
  return out;
}

// One lane per consumer under the versions: which version it used when.
void Lanes(const ReportPage& page, const ReportKey& k, const ReportAxis& axis,
           const std::map<std::string, std::vector<Stint>>& stints, int top, int lane, std::string& o) {
  if (stints.empty()) return;
  o += "<line x1=\"8\" y1=\"" + std::to_string(top - 12) + "\" x2=\"1152\" y2=\"" +
       std::to_string(top - 12) + "\" stroke=\"#e2e8f0\"/><text x=\"12\" y=\"" +
       std::to_string(top - 1) +
       "\" font-size=\"10\" font-weight=\"700\" fill=\"#94a3b8\" letter-spacing=\"0.06em\">CONSUMERS "
       "ON</text>\n";
  int y = top;
  for (const auto& [consumer, list] : stints) {
    std::string name = consumer.substr(consumer.find('/') + 1);
    o += "<text x=\"12\" y=\"" + std::to_string(y + 18) + "\" font-size=\"12\" fill=\"#134e4a\">" +
         Esc(name) + "</text>\n";
    for (size_t i = 0; i < list.size(); ++i) {
      int64_t to = i + 1 < list.size() ? list[i + 1].from : page.now;
      int x0 = axis.X(list[i].from), x1 = axis.X(std::max(to, list[i].from));
      const ReportVersion& v = k.versions[list[i].version];
      std::string label = "v" + std::to_string(list[i].version + 1);
      bool dark = list[i].version % 2 == 0;
      o += "<g><title>" +
           Esc(consumer + " on " + label + " (" + Short(v.version) + ") " +
               (list[i].known ? "from " + Stamp(list[i].from) : "since before " + Stamp(list[i].from)) +
               (i + 1 < list.size() ? " to " + Stamp(to) : " to now")) +
           "</title><rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y + 6) +
           "\" width=\"" + std::to_string(std::max(x1 - x0 - 1, 2)) +
           "\" height=\"16\" rx=\"3\" fill=\"" + (dark ? "#0f766e" : "#5eead4") + "\"/>";
      if (x1 - x0 > 24)
        o += "<text x=\"" + std::to_string(x0 + 5) + "\" y=\"" + std::to_string(y + 18) +
             "\" font-size=\"11\" font-weight=\"700\" fill=\"" + (dark ? "#fff" : "#134e4a") + "\">" +
             label + "</text>";
      o += "</g>\n";
    }
    y += lane;
  }
}

}  // namespace

void RenderKeyTimeline(const ReportPage& page, const ReportKey& k, const ReportAxis& axis,
                       std::string& o) {
  const int top = 46, row = 46, lane = 28;
  const int rows = static_cast<int>(k.versions.size());
  const auto stints = Stints(k);
  const int lanes_top = top + rows * row + (stints.empty() ? 0 : 22);
  const int bottom = lanes_top + static_cast<int>(stints.size()) * lane;
  const int height = bottom + 12;
  o += "<svg class=\"timeline\" viewBox=\"0 0 1160 " + std::to_string(height) +
       "\" role=\"img\" aria-label=\"" + Esc("version timeline of " + k.address) + "\">\n";
  o +=
      "<rect x=\"0\" y=\"0\" width=\"1160\" height=\"" + std::to_string(height) + "\" fill=\"#fff\"/>\n";
  // Grid and month labels.
  const bool years_only = axis.to - axis.from > 3 * 365 * kDay;
  for (const auto& [t, label] : Ticks(axis)) {
    int x = axis.X(t);
    bool year = label.substr(5) == "01";
    // A label needs room before the plot's right edge (the SVG is 1160 wide).
    if ((years_only && !year) || x > 1160 - (year ? 34 : 48)) {
      o += "<line x1=\"" + std::to_string(x) + "\" y1=\"26\" x2=\"" + std::to_string(x) + "\" y2=\"" +
           std::to_string(bottom) + "\" stroke=\"#f1f5f9\"/>\n";
      continue;
    }
    o += "<line x1=\"" + std::to_string(x) + "\" y1=\"26\" x2=\"" + std::to_string(x) + "\" y2=\"" +
         std::to_string(bottom) + "\" stroke=\"" + (year ? "#cbd5e1" : "#eef2f7") + "\"/>";
    o += "<text x=\"" + std::to_string(x + 3) + "\" y=\"22\" font-size=\"11\" fill=\"" +
         (year ? "#374151" : "#9ca3af") + "\"" + (year ? " font-weight=\"600\"" : "") + ">" +
         Esc(year ? label.substr(0, 4) : label) + "</text>\n";
  }
  auto vline = [&](int64_t t, const std::string& color, const std::string& dash,
                   const std::string& label, const std::string& title) {
    if (!axis.Inside(t)) return;
    int x = axis.X(t);
    o += "<g><title>" + Esc(title) + "</title><line x1=\"" + std::to_string(x) + "\" y1=\"30\" x2=\"" +
         std::to_string(x) + "\" y2=\"" + std::to_string(bottom) + "\" stroke=\"" + color +
         "\" stroke-width=\"1.5\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>";
    if (!label.empty())
      o += "<text x=\"" + std::to_string(x - 4) +
           "\" y=\"40\" font-size=\"11\" text-anchor=\"end\" fill=\"" + color +
           "\" font-weight=\"600\">" + Esc(label) + "</text>";
    o += "</g>\n";
  };
  if (page.rehearsal)
    vline(page.rehearsal->start, "#64748b", "4 3", "rehearsal start",
          "rehearsal start " + Stamp(page.rehearsal->start));
  vline(page.now, "#0f172a", "", page.rehearsal ? "end" : "now",
        (page.rehearsal ? "end of rehearsal " : "now (the target's clock) ") + Stamp(page.now));
  if (page.rehearsal)
    for (const auto& v : page.rehearsal->violations)
      vline(v.time, "#dc2626", "", "",
            "violation " + Stamp(v.time) + ": " + v.object + ": " + v.message);

  // Rotations: each version after the first, and the next one due.
  auto rotation = [&](int64_t t, bool due, const std::string& title) {
    if (!axis.Inside(t)) return;
    int x = axis.X(t);
    o += "<g><title>" + Esc(title) + "</title><path d=\"M" + std::to_string(x - 6) +
         " 27h12l-6 10z\" fill=\"" + (due ? "#fff" : "#d97706") +
         "\" stroke=\"#d97706\" stroke-width=\"1.5\"/>";
    if (due)
      o += "<line x1=\"" + std::to_string(x) + "\" y1=\"38\" x2=\"" + std::to_string(x) + "\" y2=\"" +
           std::to_string(bottom) + "\" stroke=\"#d97706\" stroke-dasharray=\"2 3\"/>";
    o += "</g>\n";
  };
  for (size_t i = 1; i < k.versions.size(); ++i)
    rotation(k.versions[i].created, false,
             "rotation " + Stamp(k.versions[i].created) + ": version " + Short(k.versions[i].version));
  for (const auto& u : k.upcoming)
    if (u.what == "rotation")
      rotation(u.time, true, "next rotation " + Stamp(u.time) + " (" + u.detail + ")");

  for (int i = 0; i < rows; ++i) {
    const ReportVersion& v = k.versions[i];
    const std::string state = VersionState(v, k, page.now);
    const int y = top + i * row;
    const int mid = y + 20;
    o += "<g data-v=\"" + Esc(v.version) + "\"><title>" +
         Esc("version " + v.version + ": " + state + ", created " + Stamp(v.created) +
             (v.expires ? ", expires " + Stamp(*v.expires) : ", no expiry") +
             (v.disabled ? ", disabled " + Stamp(*v.disabled) : "")) +
         "</title>\n";
    if (i % 2 == 1)
      o += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"1160\" height=\"" +
           std::to_string(row) + "\" fill=\"#f8fafc\" opacity=\"0.6\"/>";
    o += "<text x=\"12\" y=\"" + std::to_string(mid - 2) +
         "\" font-size=\"13\" font-family=\"ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace\" "
         "fill=\"#111827\"><tspan font-weight=\"700\" fill=\"#64748b\">v" +
         std::to_string(i + 1) + "</tspan> " + Esc(Short(v.version)) + "</text>";
    o += "<text x=\"35\" y=\"" + std::to_string(mid + 13) + "\" font-size=\"11\" fill=\"" +
         (state == "active"    ? "#2563eb"
          : state == "expired" ? "#b91c1c"
                               : "#6b7280") +
         "\">" + state + "</text>\n";
    int x0 = axis.X(v.created), x1 = axis.X(BarEnd(v, page.now));
    const char* fill = state == "active" ? "#2563eb" : state == "enabled" ? "#93c5fd" : "#cbd5e1";
    o += "<rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(mid - 8) + "\" width=\"" +
         std::to_string(std::max(x1 - x0, 3)) + "\" height=\"16\" rx=\"4\" fill=\"" + fill + "\"/>";
    if (v.enabled && v.expires && *v.expires > page.now) {
      int xe = axis.X(*v.expires);
      o += "<rect x=\"" + std::to_string(x1) + "\" y=\"" + std::to_string(mid - 7) + "\" width=\"" +
           std::to_string(std::max(xe - x1, 1)) +
           "\" height=\"14\" rx=\"4\" fill=\"none\" stroke=\"#60a5fa\" stroke-dasharray=\"4 3\"/>";
    }
    for (const auto& span : v.off) {
      int a = axis.X(span.from), b = axis.X(span.to);
      o += "<rect x=\"" + std::to_string(a) + "\" y=\"" + std::to_string(mid - 8) + "\" width=\"" +
           std::to_string(std::max(b - a, 3)) +
           "\" height=\"16\" fill=\"#fecaca\" stroke=\"#dc2626\"><title>" +
           Esc("disabled " + Stamp(span.from) + ", enabled again " + Stamp(span.to)) + "</title></rect>";
    }
    if (v.disabled && axis.Inside(*v.disabled) && (!v.expires || *v.disabled < *v.expires))
      o += "<text x=\"" + std::to_string(x1 + 5) + "\" y=\"" + std::to_string(mid + 4) +
           "\" font-size=\"11\" fill=\"#6b7280\">disabled " + Date(*v.disabled) + "</text>";
    if (v.expires && axis.Inside(*v.expires)) {
      int xe = axis.X(*v.expires);
      o += "<path d=\"M" + std::to_string(xe) + " " + std::to_string(mid - 7) +
           "l7 7-7 7-7-7z\" fill=\"#dc2626\"/>";
    }
    for (const auto& u : k.upcoming)
      if (u.what == "notify" && &v == &k.versions.back() && axis.Inside(u.time)) {
        int xn = axis.X(u.time);
        o += "<path d=\"M" + std::to_string(xn) + " " + std::to_string(mid - 6) +
             "l6 6-6 6-6-6z\" fill=\"#fff\" stroke=\"#7c3aed\" stroke-width=\"2\"><title>" +
             Esc("notify " + Stamp(u.time) + " (" + u.detail + ")") + "</title></path>";
      }
    // Adoptions: one dot per instant, its consumers named above it.
    // Instants closer than a dot's width (a SQL server after an hour, a
    // storage account after a day, on a scale of years) share one dot and
    // one label, so that labels never overlap; the tooltip keeps each time.
    std::map<int, std::vector<const ReportAdoption*>> at;
    for (const auto& a : v.adoptions) at[a.time ? axis.X(*a.time) : x0].push_back(&a);
    std::vector<std::pair<int, std::vector<const ReportAdoption*>>> clusters;
    for (auto& [x, group] : at) {
      const bool known = group.front()->time.has_value();
      if (!clusters.empty() && x - clusters.back().first < 12 &&
          clusters.back().second.front()->time.has_value() == known)
        clusters.back().second.insert(clusters.back().second.end(), group.begin(), group.end());
      else
        clusters.emplace_back(x, group);
    }
    for (const auto& [x, group] : clusters) {
      std::vector<std::string> names;
      std::vector<std::pair<int64_t, std::vector<std::string>>> by_time;  // in time order
      bool known = group.front()->time.has_value();
      for (const auto* a : group) {
        std::string n = a->consumer.substr(a->consumer.find('/') + 1) + (a->pinned ? " (pinned)" : "");
        names.push_back(n);
        if (!known) continue;
        if (by_time.empty() || by_time.back().first != *a->time) by_time.push_back({*a->time, {}});
        by_time.back().second.push_back(n);
      }
      std::string title;
      for (const auto& [t, who] : by_time)
        title += (title.empty() ? "" : "; ") + Join(who) + " adopted it " + Stamp(t);
      if (!known) title = Join(names) + " on it (adoption time not known)";
      o += "<g><title>" + Esc(title) + "</title><circle cx=\"" + std::to_string(x) + "\" cy=\"" +
           std::to_string(mid) + "\" r=\"5\" fill=\"" + (known ? "#15803d" : "#fff") + "\" stroke=\"" +
           (known ? "#fff" : "#15803d") + "\" stroke-width=\"1.5\"/>";
      o += "<text x=\"" + std::to_string(x + 7) + "\" y=\"" + std::to_string(mid - 10) +
           "\" font-size=\"10.5\" fill=\"#166534\">" + Esc(Join(names)) + "</text></g>\n";
    }
    o += "</g>\n";
  }
  Lanes(page, k, axis, stints, lanes_top, lane, o);
  o += "</svg>\n";
}

}  // namespace cmk
