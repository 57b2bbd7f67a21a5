// The views of `cmkctl rehearse`: a RehearsalReport as a timeline with a
// verdict (for people) or JSON (for tools). Formatting only.
#pragma once

#include <ostream>
#include <string>

#include "base/json.h"
#include "engine/rehearsal/rehearsal.h"

namespace cmk {

// `source` says what was rehearsed on ("a copy of DIR", "a snapshot of ...").
void RenderRehearsalText(const RehearsalReport& report, const RehearsalSpec& spec,
                         const std::string& source, std::ostream& out);
Json RehearsalJson(const RehearsalReport& report, const RehearsalSpec& spec,
                   const std::string& source);

}  // namespace cmk
