#include "cli/views/report_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "base/duration.h"
#include "base/strings.h"
#include "model/key_id.h"

namespace cmk {
namespace {

constexpr int64_t kDay = 86400;

std::string Esc(std::string_view s) { return HtmlEscape(s); }
std::string Date(int64_t t) { return FormatRfc3339(t).substr(0, 10); }
std::string Stamp(int64_t t) { return FormatRfc3339(t); }
std::string Short(const std::string& version) { return version.substr(0, 8); }

// Civil dates for the axis ticks (H. Hinnant's algorithms, proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void CivilFromDays(int64_t z, int64_t& y, unsigned& m) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

// The time axis every key's timeline shares, so that keys compare at a glance.
struct Axis {
  int64_t from = 0, to = 1;
  int left = 170, right = 1130;  // plot area, in SVG pixels
  int X(int64_t t) const {
    double f = static_cast<double>(t - from) / static_cast<double>(to - from);
    f = std::clamp(f, 0.0, 1.0);
    return left + static_cast<int>(std::lround(f * (right - left)));
  }
  bool Inside(int64_t t) const { return t >= from && t <= to; }
};

Axis AxisFor(const ReportPage& page) {
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
  return Axis{lo - pad, hi + pad};
}

// Month starts on the axis: every month on a short axis, quarters on a
// longer one (labelled only at years when it spans more than three).
std::vector<std::pair<int64_t, std::string>> Ticks(const Axis& axis) {
  int64_t span_days = (axis.to - axis.from) / kDay;
  unsigned every = span_days > 30 * 30 ? 3 : 1;
  int64_t y;
  unsigned m;
  CivilFromDays(axis.from / kDay, y, m);
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

const char* kStyle = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--blue:#2563eb;
--green:#15803d;--red:#b91c1c;--amber:#b45309;--violet:#6d28d9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 6px}
h3{font-size:15px;margin:18px 0 6px;color:#374151}
.sub{color:var(--muted);margin:0 0 18px}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:18px 0}
.meta{display:grid;grid-template-columns:130px 1fr;gap:4px 16px;margin:0}
.meta dt{color:var(--muted)}.meta dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{flex:1 1 120px;border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfdff}
.card b{display:block;font-size:24px;line-height:1.2}.card span{color:var(--muted);font-size:12px}
.verdict{border-radius:10px;padding:16px 22px;margin:18px 0;color:#fff}
.verdict.pass{background:#15803d}.verdict.fail{background:#b91c1c}
.verdict h2{font-size:22px;margin:0 0 4px}.verdict p{margin:0;opacity:.95}
table{border-collapse:collapse;width:100%;margin:4px 0 6px}
th,td{text-align:left;padding:5px 10px 5px 0;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.pill{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:600;border:1px solid}
.pill.active{color:var(--blue);border-color:#93c5fd;background:#eff6ff}
.pill.enabled{color:#1d4ed8;border-color:#bfdbfe;background:#f8fbff}
.pill.disabled{color:#4b5563;border-color:#d1d5db;background:#f3f4f6}
.pill.expired,.pill.error,.pill.violation{color:var(--red);border-color:#fca5a5;background:#fef2f2}
.pill.warning,.pill.lagging,.pill.stale,.pill.pinned{color:var(--amber);border-color:#fcd34d;background:#fffbeb}
.pill.no-policy{color:var(--red);border-color:#fca5a5;background:#fef2f2}
.pill.info{color:var(--muted);border-color:#d1d5db;background:#f9fafb}
.empty{color:var(--muted);font-style:italic}
.tags{margin:-8px 0 4px;display:flex;flex-wrap:wrap;gap:6px}
.tag{font-size:12px;border:1px solid var(--line);border-radius:6px;padding:0 7px;background:#f8fafc;color:#374151}
.tag b{color:var(--muted);font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:18px;color:var(--muted);font-size:12px;margin:8px 0 0}
.legend svg{vertical-align:middle;margin-right:5px}
svg.timeline{display:block;width:100%;height:auto;margin:10px 0 4px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
footer{color:var(--muted);font-size:12px;margin-top:24px}
)css";

const char* kHeadScript =
    "window.onerror=function(){window.cmkError=true;"
    "if(document.body)document.body.dataset.rendered=\"error\";};";
// Marks the page rendered (the browser test reads it) and highlights a
// version's row and table line together on hover.
const char* kTailScript = R"js(
(function(){
  var b=document.body;
  document.querySelectorAll("[data-v]").forEach(function(el){
    el.addEventListener("mouseenter",function(){
      document.querySelectorAll("[data-v=\""+el.dataset.v+"\"]").forEach(function(x){x.classList.add("hl");});});
    el.addEventListener("mouseleave",function(){
      document.querySelectorAll(".hl").forEach(function(x){x.classList.remove("hl");});});
  });
  if(!window.cmkError)b.dataset.rendered="ok";
})();
)js";

std::string State(const ReportVersion& v, const ReportKey& k, int64_t now) {
  if (v.expires && *v.expires <= now) return "expired";
  if (!v.enabled) return "disabled";
  return &v == &k.versions.back() ? "active" : "enabled";
}

// Where a version's solid bar ends: disabled, expired, or still valid now.
int64_t BarEnd(const ReportVersion& v, int64_t now) {
  int64_t end = now;
  if (v.disabled) end = std::min(end, *v.disabled);
  if (v.expires) end = std::min(end, *v.expires);
  return std::max(end, v.created);
}

void Header(const ReportPage& page, std::string& o) {
  int versions = 0, findings = 0;
  std::set<std::string> consumers;
  for (const auto& k : page.keys) {
    versions += static_cast<int>(k.versions.size());
    findings += static_cast<int>(k.findings.size());
    for (const auto& v : k.versions)
      for (const auto& a : v.adoptions)
        if (a.current) consumers.insert(a.consumer);
  }
  o += "<header><h1>cmkctl · " + Esc(page.title) + "</h1>\n";
  o += "<p class=\"sub\">Customer-managed keys as the target reports them";
  o += page.rehearsal ? ", after a rehearsal of the scheduled pipeline.</p>\n" : ".</p>\n";
  o += "<section><dl class=\"meta\">\n";
  o += "<dt>Target</dt><dd class=\"mono\">" + Esc(page.target) + "</dd>\n";
  o += std::string("<dt>") + (page.rehearsal ? "Clock (end)" : "Clock") + "</dt><dd class=\"mono\">" +
       Esc(Stamp(page.now)) + " <span class=\"empty\">(" +
       (page.rehearsal ? "the copy's simulated clock" : "the target's clock") + ")</span></dd>\n";
  o += "<dt>Manifests</dt><dd>";
  if (page.manifests.empty()) o += "<span class=\"empty\">none</span>";
  for (size_t i = 0; i < page.manifests.size(); ++i)
    o += (i ? "<br>" : "") + std::string("<code>") + Esc(page.manifests[i]) + "</code>";
  o += "</dd>\n</dl>\n<div class=\"cards\">\n";
  auto card = [&o](int n, const std::string& what) {
    o += "<div class=\"card\"><b>" + std::to_string(n) + "</b><span>" + what + "</span></div>\n";
  };
  card(page.vaults, "vaults");
  card(static_cast<int>(page.keys.size()), "keys");
  card(versions, "key versions");
  card(static_cast<int>(consumers.size()), "consumers");
  card(findings, "findings");
  card(static_cast<int>(page.policy.size()), "policy results");
  o += "</div></section></header>\n";
}

void Verdict(const ReportRehearsal& r, std::string& o) {
  bool pass = r.violations.empty();
  o += std::string("<div class=\"verdict ") + (pass ? "pass" : "fail") + "\" id=\"verdict\">";
  o += "<h2>" + std::string(pass ? "PASS" : "FAIL") + ": " + std::to_string(r.violations.size()) +
       " violation" + (r.violations.size() == 1 ? "" : "s") + ", " + std::to_string(r.outages) +
       " outage" + (r.outages == 1 ? "" : "s") + "</h2>";
  o += "<p>" +
       std::string(pass ? "No consumer lost access to its key." : "Consumers lost access to their key.") +
       " Rehearsed " + Esc(Stamp(r.start)) + " → " + Esc(Stamp(r.end)) + " (" + Esc(r.until) + ", " +
       std::to_string(r.steps) + " steps of " + Esc(r.step) + ") on " + Esc(r.source) + ": " +
       std::to_string(r.rotations) + " rotations, " + std::to_string(r.adoptions) + " adoptions, " +
       std::to_string(r.retirements) + " retirements.</p></div>\n";
  if (pass) return;
  o += "<section><h2>Violations</h2><table><tr><th>Since</th><th>Consumer</th><th>What happened</th></tr>\n";
  for (const auto& v : r.violations)
    o += "<tr><td class=\"mono\">" + Esc(Stamp(v.time)) + "</td><td class=\"mono\">" + Esc(v.object) +
         "</td><td>" + Esc(ShortenVersions(v.message)) + "</td></tr>\n";
  o += "</table></section>\n";
}

void Legend(std::string& o) {
  o += "<div class=\"legend\">"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" fill=\"#2563eb\"/>"
       "</svg>newest version</span>"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" fill=\"#93c5fd\"/>"
       "</svg>older, enabled</span>"
       "<span><svg width=\"26\" height=\"10\"><rect width=\"26\" height=\"10\" rx=\"3\" fill=\"#cbd5e1\"/>"
       "</svg>disabled / expired</span>"
       "<span><svg width=\"26\" height=\"10\"><rect x=\"1\" y=\"1\" width=\"24\" height=\"8\" rx=\"3\" "
       "fill=\"none\" stroke=\"#60a5fa\" stroke-dasharray=\"3 2\"/></svg>valid until expiry</span>"
       "<span><svg width=\"12\" height=\"12\"><circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"#15803d\"/></svg>"
       "consumer adopted it</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M1 1h10l-5 9z\" fill=\"#d97706\"/></svg>rotation"
       "</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M6 0l6 6-6 6-6-6z\" fill=\"#dc2626\"/></svg>expiry"
       "</span>"
       "<span><svg width=\"12\" height=\"12\"><path d=\"M6 0l6 6-6 6-6-6z\" fill=\"none\" stroke=\"#7c3aed\" "
       "stroke-width=\"2\"/></svg>notify</span>"
       "</div>\n";
}

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
void Lanes(const ReportPage& page, const ReportKey& k, const Axis& axis,
           const std::map<std::string, std::vector<Stint>>& stints, int top, int lane, std::string& o) {
  if (stints.empty()) return;
  o += "<line x1=\"8\" y1=\"" + std::to_string(top - 12) + "\" x2=\"1152\" y2=\"" + std::to_string(top - 12) +
       "\" stroke=\"#e2e8f0\"/><text x=\"12\" y=\"" + std::to_string(top - 1) +
       "\" font-size=\"10\" font-weight=\"700\" fill=\"#94a3b8\" letter-spacing=\"0.06em\">CONSUMERS ON</text>\n";
  int y = top;
  for (const auto& [consumer, list] : stints) {
    std::string name = consumer.substr(consumer.find('/') + 1);
    o += "<text x=\"12\" y=\"" + std::to_string(y + 18) + "\" font-size=\"12\" fill=\"#134e4a\">" + Esc(name) +
         "</text>\n";
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
           "</title><rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y + 6) + "\" width=\"" +
           std::to_string(std::max(x1 - x0 - 1, 2)) + "\" height=\"16\" rx=\"3\" fill=\"" +
           (dark ? "#0f766e" : "#5eead4") + "\"/>";
      if (x1 - x0 > 24)
        o += "<text x=\"" + std::to_string(x0 + 5) + "\" y=\"" + std::to_string(y + 18) +
             "\" font-size=\"11\" font-weight=\"700\" fill=\"" + (dark ? "#fff" : "#134e4a") + "\">" + label +
             "</text>";
      o += "</g>\n";
    }
    y += lane;
  }
}

void Timeline(const ReportPage& page, const ReportKey& k, const Axis& axis, std::string& o) {
  const int top = 46, row = 46, lane = 28;
  const int rows = static_cast<int>(k.versions.size());
  const auto stints = Stints(k);
  const int lanes_top = top + rows * row + (stints.empty() ? 0 : 22);
  const int bottom = lanes_top + static_cast<int>(stints.size()) * lane;
  const int height = bottom + 12;
  o += "<svg class=\"timeline\" viewBox=\"0 0 1160 " + std::to_string(height) +
       "\" role=\"img\" aria-label=\"" + Esc("version timeline of " + k.address) + "\">\n";
  o += "<rect x=\"0\" y=\"0\" width=\"1160\" height=\"" + std::to_string(height) +
       "\" fill=\"#fff\"/>\n";
  // Grid and month labels.
  const bool years_only = axis.to - axis.from > 3 * 365 * kDay;
  for (const auto& [t, label] : Ticks(axis)) {
    int x = axis.X(t);
    bool year = label.substr(5) == "01";
    if (years_only && !year) {
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
  auto vline = [&](int64_t t, const std::string& color, const std::string& dash, const std::string& label,
                   const std::string& title) {
    if (!axis.Inside(t)) return;
    int x = axis.X(t);
    o += "<g><title>" + Esc(title) + "</title><line x1=\"" + std::to_string(x) + "\" y1=\"30\" x2=\"" +
         std::to_string(x) + "\" y2=\"" + std::to_string(bottom) + "\" stroke=\"" + color +
         "\" stroke-width=\"1.5\"" + (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>";
    if (!label.empty())
      o += "<text x=\"" + std::to_string(x - 4) + "\" y=\"40\" font-size=\"11\" text-anchor=\"end\" fill=\"" +
           color + "\" font-weight=\"600\">" + Esc(label) + "</text>";
    o += "</g>\n";
  };
  if (page.rehearsal)
    vline(page.rehearsal->start, "#64748b", "4 3", "rehearsal start",
          "rehearsal start " + Stamp(page.rehearsal->start));
  vline(page.now, "#0f172a", "", page.rehearsal ? "end" : "now",
        (page.rehearsal ? "end of rehearsal " : "now (the target's clock) ") + Stamp(page.now));
  if (page.rehearsal)
    for (const auto& v : page.rehearsal->violations)
      vline(v.time, "#dc2626", "", "", "violation " + Stamp(v.time) + ": " + v.object + ": " + v.message);

  // Rotations: each version after the first, and the next one due.
  auto rotation = [&](int64_t t, bool due, const std::string& title) {
    if (!axis.Inside(t)) return;
    int x = axis.X(t);
    o += "<g><title>" + Esc(title) + "</title><path d=\"M" + std::to_string(x - 6) + " 27h12l-6 10z\" fill=\"" +
         (due ? "#fff" : "#d97706") + "\" stroke=\"#d97706\" stroke-width=\"1.5\"/>";
    if (due)
      o += "<line x1=\"" + std::to_string(x) + "\" y1=\"38\" x2=\"" + std::to_string(x) + "\" y2=\"" +
           std::to_string(bottom) + "\" stroke=\"#d97706\" stroke-dasharray=\"2 3\"/>";
    o += "</g>\n";
  };
  for (size_t i = 1; i < k.versions.size(); ++i)
    rotation(k.versions[i].created, false,
             "rotation " + Stamp(k.versions[i].created) + ": version " + Short(k.versions[i].version));
  for (const auto& u : k.upcoming)
    if (u.what == "rotation") rotation(u.time, true, "next rotation " + Stamp(u.time) + " (" + u.detail + ")");

  for (int i = 0; i < rows; ++i) {
    const ReportVersion& v = k.versions[i];
    const std::string state = State(v, k, page.now);
    const int y = top + i * row;
    const int mid = y + 20;
    o += "<g data-v=\"" + Esc(v.version) + "\"><title>" +
         Esc("version " + v.version + ": " + state + ", created " + Stamp(v.created) +
             (v.expires ? ", expires " + Stamp(*v.expires) : ", no expiry") +
             (v.disabled ? ", disabled " + Stamp(*v.disabled) : "")) +
         "</title>\n";
    if (i % 2 == 1)
      o += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"1160\" height=\"" + std::to_string(row) +
           "\" fill=\"#f8fafc\" opacity=\"0.6\"/>";
    o += "<text x=\"12\" y=\"" + std::to_string(mid - 2) +
         "\" font-size=\"13\" font-family=\"ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace\" "
         "fill=\"#111827\"><tspan font-weight=\"700\" fill=\"#64748b\">v" + std::to_string(i + 1) +
         "</tspan> " + Esc(Short(v.version)) + "</text>";
    o += "<text x=\"35\" y=\"" + std::to_string(mid + 13) + "\" font-size=\"11\" fill=\"" +
         (state == "active" ? "#2563eb" : state == "expired" ? "#b91c1c" : "#6b7280") + "\">" + state +
         "</text>\n";
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
           std::to_string(std::max(b - a, 3)) + "\" height=\"16\" fill=\"#fecaca\" stroke=\"#dc2626\"><title>" +
           Esc("disabled " + Stamp(span.from) + ", enabled again " + Stamp(span.to)) + "</title></rect>";
    }
    if (v.disabled && axis.Inside(*v.disabled) && (!v.expires || *v.disabled < *v.expires))
      o += "<text x=\"" + std::to_string(x1 + 5) + "\" y=\"" + std::to_string(mid + 4) +
           "\" font-size=\"11\" fill=\"#6b7280\">disabled " + Date(*v.disabled) + "</text>";
    if (v.expires && axis.Inside(*v.expires)) {
      int xe = axis.X(*v.expires);
      o += "<path d=\"M" + std::to_string(xe) + " " + std::to_string(mid - 7) + "l7 7-7 7-7-7z\" fill=\"#dc2626\"/>";
    }
    for (const auto& u : k.upcoming)
      if (u.what == "notify" && &v == &k.versions.back() && axis.Inside(u.time)) {
        int xn = axis.X(u.time);
        o += "<path d=\"M" + std::to_string(xn) + " " + std::to_string(mid - 6) +
             "l6 6-6 6-6-6z\" fill=\"#fff\" stroke=\"#7c3aed\" stroke-width=\"2\"><title>" +
             Esc("notify " + Stamp(u.time) + " (" + u.detail + ")") + "</title></path>";
      }
    // Adoptions: one dot per instant, its consumers named above it.
    std::map<int, std::vector<const ReportAdoption*>> at;
    for (const auto& a : v.adoptions) at[a.time ? axis.X(*a.time) : x0].push_back(&a);
    for (const auto& [x, group] : at) {
      std::vector<std::string> names;
      bool known = group.front()->time.has_value();
      for (const auto* a : group) {
        std::string n = a->consumer.substr(a->consumer.find('/') + 1);
        names.push_back(n + (a->pinned ? " (pinned)" : ""));
      }
      std::string title = Join(names) + (known ? " adopted it " + Stamp(*group.front()->time)
                                               : " on it (adoption time not known)");
      o += "<g><title>" + Esc(title) + "</title><circle cx=\"" + std::to_string(x) + "\" cy=\"" +
           std::to_string(mid) + "\" r=\"5\" fill=\"" + (known ? "#15803d" : "#fff") +
           "\" stroke=\"" + (known ? "#fff" : "#15803d") + "\" stroke-width=\"1.5\"/>";
      o += "<text x=\"" + std::to_string(x + 7) + "\" y=\"" + std::to_string(mid - 10) +
           "\" font-size=\"10.5\" fill=\"#166534\">" + Esc(Join(names)) + "</text></g>\n";
    }
    o += "</g>\n";
  }
  Lanes(page, k, axis, stints, lanes_top, lane, o);
  o += "</svg>\n";
}

std::string DisabledCell(const ReportVersion& v) {
  std::vector<std::string> parts;
  for (const auto& span : v.off) parts.push_back(Esc(Stamp(span.from)) + " → " + Esc(Stamp(span.to)));
  if (v.disabled) parts.push_back(Esc(Stamp(*v.disabled)));
  return parts.empty() ? "-" : Join(parts, "<br>");
}

// When `consumer` adopted a version newer than the one before `after`.
std::optional<int64_t> MovedOn(const ReportKey& k, std::vector<ReportVersion>::const_iterator after,
                               const std::string& consumer) {
  for (auto v = after; v != k.versions.end(); ++v)
    for (const auto& a : v->adoptions)
      if (a.consumer == consumer && a.time) return a.time;
  return std::nullopt;
}

void VersionTable(const ReportKey& k, int64_t now, std::string& o) {
  o += "<h3>Versions</h3><table><tr><th>Version</th><th>State</th><th>Created</th><th>Expires</th>"
       "<th>Disabled</th><th>Consumers</th></tr>\n";
  for (auto v = k.versions.rbegin(); v != k.versions.rend(); ++v) {
    std::string state = State(*v, k, now);
    std::string number = "v" + std::to_string(k.versions.rend() - v);
    o += "<tr data-v=\"" + Esc(v->version) + "\"><td class=\"mono\" title=\"" + Esc(v->version) + "\"><b>" +
         number + "</b> " + Esc(Short(v->version)) + "…</td><td><span class=\"pill " + state + "\">" + state +
         "</span></td><td class=\"mono\">" + Esc(Stamp(v->created)) + "</td><td class=\"mono\">" +
         (v->expires ? Esc(Stamp(*v->expires)) : "-") + "</td><td class=\"mono\">" +
         DisabledCell(*v) + "</td><td>";
    if (v->adoptions.empty()) o += "<span class=\"empty\">none</span>";
    for (size_t i = 0; i < v->adoptions.size(); ++i) {
      const ReportAdoption& a = v->adoptions[i];
      o += (i ? "<br>" : "") + std::string("<code>") + Esc(a.consumer) + "</code>" + (a.pinned ? " pinned" : "");
      std::optional<int64_t> left = a.current ? std::nullopt : MovedOn(k, v.base(), a.consumer);
      if (a.time && left)
        o += " " + Esc(Date(*a.time)) + " → " + Esc(Date(*left));
      else if (a.time)
        o += " since " + Esc(Date(*a.time));
      else if (left)
        o += " until " + Esc(Date(*left));
      else
        o += a.current ? " (adoption date not known)" : " (earlier; moved on)";
    }
    o += "</td></tr>\n";
  }
  o += "</table>\n";
}

void UpcomingTable(const ReportKey& k, std::string& o) {
  o += "<h3>Upcoming rotations and expiries</h3>";
  if (k.upcoming.empty()) {
    o += "<p class=\"empty\">Nothing scheduled.</p>\n";
    return;
  }
  o += "<table><tr><th>When</th><th>What</th><th>Detail</th></tr>\n";
  for (const auto& u : k.upcoming)
    o += "<tr><td class=\"mono\">" + Esc(Stamp(u.time)) + "</td><td>" + Esc(u.what) + "</td><td>" +
         Esc(ShortenVersions(u.detail)) + "</td></tr>\n";
  o += "</table>\n";
}

void FindingRows(const ReportKey& k, std::string& o) {
  for (const auto& f : k.findings)
    o += "<tr><td class=\"mono\">" + Esc(k.address) + "</td><td><span class=\"pill " + Esc(f.kind) + "\">" +
         Esc(f.kind) + "</span></td><td class=\"mono\">" + Esc(ShortenVersions(f.subject)) + "</td><td>" +
         Esc(ShortenVersions(f.message)) + "</td></tr>\n";
}

void KeySection(const ReportPage& page, const ReportKey& k, const Axis& axis, std::string& o) {
  o += "<section class=\"key\" id=\"" + Esc(k.address) + "\"><h2>" + Esc(k.address) + "</h2>\n";
  o += "<p class=\"sub\">" + Esc(k.type) + " in vault <code>" + Esc(k.vault) + "</code> · " + Esc(k.policy) +
       "</p>\n";
  if (!k.tags.empty()) {
    o += "<p class=\"tags\">";
    for (const auto& [name, value] : k.tags)
      o += "<span class=\"tag\"><b>" + Esc(name) + "</b> " + Esc(value) + "</span>";
    o += "</p>\n";
  }
  if (!k.present || k.versions.empty()) {
    o += "<p class=\"empty\">Not in the target yet (not applied).</p></section>\n";
    return;
  }
  Timeline(page, k, axis, o);
  Legend(o);
  VersionTable(k, page.now, o);
  UpcomingTable(k, o);
  if (!k.findings.empty())
    o += "<p>" + std::to_string(k.findings.size()) + " finding" + (k.findings.size() == 1 ? "" : "s") +
         ": see <b>Findings</b> below.</p>\n";
  o += "</section>\n";
}

void FindingsSection(const ReportPage& page, std::string& o) {
  o += "<section id=\"findings\"><h2>Findings</h2>\n";
  size_t n = 0;
  for (const auto& k : page.keys) n += k.findings.size();
  if (n == 0) {
    o += "<p class=\"empty\">No findings: every key has a rotation policy, no consumer is pinned or lagging, "
         "no stale version is enabled.</p></section>\n";
    return;
  }
  o += "<table><tr><th>Key</th><th>Kind</th><th>Subject</th><th>Message</th></tr>\n";
  for (const auto& k : page.keys) FindingRows(k, o);
  o += "</table></section>\n";
}

void PolicySection(const ReportPage& page, std::string& o) {
  o += "<section id=\"policy\"><h2>Policy results</h2>\n";
  if (page.policy.empty()) {
    o += "<p class=\"empty\">No policy in the manifests.</p></section>\n";
    return;
  }
  o += "<table><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Message</th><th>Source</th></tr>\n";
  for (const auto& p : page.policy)
    o += "<tr><td><span class=\"pill " + Esc(p.severity) + "\">" + Esc(p.severity) + "</span></td><td class=\"mono\">" +
         Esc(p.rule) + "</td><td class=\"mono\">" + Esc(p.address) + "</td><td>" + Esc(p.message) +
         "</td><td class=\"mono\">" + Esc(p.file) + (p.line > 0 ? ":" + std::to_string(p.line) : "") +
         "</td></tr>\n";
  o += "</table></section>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const ReportPage& page) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  // Nothing may load: no fetch, font, image or frame; only this page's own
  // inline style and script run.
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + Esc("cmkctl " + Lower(page.title) + ": " + page.target) + "</title>\n";
  o += std::string("<style>") + kStyle + "g.hl text{font-weight:700}tr.hl td{background:#eff6ff}</style>\n";
  o += std::string("<script>") + kHeadScript + "</script>\n</head>\n<body>\n<main>\n";
  Header(page, o);
  if (page.rehearsal) Verdict(*page.rehearsal, o);
  Axis axis = AxisFor(page);
  if (page.keys.empty()) o += "<section><p class=\"empty\">The manifests name no keys.</p></section>\n";
  for (const auto& k : page.keys) KeySection(page, k, axis, o);
  FindingsSection(page, o);
  PolicySection(page, o);
  o += "<footer>Written by cmkctl " CMK_VERSION " from " + Esc(page.target) + " at its clock " +
       Esc(Stamp(page.now)) + ". Self-contained: this file loads nothing.</footer>\n";
  o += std::string("</main>\n<script>") + kTailScript + "</script>\n</body></html>\n";
  return o;
}

}  // namespace cmk
