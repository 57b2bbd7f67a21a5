// Where the HTML report goes (`cmkctl report`, `cmkctl rehearse --format
// html`): a file named by --out, or standard output. The page itself is the
// view's (views/report_view.h); this is the commands' I/O. Not thread-safe.
#pragma once

#include <ostream>
#include <string>

#include "base/status.h"
#include "engine/rehearsal/rehearsal.h"
#include "model/world.h"
#include "provider/provider.h"

namespace cmk {

// Writes `html` to `path` (replacing it), or to `out` when `path` is empty.
// The error names the path and why it cannot be written.
[[nodiscard]] Status WriteReportHtml(const std::string& html, const std::string& path,
                                     std::ostream& out);

// The rehearsal's page: the inventory of `provider` (the rehearsed copy, at
// the rehearsal's end) with the rehearsal laid over it, written as above.
[[nodiscard]] Status WriteRehearsalHtml(const DesiredState& desired, Provider& provider,
                                        const RehearsalReport& report, const RehearsalSpec& spec,
                                        const std::string& source, const std::string& path,
                                        std::ostream& out);

}  // namespace cmk
