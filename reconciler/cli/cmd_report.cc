// `cmkctl report`: the live inventory `show` prints, as one self-contained
// HTML page (views/report_view.h) for people who audit keys: per key a
// timeline of its versions with the consumers on each, upcoming rotations
// and expiries, the findings and policy results. Read-only. Also where the
// page of `rehearse --format html` is written (report_output.h).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report_output.h"
#include "cli/views/report_page.h"
#include "cli/views/report_view.h"
#include "engine/inventory/inventory.h"

namespace cmk {

Status WriteReportHtml(const std::string& html, const std::string& path, std::ostream& out) {
  if (path.empty()) {
    out << html;
    out.flush();
    return out ? Status::Ok() : Unavailable("cannot write the report to standard output");
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return PermissionDenied("cannot write the report to " + path + ": " + std::strerror(errno));
  file << html;
  file.close();
  if (!file) return Unavailable("cannot write the report to " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status WriteRehearsalHtml(const DesiredState& desired, Provider& provider, const RehearsalReport& report,
                          const RehearsalSpec& spec, const std::string& source, const std::string& path,
                          std::ostream& out) {
  CMK_ASSIGN_OR_RETURN(Inventory inventory, BuildInventory(desired, provider));
  ReportPage page = ReportFromInventory(desired, inventory);
  AddRehearsal(page, report, spec, source);
  return WriteReportHtml(RenderReportHtml(page), path, out);
}

int RunReport(const GlobalOptions& global, const ReportArgs& args) {
  auto desired = LoadDesired(global, std::cerr);
  if (!desired.ok()) return kExitError;
  std::optional<Inventory> inventory = ReadInventory(global, *desired, std::cerr);
  if (!inventory) return kExitError;
  Status written =
      WriteReportHtml(RenderReportHtml(ReportFromInventory(*desired, *inventory)), args.out, std::cout);
  if (!written.ok()) {
    std::cerr << "error: " << written.message() << "\n";
    return kExitError;
  }
  if (!args.out.empty()) std::cerr << "Wrote the report to " << args.out << "\n";
  return kExitOk;
}

}  // namespace cmk
