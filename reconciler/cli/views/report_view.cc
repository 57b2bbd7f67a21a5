#include "cli/views/report_view.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/duration.h"
#include "base/strings.h"
#include "cli/views/report_timeline.h"
#include "model/key_id.h"

namespace cmk {
namespace {

using report_html::Date;
using report_html::Esc;
using report_html::Short;
using report_html::Stamp;

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
  o +=
      "<p>" +
      std::string(pass ? "No consumer lost access to its key." : "Consumers lost access to their key.") +
      " Rehearsed " + Esc(Stamp(r.start)) + " → " + Esc(Stamp(r.end)) + " (" + Esc(r.until) + ", " +
      std::to_string(r.steps) + " steps of " + Esc(r.step) + ") on " + Esc(r.source) + ": " +
      std::to_string(r.rotations) + " rotations, " + std::to_string(r.adoptions) + " adoptions, " +
      std::to_string(r.retirements) + " retirements.</p></div>\n";
  if (pass) return;
  o += "<section><h2>Violations</h2><table><tr><th>Since</th><th>Consumer</th><th>What "
       "happened</th></tr>\n";
  for (const auto& v : r.violations)
    o += "<tr><td class=\"mono\">" + Esc(Stamp(v.time)) + "</td><td class=\"mono\">" + Esc(v.object) +
         "</td><td>" + Esc(ShortenVersions(v.message)) + "</td></tr>\n";
  o += "</table></section>\n";
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
    std::string state = VersionState(*v, k, now);
    std::string number = "v" + std::to_string(k.versions.rend() - v);
    o += "<tr data-v=\"" + Esc(v->version) + "\"><td class=\"mono\" title=\"" + Esc(v->version) +
         "\"><b>" + number + "</b> " + Esc(Short(v->version)) + "…</td><td><span class=\"pill " + state +
         "\">" + state + "</span></td><td class=\"mono\">" + Esc(Stamp(v->created)) +
         "</td><td class=\"mono\">" + (v->expires ? Esc(Stamp(*v->expires)) : "-") +
         "</td><td class=\"mono\">" + DisabledCell(*v) + "</td><td>";
    if (v->adoptions.empty()) o += "<span class=\"empty\">none</span>";
    for (size_t i = 0; i < v->adoptions.size(); ++i) {
      const ReportAdoption& a = v->adoptions[i];
      o += (i ? "<br>" : "") + std::string("<code>") + Esc(a.consumer) + "</code>" +
           (a.pinned ? " pinned" : "");
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
    o += "<tr><td class=\"mono\">" + Esc(k.address) + "</td><td><span class=\"pill " + Esc(f.kind) +
         "\">" + Esc(f.kind) + "</span></td><td class=\"mono\">" + Esc(ShortenVersions(f.subject)) +
         "</td><td>" + Esc(ShortenVersions(f.message)) + "</td></tr>\n";
}

void KeySection(const ReportPage& page, const ReportKey& k, const ReportAxis& axis, std::string& o) {
  o += "<section class=\"key\" id=\"" + Esc(k.address) + "\"><h2>" + Esc(k.address) + "</h2>\n";
  o += "<p class=\"sub\">" + Esc(k.type) + " in vault <code>" + Esc(k.vault) + "</code> · " +
       Esc(k.policy) + "</p>\n";
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
  RenderKeyTimeline(page, k, axis, o);
  RenderTimelineLegend(o);
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
    o += "<p class=\"empty\">No findings: every key has a rotation policy, no consumer is pinned or "
         "lagging, "
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
    o += page.policies == 0 ? "<p class=\"empty\">No policy in the manifests.</p></section>\n"
                            : "<p class=\"empty\">Every rule of the manifests' " + std::to_string(page.policies) +
                                  (page.policies == 1 ? " policy" : " policies") + " holds.</p></section>\n";
    return;
  }
  o +=
      "<table><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Message</th><th>Source</th></tr>\n";
  for (const auto& p : page.policy)
    o += "<tr><td><span class=\"pill " + Esc(p.severity) + "\">" + Esc(p.severity) +
         "</span></td><td class=\"mono\">" + Esc(p.rule) + "</td><td class=\"mono\">" + Esc(p.address) +
         "</td><td>" + Esc(p.message) + "</td><td class=\"mono\">" + Esc(p.file) +
         (p.line > 0 ? ":" + std::to_string(p.line) : "") + "</td></tr>\n";
  o += "</table></section>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
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
  o += std::string("<style>") + kStyle +
       "g.hl text{font-weight:700}tr.hl td{background:#eff6ff}</style>\n";
  o += std::string("<script>") + kHeadScript + "</script>\n</head>\n<body>\n<main>\n";
  Header(page, o);
  if (page.rehearsal) Verdict(*page.rehearsal, o);
  ReportAxis axis = ReportAxisFor(page);
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
