#include "cli/views/rehearsal_view.h"

#include "base/duration.h"

namespace cmk {
namespace {

std::string Repeats(const RehearsalEntry& e) {
  if (e.repeats == 0) return "";
  return " (again at " + std::to_string(e.repeats) + " later step" + (e.repeats == 1 ? "" : "s") +
         ", last " + FormatRfc3339(e.last) + ")";
}

}  // namespace

void RenderRehearsalText(const RehearsalReport& report, const RehearsalSpec& spec,
                         const std::string& source, std::ostream& out) {
  out << "Rehearsal on " << source << ": " << FormatRfc3339(report.start) << " -> "
      << FormatRfc3339(report.end) << " (" << report.steps << " steps of " << spec.step << ")\n\n";
  for (const auto& e : report.timeline)
    out << FormatRfc3339(e.time) << "  " << e.kind << "  " << e.object
        << (e.object.empty() ? "" : "  ") << e.message << Repeats(e) << "\n";
  if (report.violations.empty()) {
    out << "\nVerdict: PASS, 0 violations: no consumer lost access to its key.\n";
    return;
  }
  out << "\nVerdict: FAIL, " << report.violations.size() << " violation(s):\n";
  for (const auto& v : report.violations)
    out << "  " << FormatRfc3339(v.time) << "  " << v.object << ": " << v.message << "\n";
}

Json RehearsalJson(const RehearsalReport& report, const RehearsalSpec& spec,
                   const std::string& source) {
  Json tl = Json::array(), vs = Json::array();
  for (const auto& e : report.timeline) {
    Json j{{"time", FormatRfc3339(e.time)}, {"kind", e.kind}, {"object", e.object},
           {"message", e.message}};
    if (e.repeats > 0) {
      j["repeats"] = e.repeats;
      j["last"] = FormatRfc3339(e.last);
    }
    tl.push_back(j);
  }
  for (const auto& e : report.violations)
    vs.push_back(Json{{"time", FormatRfc3339(e.time)}, {"object", e.object}, {"message", e.message}});
  return Json{{"source", source},        {"start", FormatRfc3339(report.start)},
              {"end", FormatRfc3339(report.end)}, {"steps", report.steps},
              {"until", spec.until},     {"step", spec.step},
              {"timeline", tl},          {"violations", vs},
              {"verdict", report.violations.empty() ? "pass" : "fail"}};
}

}  // namespace cmk
