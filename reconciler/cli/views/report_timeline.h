// The drawn part of the HTML report (report_view.h): one key's versions as an
// inline SVG timeline on a time axis every key of the page shares (so keys
// compare at a glance), with a lane per consumer under the versions, and the
// legend. Also the few text helpers both halves of the page use. Pure: page
// in, markup appended; every text taken from the page is escaped.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/duration.h"
#include "cli/views/report_view.h"

namespace cmk {

struct ReportAxis {
  int64_t from = 0, to = 1;      // unix seconds
  int left = 170, right = 1130;  // plot area, in SVG pixels
  int X(int64_t t) const;        // clamped to the plot area
  bool Inside(int64_t t) const { return t >= from && t <= to; }
};

// From the oldest version (or a rehearsal's start) to the latest date ahead,
// at most two years past the page's `now`.
ReportAxis ReportAxisFor(const ReportPage& page);

// "active" (the newest, usable), "enabled", "disabled" or "expired" at `now`.
std::string VersionState(const ReportVersion& v, const ReportKey& k, int64_t now);

void RenderKeyTimeline(const ReportPage& page, const ReportKey& k, const ReportAxis& axis,
                       std::string& out);
void RenderTimelineLegend(std::string& out);

namespace report_html {
inline constexpr int64_t kDay = 86400;
inline std::string Esc(std::string_view s) { return HtmlEscape(s); }
inline std::string Date(int64_t t) { return FormatRfc3339(t).substr(0, 10); }
inline std::string Stamp(int64_t t) { return FormatRfc3339(t); }
inline std::string Short(const std::string& version) { return version.substr(0, 8); }
}  // namespace report_html

}  // namespace cmk
